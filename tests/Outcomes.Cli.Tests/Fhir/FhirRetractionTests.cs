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
}
