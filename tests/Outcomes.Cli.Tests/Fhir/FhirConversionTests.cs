using System.Text;
using System.Text.RegularExpressions;
using Outcomes.Cli.Fhir;
using static Outcomes.Cli.Tests.Fhir.Fhir;

namespace Outcomes.Cli.Tests.Fhir;

public sealed class FhirConversionTests
{
    private const string At = "2026-03-02T09:30:00-05:00";
    private const string Later = "2026-03-09T09:00:00-05:00";

    private static readonly string[] OnePatientWithSession = [Patient("p1"), KetamineIv("ma1", "p1", At)];

    [Fact]
    public void BulkExportFolder_EveryShapeMapped_ReportCountsEachReason()
    {
        var run = FhirRun.Convert([FhirRun.Resources("bulk")]);

        Assert.Equal(2, run.OfType("patient-enrolled").Count());
        Assert.Equal(3, run.OfType("treatment-session-given").Count());
        Assert.Equal(4, run.OfType("phq9-completed").Count());
        Assert.Single(run.OfType("course-ended"));
        Assert.Equal(44, run.Report.Resources);
        Assert.Equal(1, run.Skipped("Observation: status preliminary is not final, amended or corrected"));
        Assert.Equal(1, run.Skipped("Observation: difficulty item 69722-7 is not scored"));
        Assert.Equal(1, run.Skipped("Observation: no subject"));
        Assert.Equal(1, run.Skipped("Observation: same completion as the QuestionnaireResponse it is derived from"));
        Assert.Equal(1, run.Skipped("QuestionnaireResponse: status in-progress is not completed or amended"));
        Assert.Equal(1, run.Skipped("MedicationAdministration: status not-done: not a completed administration"));
        Assert.Equal(1, run.Skipped("MedicationAdministration: medication is not ketamine or esketamine (RxNorm lists)"));
        Assert.Equal(2, run.Skipped("entered-in-error at version 1: no earlier version produced a fact"));
    }

    [Fact]
    public void BulkExportFolder_NoIdentifierNameBirthDateAddressOrResourceIdLeaves()
    {
        var run = FhirRun.Convert([FhirRun.Resources("bulk")]);
        var output = Encoding.UTF8.GetString(run.Output);

        foreach (var secret in new[] { "MRN-000123", "MRN-000456", "Doe", "Jane", "Main St", "Springfield", "1980-06-15", "1995-01-20",
                     "Patient/", "\"p1\"", "ma1", "qr1", "o1-", "hospital.example.org", "question" })
            Assert.DoesNotContain(secret, output);
        Assert.All(run.Facts, f => Assert.Matches("^pk[0-9a-f]{32}v1$", f.PatientKey));
    }

    [Fact]
    public void PanelWithMembersInReverseOrder_ItemsPlacedByLoincCode_DifficultyIgnored_TotalChecked()
    {
        var run = FhirRun.Convert([FhirRun.Resources("bulk")]);

        var baseline = run.OfType("phq9-completed").Single(f => f.OccurredAt == DateTimeOffset.Parse("2026-03-01T14:00:00Z"));
        Assert.Equal([2, 3, 2, 2, 1, 2, 2, 1, 1], baseline.Items!);
        Assert.Equal(16, baseline.Total);
    }

    [Fact]
    public void QuestionnaireResponseWithLinkIdPathsOrdinalExtensionAndNestedGroup_Mapped_PanelDerivedFromItNotAgain()
    {
        var run = FhirRun.Convert([FhirRun.Resources("bulk")]);

        var completion = run.OfType("phq9-completed").Where(f => f.OccurredAt == DateTimeOffset.Parse("2026-03-09T14:00:00Z")).ToList();
        var single = Assert.Single(completion);
        Assert.Equal([1, 1, 1, 1, 1, 1, 1, 1, 0], single.Items!);
        Assert.Equal(8, single.Total);
    }

    [Fact]
    public void ItemObservationsWithoutPanel_GroupedByPatientAndTime_ValueIntegerAccepted()
    {
        var scores = new[] { 3, 2, 1, 0, 1, 2, 3, 2, 1 };
        var observations = new[] { 8, 3, 0, 5, 1, 7, 2, 6, 4 }.Select(i => ItemObservation($"o{i}", "p1", i, scores[i], Later));

        var run = FhirRun.ConvertNdjson(OnePatientWithSession, observations.ToArray());

        var phq9 = Assert.Single(run.OfType("phq9-completed"));
        Assert.Equal(scores, phq9.Items);
        Assert.Null(phq9.Total);
    }

    [Fact]
    public void ItemObservationsAtTwoTimes_TwoCompletions()
    {
        var first = Enumerable.Range(0, 9).Select(i => ItemObservation($"a{i}", "p1", i, Answer(1), Later));
        var second = Enumerable.Range(0, 9).Select(i => ItemObservation($"b{i}", "p1", i, Answer(0), "2026-03-16T09:00:00-05:00"));

        var run = FhirRun.ConvertNdjson(OnePatientWithSession, first.Concat(second).ToArray());

        Assert.Equal([9, 0], run.OfType("phq9-completed").Select(f => f.Items!.Sum()));
    }

    [Fact]
    public void SameCompletionAsQuestionnaireResponseAndItemObservationsWithoutDerivedFrom_OneFact()
    {
        var scores = new[] { 1, 2, 1, 2, 1, 2, 1, 2, 0 };
        var items = Enumerable.Range(0, 9).Select(i => ItemObservation($"o{i}", "p1", i, Answer(scores[i]), "2026-03-09T14:00:30Z"));

        var run = FhirRun.ConvertNdjson(OnePatientWithSession, [QuestionnaireResponse("qr1", "p1", scores, Later), .. items]);

        var phq9 = Assert.Single(run.OfType("phq9-completed"));
        Assert.Equal(scores, phq9.Items);
        Assert.Equal(1, run.Skipped("same completion as another resource read (same patient, time and scores)"));
    }

    [Fact]
    public void DifferentScoresAtTheSameTime_NotTakenForTheSameCompletion()
    {
        var run = FhirRun.ConvertNdjson(OnePatientWithSession,
            [QuestionnaireResponse("qr1", "p1", [1, 1, 1, 1, 1, 1, 1, 1, 1], Later), QuestionnaireResponse("qr2", "p1", [2, 1, 1, 1, 1, 1, 1, 1, 1], Later)]);

        Assert.Equal(2, run.OfType("phq9-completed").Count());
    }

    [Fact]
    public void StatedTotalNotTheSumOfTheItems_Skipped()
    {
        var run = FhirRun.ConvertNdjson(OnePatientWithSession, [QuestionnaireResponse("qr1", "p1", [1, 1, 1, 1, 1, 1, 1, 1, 1], Later, total: 12)]);

        Assert.Empty(run.OfType("phq9-completed"));
        Assert.Equal(1, run.Skipped("QuestionnaireResponse: PHQ-9 stated total does not equal the sum of the items"));
    }

    [Fact]
    public void QuestionnaireItemsInAnyOrder_PlacedByCode()
    {
        var scores = new[] { 0, 1, 2, 3, 0, 1, 2, 3, 1 };
        var run = FhirRun.ConvertNdjson(OnePatientWithSession, [QuestionnaireResponse("qr1", "p1", scores, Later, order: [5, 8, 0, 2, 7, 1, 3, 6, 4])]);

        Assert.Equal(scores, Assert.Single(run.OfType("phq9-completed")).Items);
    }

    [Theory]
    [InlineData("valueInteger", 14)]
    [InlineData("valueString", "14")]
    [InlineData("valueDecimal", 14.0)]
    public void TotalOnlyObservation_AnyNumericShape_KeptAsTotalOnly(string property, object value)
    {
        var run = FhirRun.ConvertNdjson(OnePatientWithSession, [TotalObservation("t1", "p1", property, value, Later)]);

        var phq9 = Assert.Single(run.OfType("phq9-completed"));
        Assert.Null(phq9.Items);
        Assert.Equal(14, phq9.Total);
        Assert.Equal(1, run.Flagged("PHQ-9 total only"));
    }

    [Fact]
    public void TotalOutside0To27_SkippedByTheDomainsRule()
    {
        var run = FhirRun.ConvertNdjson(OnePatientWithSession, [TotalObservation("t1", "p1", "valueInteger", 31, Later)]);

        Assert.Empty(run.OfType("phq9-completed"));
        Assert.Equal(1, run.Skipped("Observation: PHQ-9 total: must be 0-27"));
    }

    [Fact]
    public void TotalOnlyObservation_ValueQuantity_Kept()
    {
        var run = FhirRun.ConvertNdjson(OnePatientWithSession, [TotalObservation("t1", "p1", "valueQuantity", new { value = 9, unit = "{score}" }, Later)]);

        Assert.Equal(9, Assert.Single(run.OfType("phq9-completed")).Total);
    }

    [Theory]
    [InlineData("preliminary", "status preliminary is not final, amended or corrected")]
    [InlineData("registered", "status registered is not final, amended or corrected")]
    public void ObservationNotFinal_SkippedWithReason(string status, string reason)
    {
        var run = FhirRun.ConvertNdjson(OnePatientWithSession, [TotalObservation("t1", "p1", "valueInteger", 9, Later, status)]);

        Assert.Empty(run.OfType("phq9-completed"));
        Assert.Equal(1, run.Skipped("Observation: " + reason));
    }

    [Theory]
    [InlineData("amended")]
    [InlineData("corrected")]
    public void ObservationAmendedOrCorrected_Accepted(string status)
    {
        var run = FhirRun.ConvertNdjson(OnePatientWithSession, [TotalObservation("t1", "p1", "valueInteger", 9, Later, status)]);

        Assert.Single(run.OfType("phq9-completed"));
    }

    [Fact]
    public void ItemsMissing_WithTotal_TotalOnly_WithoutTotal_Skipped()
    {
        var eight = Enumerable.Range(0, 8).Select(i => ItemObservation($"o{i}", "p1", i, 1, Later)).ToArray();
        var withTotal = FhirRun.ConvertNdjson(OnePatientWithSession, [.. eight, TotalObservation("t", "p1", "valueInteger", 9, Later)]);
        var without = FhirRun.ConvertNdjson(OnePatientWithSession, eight);

        var phq9 = Assert.Single(withTotal.OfType("phq9-completed"));
        Assert.Null(phq9.Items);
        Assert.Equal(9, phq9.Total);
        Assert.Empty(without.OfType("phq9-completed"));
        Assert.Equal(1, without.Skipped("PHQ-9 with items missing and no total"));
    }

    [Fact]
    public void AnswerAsUnknownCodeOrFreeText_TakenAsUnanswered_NeverACrash()
    {
        var observations = Enumerable.Range(0, 8).Select(i => ItemObservation($"o{i}", "p1", i, 1, Later))
            .Append(ItemObservation("o8", "p1", 8, "sometimes, maybe", Later))
            .Append(ItemObservation("o9", "p1", 8, new { coding = new[] { new { system = "urn:x", code = "LA9999-9" } } }, Later))
            .Append("{\"resourceType\":\"Observation\",\"status\":7,\"code\":\"not a concept\"}")
            .Append("this line is not JSON")
            .ToArray();

        var run = FhirRun.ConvertNdjson(OnePatientWithSession, observations);

        Assert.Empty(run.OfType("phq9-completed"));
        Assert.Equal(2, run.Skipped("Observation: PHQ-9 item answer missing or not a PHQ-9 answer"));
        Assert.Equal(1, run.Skipped("(unreadable): not FHIR R4 JSON"));
    }

    [Fact]
    public void ObservationWithoutSubject_Skipped()
    {
        var run = FhirRun.ConvertNdjson(OnePatientWithSession,
            ["{\"resourceType\":\"Observation\",\"id\":\"x\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"44261-6\"}]},\"effectiveDateTime\":\"2026-03-09T09:00:00Z\",\"valueInteger\":4}"]);

        Assert.Equal(1, run.Skipped("Observation: no subject"));
    }

    [Fact]
    public void TimeZones_OffsetKept_DateOnlyMidnightUtcFlagged()
    {
        var run = FhirRun.ConvertNdjson(OnePatientWithSession,
            [TotalObservation("t1", "p1", "valueInteger", 9, "2026-03-09T22:30:00+09:00"), TotalObservation("t2", "p1", "valueInteger", 7, "2026-03-20")]);

        var times = run.OfType("phq9-completed").Select(f => f.Text("occurredAt")).ToList();
        Assert.Equal(["2026-03-09T22:30:00+09:00", "2026-03-20T00:00:00+00:00"], times);
        Assert.Equal(1, run.Flagged("Observation: date without a time, taken as 00:00 UTC"));
    }

    [Fact]
    public void TransactionBundleWithUrnReferences_Mapped()
    {
        var run = FhirRun.Convert([FhirRun.Resources("transaction-bundle.json")]);

        Assert.Single(run.OfType("patient-enrolled"));
        Assert.Single(run.OfType("treatment-session-given"));
        var phq9 = Assert.Single(run.OfType("phq9-completed"));
        Assert.Equal(12, phq9.Total);
        Assert.Equal(Assert.Single(run.OfType("patient-enrolled")).PatientKey, phq9.PatientKey);
    }

    [Fact]
    public void TransactionBundle_ReportNamesTypesNeverEntryUrls()
    {
        var run = FhirRun.Convert([FhirRun.Resources("transaction-bundle.json"), FhirRun.Resources("transaction-bundle.json")]);

        Assert.Equal(4, run.Skipped("the same resource version read twice"));
        Assert.DoesNotContain(run.Report.Skipped.Keys.Concat(run.Report.Flagged.Keys), k => k.Contains("urn:", StringComparison.Ordinal));
    }

    [Fact]
    public void ResourceWithoutIdOutsideABundle_Skipped()
    {
        var run = FhirRun.ConvertNdjson(OnePatientWithSession,
            ["{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"44261-6\"}]},\"subject\":{\"reference\":\"Patient/p1\"},\"effectiveDateTime\":\"2026-03-09T09:00:00Z\",\"valueInteger\":4}"]);

        Assert.Empty(run.OfType("phq9-completed"));
        Assert.Equal(1, run.Skipped("Observation: no id (nor a Bundle fullUrl): cannot be told apart from other resources"));
    }

    [Fact]
    public void SearchsetBundleAndSingleResourceFiles_Read()
    {
        var run = FhirRun.Convert([FhirRun.Resources("searchset-bundle.json"), FhirRun.Resources("questionnaire-response.json")]);

        Assert.Single(run.OfType("treatment-session-given"));
        Assert.Equal([2, 2, 2, 2, 2, 2, 2, 2, 1], Assert.Single(run.OfType("phq9-completed")).Items!);
    }

    [Fact]
    public void SameExportConvertedTwice_ByteIdentical()
    {
        var first = FhirRun.Convert([FhirRun.Resources("bulk")]);
        var second = FhirRun.Convert([FhirRun.Resources("bulk")]);

        Assert.Equal(first.Output, second.Output);
    }

    [Fact]
    public void OverlappingExports_SameFactsOnce()
    {
        var once = FhirRun.Convert([FhirRun.Resources("bulk")]);
        var overlapping = FhirRun.Convert([FhirRun.Resources("bulk"), FhirRun.Resources("bulk/Observation.ndjson"), FhirRun.Resources("bulk/Patient.ndjson")]);

        Assert.Equal(once.Output, overlapping.Output);
        Assert.True(overlapping.Skipped("the same resource version read twice") > 0);
    }

    [Fact]
    public void NewerVersionOfAResource_ReplacesTheOlder_WithANewEventId()
    {
        var v1 = TotalObservation("t1", "p1", "valueInteger", 9, Later).Replace("\"id\":\"t1\"", "\"id\":\"t1\",\"meta\":{\"versionId\":\"1\"}");
        var v2 = TotalObservation("t1", "p1", "valueInteger", 11, Later, "amended").Replace("\"id\":\"t1\"", "\"id\":\"t1\",\"meta\":{\"versionId\":\"2\"}");

        var both = FhirRun.ConvertNdjson(OnePatientWithSession, [v2, v1]);
        var first = FhirRun.ConvertNdjson(OnePatientWithSession, [v1]);

        Assert.Equal(11, Assert.Single(both.OfType("phq9-completed")).Total);
        Assert.NotEqual(both.OfType("phq9-completed").Single().Text("eventId"), first.OfType("phq9-completed").Single().Text("eventId"));
    }

    // ---------------------------------------------------------------- answer shapes the mapping table claims

    private static string ResponseWithAnswers(IEnumerable<(string LinkId, object Answer)> items) => Json(new
    {
        resourceType = "QuestionnaireResponse", id = "qr9", status = "completed", questionnaire = "http://loinc.org/q/44249-1",
        subject = new { reference = "Patient/p1" }, authored = Later,
        item = items.Select(i => new { linkId = i.LinkId, answer = new[] { i.Answer } }).ToArray(),
    });

    private static object Weighted(string url, int score) => new
    {
        valueCoding = new
        {
            system = "urn:oid:2.16.840.1.113883.3.9999", code = "ans-" + score, display = "clinic wording",
            extension = new[] { new { url, valueDecimal = (decimal)score } },
        },
    };

    [Theory]
    [InlineData("http://hl7.org/fhir/StructureDefinition/itemWeight")]
    [InlineData("http://hl7.org/fhir/StructureDefinition/ordinalValue")]
    public void AnswerCodedByTheClinic_ScoredByItsItemWeightOrOrdinalValue(string url)
    {
        int[] scores = [3, 2, 1, 0, 3, 2, 1, 0, 1];

        var run = FhirRun.ConvertNdjson(OnePatientWithSession, [ResponseWithAnswers(scores.Select((s, i) => ("/44249-1/" + ItemCodes[i], Weighted(url, s))))]);

        Assert.Equal(scores, Assert.Single(run.OfType("phq9-completed")).Items!);
    }

    [Fact]
    public void PanelComponents_PlacedByCodeInReverseOrder_TotalFromItsComponent()
    {
        int[] scores = [1, 2, 3, 0, 1, 2, 3, 0, 1];
        var panel = Json(new
        {
            resourceType = "Observation", id = "panel9", status = "final",
            code = new { coding = new[] { new { system = Loinc, code = "44249-1" } } },
            subject = new { reference = "Patient/p1" }, effectiveDateTime = Later,
            component = Enumerable.Range(0, 9).Reverse()
                .Select(i => (object)new { code = new { coding = new[] { new { system = Loinc, code = ItemCodes[i] } } }, valueCodeableConcept = Answer(scores[i]) })
                .Append(new { code = new { coding = new[] { new { system = Loinc, code = "44261-6" } } }, valueInteger = scores.Sum() })
                .ToArray(),
        });

        var fact = Assert.Single(FhirRun.ConvertNdjson(OnePatientWithSession, [panel]).OfType("phq9-completed"));

        Assert.Equal(scores, fact.Items!);
        Assert.Equal(scores.Sum(), fact.Total);
    }

    [Fact]
    public void ItemAnswersAsText_DigitsOrTheAnswerListsWording_Scored()
    {
        string[] texts = ["2", "several days", "Nearly every day", "not at all", "1.0", "More than half the days", "0", "3", "Several days"];

        var run = FhirRun.ConvertNdjson(OnePatientWithSession, texts.Select((t, i) => ItemObservation($"t{i}", "p1", i, t, Later)).ToArray());

        Assert.Equal([2, 1, 3, 0, 1, 2, 0, 3, 1], Assert.Single(run.OfType("phq9-completed")).Items!);
    }

    [Fact]
    public void DifficultyItemInsideAQuestionnaireResponse_NotScored_CountedInTheReport()
    {
        int[] scores = [1, 1, 1, 1, 1, 1, 1, 1, 0];
        var items = scores.Select((s, i) => ("/44249-1/" + ItemCodes[i], (object)new { valueCoding = new { system = Loinc, code = AnswerCodes[s] } }))
            .Append(("/44249-1/69722-7", new { valueCoding = new { system = Loinc, code = "LA6572-7" } }))
            .Append(("/44249-1/44261-6", new { valueInteger = 8 }));

        var run = FhirRun.ConvertNdjson(OnePatientWithSession, [ResponseWithAnswers(items)]);

        var fact = Assert.Single(run.OfType("phq9-completed"));
        Assert.Equal(scores, fact.Items!);
        Assert.Equal(8, fact.Total);
        Assert.Equal(1, run.Flagged("QuestionnaireResponse: difficulty item 69722-7 not scored"));
    }
}
