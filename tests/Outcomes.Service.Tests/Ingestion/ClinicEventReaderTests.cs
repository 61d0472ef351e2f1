using System.Text;
using Outcomes.Contracts;
using Outcomes.Domain.Courses;
using Outcomes.Service.Ingestion;

namespace Outcomes.Service.Tests.Ingestion;

/// The reader alone, without broker or database: fast checks of translation details.
public sealed class ClinicEventReaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ClinicIdRule_SameAsPublishedSchemaPattern() =>
        Assert.Equal(WireContract.ClinicIdPattern, CourseKey.ClinicIdPattern().ToString());

    [Fact]
    public void ValidPhq9_TranslatedToStoredEventInUtc()
    {
        var body = """{"eventId":"5f0c6a52-3a43-4f43-9a39-0f8e0c0a1b2c","clinicId":"clinic-a","patientKey":"pk3f9a2b7c1d","occurredAt":"2026-03-02T10:00:00+02:00","items":[1,1,1,1,1,1,1,1,2],"course":2}""";

        var (fact, rejection) = ClinicEventReader.Read("v1.phq9-completed", Encoding.UTF8.GetBytes(body), Now);

        Assert.Null(rejection);
        Assert.Equal(new CourseKey("clinic-a", "pk3f9a2b7c1d", 2), fact!.Course);
        var stored = Assert.IsType<Domain.Courses.Phq9Completed>(fact.Event);
        Assert.Equal(TimeSpan.Zero, stored.OccurredAt.Offset);
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero), stored.OccurredAt);
        Assert.Equal(10, stored.Score.Total);
        Assert.Equal(2, stored.Score.Item9);
    }

    [Theory]
    [InlineData("a1b2c3d4e5f6")]
    [InlineData("K7-q2_ZZ9xw")]
    [InlineData("3f2504e0-4f89-11d3-9a0c-0305e82c3301")]
    public void OpaqueTokens_Accepted(string key) => Assert.Null(PatientKeyRule.Check(key));

    [Theory]
    [InlineData("jane@example.org", "e-mail")]
    [InlineData("Jane Doe", "name")]
    [InlineData("JaneDoeSmith", "name")]
    [InlineData("123-45-6789", "social security")]
    [InlineData("123456789", "social security")]
    [InlineData("(555)867-5309", "letters, digits")]
    [InlineData("555-867-5309", "phone")]
    [InlineData("5558675309", "phone")]
    [InlineData("MRN00123456", "record number")]
    [InlineData("000123456789012", "record number")]
    [InlineData("abc", "8-64")]
    public void IdentifierLikeKeys_Refused(string key, string rule) => Assert.Contains(rule, PatientKeyRule.Check(key));
}
