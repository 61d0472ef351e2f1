using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Outcomes.Cli.Fhir;
using Outcomes.Service.Ingestion;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.Fhir;

/// `outcomes fhir` against the real service: a Bulk Data export converted at the clinic, published over the real
/// broker, stored by the service (tests/Outcomes.Cli.Tests/Fhir holds the mapping tests and the export used here).
[Collection(IngestionCollection.Name)]
public sealed class FhirBridgeTests(IngestionFixture fixture)
{
    private const string Clinic = "clinic-fhir";

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Outcomes.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Outcomes.sln not found above " + AppContext.BaseDirectory);
    }

    private static string Resources(string name) => Path.Combine(RepositoryRoot(), "tests", "Outcomes.Cli.Tests", "Fhir", "Resources", name);

    /// Converts as `outcomes fhir convert` does, with a key of its own so that its patients are new to the shared service.
    private static (FileInfo File, ConversionReport Report) Convert(byte[] key, IEnumerable<string> inputs)
    {
        var (files, problem) = FhirInputs.Files(inputs);
        Assert.Null(problem);
        var report = new ConversionReport();
        var context = new AssemblyContext(Clinic, new Pseudonyms(key), FhirMappingOptions.Default, new MedicationCatalog(), report, DateTimeOffset.UtcNow);
        var file = new FileInfo(Path.GetTempFileName());
        using (var stream = file.Create()) FhirConversion.Run(files, context, stream);
        return (file, report);
    }

    private static List<(string RoutingKey, JsonElement Body, string Line)> Lines(FileInfo file) =>
        File.ReadAllLines(file.FullName).Select(line =>
        {
            var root = JsonDocument.Parse(line).RootElement;
            return (root.GetProperty("routingKey").GetString()!, root.GetProperty("body").Clone(), line);
        }).ToList();

    private static CourseFeed CourseOf(IEnumerable<(string RoutingKey, JsonElement Body, string Line)> lines, string routingKey, Func<JsonElement, bool> which) =>
        new(Clinic, lines.First(l => l.RoutingKey == routingKey && which(l.Body)).Body.GetProperty("patientKey").GetString()!);

    [Fact]
    public async Task BulkExportFolder_PublishedOverAmqp_StoredAsCourses_NothingRefused()
    {
        var (file, report) = Convert(RandomNumberGenerator.GetBytes(32), [Resources("bulk")]);
        try
        {
            var lines = Lines(file);
            var jane = CourseOf(lines, "v1.patient-enrolled", b => b.GetProperty("sex").GetString() == "female");
            var john = CourseOf(lines, "v1.patient-enrolled", b => b.GetProperty("sex").GetString() == "male");

            var result = await FhirCommand.PublishFile(file.FullName, fixture.Services.RabbitMqUri, 1, 100, fixture.Names.Exchange, fixture.Names.Queue,
                CancellationToken.None);

            Assert.Null(result.Failure);
            Assert.Equal(report.Facts, result.Confirmed);
            Assert.Equal(10, result.Confirmed);
            var course = await fixture.CourseWith(jane, 7);
            Assert.Equal([16, 8, 6], course.Phq9Scores.Select(s => s.Total));
            Assert.Equal([false, false, true], course.Phq9Scores.Select(s => s.TotalOnly));
            Assert.Equal(2, course.Sessions.Count);
            Assert.Equal(Domain.Courses.DiagnosisGroup.MajorDepressiveDisorder, course.Enrolment!.DiagnosisGroup);
            Assert.Equal(Domain.Courses.CourseEndReason.Completed, course.Ended!.Reason);
            var other = await fixture.CourseWith(john, 3);
            Assert.Equal(Domain.Courses.Modality.IntranasalEsketamine, other.Enrolment!.Modality);
            Assert.Empty(await fixture.Rejections(Clinic));
        }
        finally
        {
            file.Delete();
        }
    }

    [Fact]
    public async Task SameExportConvertedTwice_SecondTimeStoresNothing()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var inputs = new[] { Resources("bulk"), Resources("transaction-bundle.json"), Resources("searchset-bundle.json"), Resources("questionnaire-response.json") };
        var (first, _) = Convert(key, inputs);
        var (second, _) = Convert(key, inputs);
        try
        {
            var lines = Lines(first);
            var published = await FhirCommand.PublishFile(first.FullName, fixture.Services.RabbitMqUri, 1, 100, fixture.Names.Exchange, fixture.Names.Queue,
                CancellationToken.None);
            Assert.Null(published.Failure);
            var courses = lines.Select(l => l.Body.GetProperty("patientKey").GetString()!).Distinct().Select(k => new CourseFeed(Clinic, k)).ToList();
            foreach (var course in courses)
                await fixture.CourseWith(course, lines.Count(l => l.Body.GetProperty("patientKey").GetString() == course.PatientKey));

            // The second conversion goes through the bulk upload, which answers how much it stored.
            var token = fixture.Host.Token(["integration"], [Clinic]);
            var (summary, failure) = await Cli.Loading.LoadCommand.Upload(fixture.Host.CreateClient(), second, token, new Cli.Loading.LoadPlan(), _ => { },
                CancellationToken.None);

            Assert.Equal(File.ReadAllBytes(first.FullName), File.ReadAllBytes(second.FullName));
            Assert.Null(failure);
            Assert.Equal(0, summary!.Stored);
            Assert.Equal(lines.Count, summary.Duplicates);
            Assert.Equal(0, summary.Rejected);
            foreach (var course in courses)
                Assert.Equal(lines.Count(l => l.Body.GetProperty("patientKey").GetString() == course.PatientKey),
                    await IngestionFixture.StoredEventCount(fixture.Host, course));
        }
        finally
        {
            first.Delete();
            second.Delete();
        }
    }

    [Fact]
    public async Task PublishFromALine_SendsOnlyTheRest_ThenFromTheStart_EveryFactStoredOnce()
    {
        var (file, _) = Convert(RandomNumberGenerator.GetBytes(32), [Resources("bulk")]);
        try
        {
            var lines = Lines(file);
            var courses = lines.Select(l => l.Body.GetProperty("patientKey").GetString()!).Distinct().Select(k => new CourseFeed(Clinic, k)).ToList();

            var resumed = await FhirCommand.PublishFile(file.FullName, fixture.Services.RabbitMqUri, 6, 100, fixture.Names.Exchange, fixture.Names.Queue,
                CancellationToken.None);
            var again = await FhirCommand.PublishFile(file.FullName, fixture.Services.RabbitMqUri, 1, 100, fixture.Names.Exchange, fixture.Names.Queue,
                CancellationToken.None);

            Assert.Equal((lines.Count - 5L, lines.Count + 1L), (resumed.Confirmed, resumed.NextLine));
            Assert.Equal(lines.Count, again.Confirmed);
            foreach (var course in courses)
            {
                var facts = lines.Count(l => l.Body.GetProperty("patientKey").GetString() == course.PatientKey);
                await fixture.CourseWith(course, facts);
                Assert.Equal(facts, await IngestionFixture.StoredEventCount(fixture.Host, course));
            }
        }
        finally
        {
            file.Delete();
        }
    }

    [Fact]
    public void EveryConvertedFact_PassesTheServicesContractRules_WhileTheIdentifierAsKeyWouldBeRefused()
    {
        var (file, _) = Convert(RandomNumberGenerator.GetBytes(32),
            [Resources("bulk"), Resources("transaction-bundle.json"), Resources("searchset-bundle.json"), Resources("questionnaire-response.json")]);
        try
        {
            var lines = Lines(file);
            Assert.True(lines.Count >= 12);
            foreach (var (routingKey, body, _) in lines)
            {
                var (fact, rejection) = ClinicEventReader.Read(routingKey, Encoding.UTF8.GetBytes(body.GetRawText()), DateTimeOffset.UtcNow);
                Assert.Null(rejection);
                Assert.NotNull(fact);
            }

            // What a naive bridge would send: the EHR's record number as the key. The same rules refuse it.
            var naive = lines[0].Body.GetRawText().Replace(lines[0].Body.GetProperty("patientKey").GetString()!, "MRN000123", StringComparison.Ordinal);
            var (_, refused) = ClinicEventReader.Read(lines[0].RoutingKey, Encoding.UTF8.GetBytes(naive), DateTimeOffset.UtcNow);
            Assert.Equal("patientKey", refused!.Field);
        }
        finally
        {
            file.Delete();
        }
    }
}
