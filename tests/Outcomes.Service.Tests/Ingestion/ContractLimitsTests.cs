using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Outcomes.Contracts;
using Outcomes.Domain.Courses;
using Outcomes.Service.Ingestion;

namespace Outcomes.Service.Tests.Ingestion;

/// The contract's limits are written once (ContractLimits); the published schemas, the reader and the domain's rules
/// each hold exactly those numbers, tested at the limit and one past it.
public sealed class ContractLimitsTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private const string Enrolment = """{"eventId":"5f0c6a52-3a43-4f43-9a39-0f8e0c0a1b2c","clinicId":"clinic-a","patientKey":"pk3f9a2b7c1d","occurredAt":"2026-03-02T10:00:00Z","ageBand":"90+","sex":"female","diagnosisGroup":"other","priorFailedTrials":2,"modality":"iv-ketamine","enrolmentYear":2026,"course":1}""";

    private const string Phq9 = """{"eventId":"5f0c6a52-3a43-4f43-9a39-0f8e0c0a1b2c","clinicId":"clinic-a","patientKey":"pk3f9a2b7c1d","occurredAt":"2026-03-02T10:00:00Z","total":12}""";

    private static Rejection? Refusal(string type, string body) =>
        ClinicEventReader.Read($"v1.{type}", Encoding.UTF8.GetBytes(body), Now).Rejection;

    [Theory]
    [InlineData("ab", true)]
    [InlineData("clinic-a", true)]
    [InlineData("a", false)]
    [InlineData("-clinic", false)]
    [InlineData("Clinic-a", false)]
    [InlineData("clinic-f\n", false)]
    [InlineData(null, false)]
    public void IsClinicId_FollowsTheRule(string? value, bool expected) => Assert.Equal(expected, ContractLimits.IsClinicId(value));

    [Fact]
    public void ClinicIdLengths_AreTheRulesTwoToForty()
    {
        Assert.True(ContractLimits.IsClinicId(new string('c', 40)));
        Assert.False(ContractLimits.IsClinicId(new string('c', 41)));
        Assert.Contains("2-40", ContractLimits.ClinicIdRule);
    }

    [Fact]
    public void PatientKeyPattern_AgreesWithTheLengths()
    {
        var pattern = ContractLimits.PatientKeyPattern;
        Assert.DoesNotMatch(pattern, new string('k', ContractLimits.PatientKeyMinLength - 1));
        Assert.Matches(pattern, new string('k', ContractLimits.PatientKeyMinLength));
        Assert.Matches(pattern, new string('k', ContractLimits.PatientKeyMaxLength));
        Assert.DoesNotMatch(pattern, new string('k', ContractLimits.PatientKeyMaxLength + 1));
    }

    [Fact]
    public void PublishedSchemas_CarryTheLimits()
    {
        var schemas = WireSchemas.Generate();
        var phq9 = JsonNode.Parse(schemas["phq9-completed"])!["properties"]!;
        Assert.Equal(ContractLimits.Phq9ItemCount, (int)phq9["items"]!["maxItems"]!);
        Assert.Equal(ContractLimits.Phq9ItemCount, (int)phq9["items"]!["minItems"]!);
        Assert.Equal(ContractLimits.Phq9MaxItem, (int)phq9["items"]!["items"]!["maximum"]!);
        Assert.Equal(ContractLimits.Phq9MaxTotal, (int)phq9["total"]!["maximum"]!);
        Assert.Equal(ContractLimits.MaxCourse, (int)phq9["course"]!["maximum"]!);
        Assert.Equal(ContractLimits.Ecma(ContractLimits.ClinicIdPattern), (string)phq9["clinicId"]!["pattern"]!);
        var enrolment = JsonNode.Parse(schemas["patient-enrolled"])!["properties"]!;
        Assert.Equal(ContractLimits.MaxPriorFailedTrials, (int)enrolment["priorFailedTrials"]!["maximum"]!);
        Assert.Equal(ContractLimits.EarliestFactYear, (int)enrolment["enrolmentYear"]!["minimum"]!);
        Assert.Equal(ContractLimits.PatientKeyMaxLength, (int)enrolment["patientKey"]!["maxLength"]!);
        var session = JsonNode.Parse(schemas["treatment-session-given"])!["properties"]!;
        Assert.Equal(ContractLimits.MaxDoseMilligrams, (int)session["dose"]!["maximum"]!);
    }

    // The wire's JSON settings alone take a body one past a limit (the unprotected path); the reader refuses it,
    // and takes the body at the limit.
    [Theory]
    [InlineData("patient-enrolled", "\"course\":1", "course", ContractLimits.MaxCourse)]
    [InlineData("patient-enrolled", "\"priorFailedTrials\":2", "priorFailedTrials", ContractLimits.MaxPriorFailedTrials)]
    [InlineData("phq9-completed", "\"total\":12", "total", ContractLimits.Phq9MaxTotal)]
    public void OnePastALimit_ParsesOnTheWireButTheReaderRefusesIt(string type, string valid, string field, int limit)
    {
        var body = type == "phq9-completed" ? Phq9 : Enrolment;
        Assert.Contains(valid, body);
        string With(int value) => body.Replace(valid, $"\"{field}\":{value}", StringComparison.Ordinal);

        Assert.NotNull(JsonSerializer.Deserialize(With(limit + 1), WireContract.MessageTypes[type], WireContract.JsonOptions));
        var refused = Refusal(type, With(limit + 1));
        Assert.Equal(field, refused?.Field);
        Assert.Contains($"{limit}", refused!.Rule);
        Assert.Null(Refusal(type, With(limit)));
    }

    [Fact]
    public void DomainScore_UsesTheContractsPhq9Limits()
    {
        Assert.NotNull(Phq9Score.Create(null, ContractLimits.Phq9MaxTotal).Score);
        Assert.Equal("total", Phq9Score.Create(null, ContractLimits.Phq9MaxTotal + 1).Violation?.Field);
        var tooHigh = Enumerable.Repeat(0, ContractLimits.Phq9ItemCount).ToArray();
        tooHigh[0] = ContractLimits.Phq9MaxItem + 1;
        Assert.Equal("items[0]", Phq9Score.Create(tooHigh, null).Violation?.Field);
        Assert.Equal("items", Phq9Score.Create(new int[ContractLimits.Phq9ItemCount + 1], null).Violation?.Field);
    }
}
