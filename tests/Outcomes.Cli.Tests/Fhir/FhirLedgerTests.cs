using Outcomes.Cli.Fhir;
using static Outcomes.Cli.Tests.Fhir.Fhir;

namespace Outcomes.Cli.Tests.Fhir;

/// `--state`: an enrolment or course end that a later export changes goes under a new id, derived from the one sent before, with a
/// retraction of the one sent before, instead of the same id with other content (which the service refuses).
public sealed class FhirLedgerTests
{
    private const string At = "2026-03-02T09:30:00-05:00";

    private static string Episode(string end) => Json(new
    {
        resourceType = "EpisodeOfCare", id = "e1", status = "finished", patient = new { reference = "Patient/p1" },
        period = new { start = "2026-03-01T00:00:00Z", end },
    });

    private static FhirRun Run(CourseLedger? ledger, string birthDate, string end) =>
        FhirRun.ConvertFiles(null, ledger, (".ndjson", string.Join('\n', Patient("p1", birthDate), KetamineIv("ma1", "p1", At), Episode(end))));

    private static WrittenFact One(FhirRun run, string type) => Assert.Single(run.OfType(type));

    [Fact]
    public void EnrolmentAndEndChanged_WithoutALedger_TheSameIdWithOtherContent()
    {
        var first = Run(null, "1975-04-02", "2026-04-01T00:00:00Z");
        var second = Run(null, "1990-04-02", "2026-05-01T00:00:00Z");

        Assert.Equal(One(first, "patient-enrolled").Text("eventId"), One(second, "patient-enrolled").Text("eventId"));
        Assert.NotEqual(One(first, "patient-enrolled").Text("ageBand"), One(second, "patient-enrolled").Text("ageBand"));
        Assert.Equal(One(first, "course-ended").Text("eventId"), One(second, "course-ended").Text("eventId"));
    }

    [Fact]
    public void EnrolmentAndEndChanged_WithTheLedger_NewIdsAndTheOldOnesRetracted_ThenStable()
    {
        var ledger = new CourseLedger();
        var first = Run(ledger, "1975-04-02", "2026-04-01T00:00:00Z");
        var same = Run(ledger, "1975-04-02", "2026-04-01T00:00:00Z");
        var changed = Run(ledger, "1990-04-02", "2026-05-01T00:00:00Z");
        var again = Run(ledger, "1990-04-02", "2026-05-01T00:00:00Z");

        // The first run sends what a run without a ledger sends; the same export again, the same bytes.
        Assert.Equal(Run(null, "1975-04-02", "2026-04-01T00:00:00Z").Output, first.Output);
        Assert.Equal(first.Output, same.Output);
        Assert.Equal(2, ledger.Count);

        var (enrolled, ended) = (One(changed, "patient-enrolled"), One(changed, "course-ended"));
        Assert.Equal("35-44", enrolled.Text("ageBand"));
        Assert.NotEqual(One(first, "patient-enrolled").Text("eventId"), enrolled.Text("eventId"));
        Assert.NotEqual(One(first, "course-ended").Text("eventId"), ended.Text("eventId"));
        Assert.Equal(new[] { One(first, "patient-enrolled").Text("eventId"), One(first, "course-ended").Text("eventId") }.Order(),
            changed.OfType("fact-retracted").Select(r => r.Text("retractedEventId")).Order());
        Assert.Equal(1, changed.Flagged("patient-enrolled changed since the last run (--state): the earlier one retracted"));

        // Unchanged since: the new ids again, nothing retracted.
        Assert.Equal(enrolled.Line, One(again, "patient-enrolled").Line);
        Assert.Equal(ended.Line, One(again, "course-ended").Line);
        Assert.Empty(again.OfType("fact-retracted"));
    }

    [Fact]
    public void EnrolmentAndEndChangedBackAndForth_EveryChangeANewId_EachRetractionNamesTheIdSentJustBefore()
    {
        // A, B, A, B: as a Condition added, removed and added again. An id derived from the content alone comes back
        // with it; the service ignores a fact under an id it holds (here retracted), leaving the course without one.
        var ledger = new CourseLedger();
        (string BirthDate, string End) a = ("1975-04-02", "2026-04-01T00:00:00Z"), b = ("1990-04-02", "2026-05-01T00:00:00Z");
        var runs = new[] { a, b, a, b }.Select(r => Run(ledger, r.BirthDate, r.End)).ToList();

        foreach (var type in new[] { "patient-enrolled", "course-ended" })
        {
            var ids = runs.Select(r => One(r, type).Text("eventId")).ToList();
            Assert.Equal(4, ids.Distinct().Count());
            for (var i = 1; i < runs.Count; i++)
                Assert.Contains(ids[i - 1], runs[i].OfType("fact-retracted").Select(r => r.Text("retractedEventId")));
        }
        Assert.Equal("35-44", One(runs[3], "patient-enrolled").Text("ageBand"));
    }

    [Fact]
    public void LedgerFile_SavedAndLoaded_HoldsNoIdentifier_AnotherFileRefused()
    {
        var ledger = new CourseLedger();
        Run(ledger, "1975-04-02", "2026-04-01T00:00:00Z");
        var path = Path.GetTempFileName();
        try
        {
            ledger.Save(path);
            var text = File.ReadAllText(path);
            var (loaded, problem) = CourseLedger.Load(path);
            File.WriteAllText(path, "{\"format\":\"something-else\",\"facts\":[]}");
            var (_, refused) = CourseLedger.Load(path);

            Assert.Null(problem);
            Assert.Equal(2, loaded!.Count);
            foreach (var secret in new[] { "MRN", "p1", "1975-04-02", "Patient", "EpisodeOfCare", "pk" }) Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            Assert.StartsWith("--state: ", refused, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private const string Course = "11111111-1111-8111-8111-111111111111";
    private const string Entry = $$"""{"course":"{{Course}}","eventId":"22222222-2222-8222-8222-222222222222","content":"33333333-3333-8333-8333-333333333333"}""";

    // Once an ArgumentException (a course twice) or NullReferenceException, or read with a field left out as the empty
    // id: now refused whole, naming the entry, before anything is converted.
    [Theory]
    [InlineData($$"""{"format":"outcomes-fhir-state-1","facts":[{{Entry}},{{Entry}}]}""",
        "--state: $.facts[1].course: " + Course + " is in the ledger already at $.facts[0]")]
    [InlineData("""{"format":"outcomes-fhir-state-1","facts":null}""", "--state: $.facts: required, a list of entries")]
    [InlineData("""{"format":"outcomes-fhir-state-1"}""", "--state: $.facts: required, a list of entries")]
    [InlineData("""{"format":"outcomes-fhir-state-1","facts":[null]}""", "--state: $.facts[0]: an entry is required")]
    [InlineData($$"""{"format":"outcomes-fhir-state-1","facts":[{"course":"{{Course}}","content":"33333333-3333-8333-8333-333333333333"}]}""",
        "--state: $.facts[0].eventId: required, a non-empty id")]
    [InlineData($$"""{"format":"outcomes-fhir-state-1","facts":[{"course":"{{Course}}","eventId":null,"content":"33333333-3333-8333-8333-333333333333"}]}""",
        "--state: $.facts[0].eventId: ")]
    [InlineData("null", "--state: ")]
    public void LedgerFile_Malformed_RefusedNamingTheEntry(string json, string problem)
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, json);
            var (ledger, refused) = CourseLedger.Load(path);

            Assert.Null(ledger);
            Assert.StartsWith(problem, refused, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
