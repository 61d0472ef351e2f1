using System.Text.Json.Nodes;
using Outcomes.Cli.Fhir;
using static Outcomes.Cli.Tests.Fhir.Fhir;

namespace Outcomes.Cli.Tests.Fhir;

/// An entered-in-error resource becomes v1.fact-retracted naming the event id the same resource's earlier version was
/// converted to.
public sealed class FhirRetractionTests
{
    private const string At = "2026-03-02T09:30:00-05:00";
    private const string Later = "2026-03-09T09:00:00-05:00";
    private const string MarkedAt = "2026-03-10T08:00:00Z";
    private static readonly int[] Scores = [2, 2, 1, 1, 2, 1, 1, 1, 0];

    private static string Versioned(string resource, string? version, string? lastUpdated = null)
    {
        var node = JsonNode.Parse(resource)!.AsObject();
        var meta = new JsonObject();
        if (version is not null) meta["versionId"] = version;
        if (lastUpdated is not null) meta["lastUpdated"] = lastUpdated;
        if (meta.Count > 0) node["meta"] = meta;
        return node.ToJsonString();
    }

    private static string Response(string? version, string status = "completed", string? lastUpdated = null) =>
        Versioned(QuestionnaireResponse("qr1", "p1", Scores, Later, status: status), version, lastUpdated);

    private static FhirRun Run(params string[] resources) => FhirRun.ConvertNdjson([Patient("p1"), KetamineIv("ma1", "p1", At), .. resources]);

    private static Guid Id(WrittenFact fact, string property = "eventId") => Guid.Parse(fact.Text(property)!);

    [Fact]
    public void QuestionnaireResponseEnteredInError_RetractsTheFactItsVersionBeforeProduced()
    {
        var first = Run(Response("1"));
        var second = Run(Response("2", "entered-in-error", MarkedAt));

        var stored = Assert.Single(first.OfType("phq9-completed"));
        Assert.Empty(second.OfType("phq9-completed"));
        var retraction = Assert.Single(second.OfType("fact-retracted"));
        Assert.Equal(Id(stored), Id(retraction, "retractedEventId"));
        Assert.Equal(stored.PatientKey, retraction.PatientKey);
        Assert.Equal(DateTimeOffset.Parse(MarkedAt), retraction.OccurredAt);
        Assert.NotEqual(Id(stored), Id(retraction));
        Assert.Equal(1, second.Report.Mapped["fact-retracted"]);
        // Retractions come after the patient's other facts, so that a fact and its retraction in one file keep that order.
        Assert.Equal("fact-retracted", second.Facts[^1].Type);
    }

    [Fact]
    public void ConvertedTwice_TheSameRetraction()
    {
        var resources = new[] { Response("3", "entered-in-error", MarkedAt) };

        Assert.Equal(Run(resources).Output, Run(resources).Output);
    }

    [Fact]
    public void WithoutVersionIds_TheUnversionedIdIsRetracted_AtTheResourcesOwnTime()
    {
        var stored = Assert.Single(Run(Response(null)).OfType("phq9-completed"));
        var retraction = Assert.Single(Run(Response(null, "entered-in-error")).OfType("fact-retracted"));

        Assert.Equal(Id(stored), Id(retraction, "retractedEventId"));
        Assert.Equal(DateTimeOffset.Parse(Later), retraction.OccurredAt);
    }

    [Fact]
    public void EarlierVersionInTheSameInput_ItsFactIsTheOneRetracted()
    {
        var stored = Assert.Single(Run(Response("4")).OfType("phq9-completed"));

        var run = Run(Response("4"), Response("7", "entered-in-error", MarkedAt));

        Assert.Equal(Id(stored), Id(Assert.Single(run.OfType("fact-retracted")), "retractedEventId"));
        Assert.Empty(run.OfType("phq9-completed"));
    }

    [Theory]
    [InlineData("1", "entered-in-error at version 1: no earlier version produced a fact")]
    [InlineData("abc", "entered-in-error with a versionId that is no number and no earlier version in the input: the retracted fact cannot be named")]
    public void NoEarlierVersionToName_SkippedWithReason(string version, string reason)
    {
        var run = Run(Response(version, "entered-in-error", MarkedAt));

        Assert.Empty(run.OfType("fact-retracted"));
        Assert.Equal(1, run.Skipped("QuestionnaireResponse: " + reason));
    }

    [Fact]
    public void TotalObservationAndKetamineAdministration_Retracted_OtherDrugsAdministration_Skipped()
    {
        var first = FhirRun.ConvertNdjson([Patient("p1"), Versioned(KetamineIv("ma1", "p1", At), "1"), Versioned(KetamineIv("ma2", "p1", Later), "1"),
            Versioned(TotalObservation("t1", "p1", "valueInteger", 9, Later), "1")]);
        var second = FhirRun.ConvertNdjson([Patient("p1"), Versioned(KetamineIv("ma1", "p1", At), "1"),
            Versioned(KetamineIv("ma2", "p1", Later, status: "entered-in-error"), "2", MarkedAt),
            Versioned(KetamineIv("ma3", "p1", Later, rxnorm: "1191", status: "entered-in-error"), "2", MarkedAt),
            Versioned(TotalObservation("t1", "p1", "valueInteger", 9, Later, "entered-in-error"), "2", MarkedAt)]);

        var retracted = second.OfType("fact-retracted").Select(f => Id(f, "retractedEventId")).ToHashSet();
        var session = first.OfType("treatment-session-given").Single(f => f.OccurredAt == DateTimeOffset.Parse(Later));
        Assert.Equal(new[] { Id(session), Id(Assert.Single(first.OfType("phq9-completed"))) }.Order(), retracted.Order());
        Assert.Single(second.OfType("treatment-session-given"));
        Assert.Equal(1, second.Skipped("MedicationAdministration: medication is not ketamine or esketamine (RxNorm lists)"));
    }

    [Fact]
    public void EveryKetamineSessionEnteredInError_TheRetractionsStillSent()
    {
        var first = FhirRun.ConvertNdjson([Patient("p1"), Versioned(KetamineIv("ma1", "p1", At), "1")]);
        var second = FhirRun.ConvertNdjson([Patient("p1"), Versioned(KetamineIv("ma1", "p1", At, status: "entered-in-error"), "2", MarkedAt)]);

        Assert.Equal(Id(Assert.Single(first.OfType("treatment-session-given"))), Id(Assert.Single(second.Facts), "retractedEventId"));
    }

    [Fact]
    public void EpisodeEnteredInError_RetractsTheCourseEndItGave()
    {
        string Episode(string status, string? version) => Versioned(Json(new
        {
            resourceType = "EpisodeOfCare", id = "e1", status, patient = new { reference = "Patient/p1" },
            period = new { start = "2026-03-01T00:00:00Z", end = "2026-04-01T00:00:00Z" },
        }), version);

        var ended = Assert.Single(Run(Episode("finished", "1")).OfType("course-ended"));
        var retraction = Assert.Single(Run(Episode("entered-in-error", "2")).OfType("fact-retracted"));

        Assert.Equal(Id(ended), Id(retraction, "retractedEventId"));
    }

    // ---------------------------------------------------------------- one completion, several resources

    private static string Panel(string id, string at, string[] members, string status = "final", string[]? derivedFrom = null, int? total = null) =>
        Json(new Dictionary<string, object?>
        {
            ["resourceType"] = "Observation", ["id"] = id, ["status"] = status,
            ["code"] = new { coding = new[] { new { system = Loinc, code = "44249-1" } } },
            ["subject"] = new { reference = "Patient/p1" }, ["effectiveDateTime"] = at,
            ["valueInteger"] = total,
            ["hasMember"] = members.Select(m => new { reference = "Observation/" + m }).ToArray(),
            ["derivedFrom"] = derivedFrom?.Select(d => new { reference = d }).ToArray(),
        }.Where(p => p.Value is not null).ToDictionary());

    private static string[] Members(string prefix, string at, int? enteredInError = null) =>
        Enumerable.Range(0, 9).Select(i => Versioned(ItemObservation($"{prefix}{i}", "p1", i, Answer(Scores[i]), at,
            i == enteredInError ? "entered-in-error" : "final"), i == enteredInError ? "2" : "1", i == enteredInError ? MarkedAt : null)).ToArray();

    [Fact]
    public void PanelDerivedFromAResponse_ResponseEnteredInError_TheResponseRetracted_ThePanelNoNewFact()
    {
        var derived = Versioned(Panel("panel1", Later, [], derivedFrom: ["QuestionnaireResponse/qr1"], total: Scores.Sum()), "1");
        // Unprotected: the panel alone (the response dropped from the export) is a fact of its own, with its own id.
        var alone = Assert.Single(Run(derived).OfType("phq9-completed"));
        var stored = Assert.Single(Run(Response("1"), derived).OfType("phq9-completed"));

        var run = Run(Response("2", "entered-in-error", MarkedAt), derived);

        Assert.NotEqual(Id(alone), Id(stored));
        Assert.Empty(run.OfType("phq9-completed"));
        Assert.Equal(Id(stored), Id(Assert.Single(run.OfType("fact-retracted")), "retractedEventId"));
    }

    [Fact]
    public void SameScoresWithin60Seconds_ResponseEnteredInError_TheKeptFactRetracted_TheDuplicateNoNewFact()
    {
        var duplicate = Versioned(Panel("panel1", "2026-03-09T09:00:30-05:00", [], total: Scores.Sum()), "1");
        var stored = Assert.Single(Run(Response("1"), duplicate).OfType("phq9-completed"));

        var run = Run(Response("2", "entered-in-error", MarkedAt), duplicate);

        Assert.Empty(run.OfType("phq9-completed"));
        Assert.Equal(Id(stored), Id(Assert.Single(run.OfType("fact-retracted")), "retractedEventId"));
        Assert.Equal(DateTimeOffset.Parse(MarkedAt), run.OfType("fact-retracted").Single().OccurredAt);
    }

    [Fact]
    public void PanelEnteredInError_RetractsThePanelsFact_ItsMembersNoNewFact()
    {
        var stored = Assert.Single(Run([Versioned(Panel("panel1", Later, [.. Enumerable.Range(0, 9).Select(i => "m" + i)]), "1"), .. Members("m", Later)])
            .OfType("phq9-completed"));

        var run = Run([Versioned(Panel("panel1", Later, [.. Enumerable.Range(0, 9).Select(i => "m" + i)], "entered-in-error"), "2", MarkedAt),
            .. Members("m", Later)]);

        Assert.Equal(Scores, stored.Items);
        Assert.Empty(run.OfType("phq9-completed"));
        Assert.Equal(Id(stored), Id(Assert.Single(run.OfType("fact-retracted")), "retractedEventId"));
    }

    [Fact]
    public void PanelMemberEnteredInError_RetractsThePanelsFact_NotAnIdNeverStored()
    {
        var panel = Versioned(Panel("panel1", Later, [.. Enumerable.Range(0, 9).Select(i => "m" + i)], total: Scores.Sum()), "1");
        var stored = Assert.Single(Run([panel, .. Members("m", Later)]).OfType("phq9-completed"));

        var run = Run([panel, .. Members("m", Later, enteredInError: 4)]);

        // The member's own earlier id was never a fact: the completion was stored under the panel's.
        Assert.Empty(run.OfType("phq9-completed"));
        Assert.Equal(Id(stored), Id(Assert.Single(run.OfType("fact-retracted")), "retractedEventId"));
    }

    [Fact]
    public void LooseItemEnteredInError_RetractsItsGroupsFact()
    {
        var stored = Assert.Single(Run(Members("item", Later)).OfType("phq9-completed"));

        var first = Run(Members("item", Later, enteredInError: 0));
        var other = Run(Members("item", Later, enteredInError: 7));

        Assert.Equal(Scores, stored.Items);
        Assert.Empty(first.OfType("phq9-completed"));
        Assert.Equal(Id(stored), Id(Assert.Single(first.OfType("fact-retracted")), "retractedEventId"));
        // Whichever item is marked, the same retraction: the service stores it once.
        Assert.Equal(Assert.Single(first.OfType("fact-retracted")).Line, Assert.Single(other.OfType("fact-retracted")).Line);
    }

    [Fact]
    public void MedicationStatementEnteredInError_RetractsItsSession()
    {
        string Statement(string status) =>
            "{\"resourceType\":\"MedicationStatement\",\"id\":\"ms1\",\"status\":\"" + status + "\",\"medicationCodeableConcept\":{\"coding\":[{\"system\":\"http://www.nlm.nih.gov/research/umls/rxnorm\",\"code\":\"6130\"}]}," +
            "\"subject\":{\"reference\":\"Patient/p1\"},\"effectiveDateTime\":\"2026-03-04T20:00:00Z\",\"dosage\":[{\"route\":{\"text\":\"by mouth\"},\"doseAndRate\":[{\"doseQuantity\":{\"value\":100,\"unit\":\"mg\"}}]}]}";
        var stored = Run(Versioned(Statement("completed"), "1")).OfType("treatment-session-given").Single(s => s.Text("modality") == "oral-ketamine");

        var run = Run(Versioned(Statement("entered-in-error"), "2", MarkedAt));

        Assert.Equal(Id(stored), Id(Assert.Single(run.OfType("fact-retracted")), "retractedEventId"));
        Assert.Single(run.OfType("treatment-session-given"));
    }
}
