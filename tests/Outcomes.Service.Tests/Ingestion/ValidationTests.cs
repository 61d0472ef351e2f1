using System.Text.Json.Nodes;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.Ingestion;

/// Every validation rule over the real broker: the breaking message is rejected with that rule,
/// parked in the error queue with its reason, listed by the API, and its neighbours are stored.
[Collection(IngestionCollection.Name)]
public sealed class ValidationTests(IngestionFixture fixture)
{
    private sealed record Case(string RoutingKey, Func<CourseFeed, string> Body, string Field, string Rule);

    private static readonly DateTimeOffset At = CourseFeed.Start.AddDays(2);

    private static JsonObject Phq9(CourseFeed f) => f.Phq9(At, 1, 1, 1, 1, 1, 1, 1, 1, 1);

    private static string With(JsonObject body, string property, JsonNode? value)
    {
        body[property] = value;
        return body.ToJsonString();
    }

    private static string Without(JsonObject body, string property)
    {
        body.Remove(property);
        return body.ToJsonString();
    }

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["item above 3"] = new("v1.phq9-completed", f => f.Phq9(At, 1, 1, 1, 1, 1, 1, 1, 1, 4).ToJsonString(), "items[8]", "item 9 must be 0-3"),
        ["item below 0"] = new("v1.phq9-completed", f => f.Phq9(At, -1, 1, 1, 1, 1, 1, 1, 1, 1).ToJsonString(), "items[0]", "item 1 must be 0-3"),
        ["eight items"] = new("v1.phq9-completed", f => f.Phq9(At, 1, 1, 1, 1, 1, 1, 1, 1).ToJsonString(), "items", "exactly 9"),
        ["total above 27"] = new("v1.phq9-completed", f => f.Phq9Total(At, 28).ToJsonString(), "total", "must be 0-27"),
        ["total not sum of items"] = new("v1.phq9-completed", f => With(Phq9(f), "total", 10), "total", "must equal the sum of the items (9)"),
        ["neither items nor total"] = new("v1.phq9-completed", f => f.Envelope(At).ToJsonString(), "items", "items or total is required"),
        ["time in the future"] = new("v1.phq9-completed", f => With(Phq9(f), "occurredAt", DateTimeOffset.UtcNow.AddDays(1).ToString("O")), "occurredAt", "must not be in the future"),
        ["time missing"] = new("v1.phq9-completed", f => Without(Phq9(f), "occurredAt"), "occurredAt", "is required"),
        ["time not a date"] = new("v1.phq9-completed", f => With(Phq9(f), "occurredAt", "yesterday"), "occurredAt", "ISO 8601"),
        ["event id missing"] = new("v1.phq9-completed", f => Without(Phq9(f), "eventId"), "eventId", "is required"),
        ["event id not a uuid"] = new("v1.phq9-completed", f => With(Phq9(f), "eventId", "42"), "eventId", "must be a UUID"),
        ["clinic id missing"] = new("v1.phq9-completed", f => Without(Phq9(f), "clinicId"), "clinicId", "is required"),
        ["clinic id malformed"] = new("v1.phq9-completed", f => With(Phq9(f), "clinicId", "Clinic A!"), "clinicId", "lower-case letters"),
        ["patient key missing"] = new("v1.phq9-completed", f => Without(Phq9(f), "patientKey"), "patientKey", "is required"),
        ["patient key is an e-mail"] = new("v1.phq9-completed", f => With(Phq9(f), "patientKey", "jane.doe@example.org"), "patientKey", "e-mail"),
        ["patient key is a name"] = new("v1.phq9-completed", f => With(Phq9(f), "patientKey", "Jane Doe"), "patientKey", "reads like a name"),
        ["patient key is a name without spaces"] = new("v1.phq9-completed", f => With(Phq9(f), "patientKey", "JaneDoeSmith"), "patientKey", "reads like a name"),
        ["patient key is an SSN"] = new("v1.phq9-completed", f => With(Phq9(f), "patientKey", "123-45-6789"), "patientKey", "social security"),
        ["patient key is a phone number"] = new("v1.phq9-completed", f => With(Phq9(f), "patientKey", "555-867-5309"), "patientKey", "phone"),
        ["patient key is a record number"] = new("v1.phq9-completed", f => With(Phq9(f), "patientKey", "MRN00123456"), "patientKey", "medical record number"),
        ["unknown property"] = new("v1.phq9-completed", f => With(Phq9(f), "comment", "patient said she felt low"), "comment", "unknown property"),
        ["course zero"] = new("v1.phq9-completed", f => With(Phq9(f), "course", 0), "course", "must be 1-99"),
        ["unknown modality"] = new("v1.treatment-session-given", f => With(f.Session(At), "modality", "psilocybin"), "modality", "must be one of"),
        ["route does not fit modality"] = new("v1.treatment-session-given", f => With(f.Session(At), "route", "oral"), "route", "does not fit"),
        ["dose zero"] = new("v1.treatment-session-given", f => With(f.Session(At), "dose", 0), "dose", "greater than 0"),
        ["dose missing"] = new("v1.treatment-session-given", f => Without(f.Session(At), "dose"), "dose", "is required"),
        ["unknown dose unit"] = new("v1.treatment-session-given", f => With(f.Session(At), "doseUnit", "ml"), "doseUnit", "must be one of"),
        ["unknown age band"] = new("v1.patient-enrolled", f => With(f.Enrolment(At), "ageBand", "37"), "ageBand", "must be one of"),
        ["unknown sex"] = new("v1.patient-enrolled", f => With(f.Enrolment(At), "sex", "f"), "sex", "must be one of"),
        ["unknown diagnosis group"] = new("v1.patient-enrolled", f => With(f.Enrolment(At), "diagnosisGroup", "anxiety"), "diagnosisGroup", "must be one of"),
        ["negative prior trials"] = new("v1.patient-enrolled", f => With(f.Enrolment(At), "priorFailedTrials", -1), "priorFailedTrials", "must be 0-30"),
        ["prior trials missing"] = new("v1.patient-enrolled", f => Without(f.Enrolment(At), "priorFailedTrials"), "priorFailedTrials", "is required"),
        ["enrolment year far from the fact"] = new("v1.patient-enrolled", f => With(f.Enrolment(At), "enrolmentYear", 2019), "enrolmentYear", "must match the year"),
        ["unknown end reason"] = new("v1.course-ended", f => With(f.Ended(At), "reason", "moved away"), "reason", "must be one of"),
        ["unknown message type"] = new("v1.blood-pressure", f => Phq9(f).ToJsonString(), "routingKey", "unknown message type"),
        ["unsupported version"] = new("v2.phq9-completed", f => Phq9(f).ToJsonString(), "routingKey", "not supported"),
        ["body not JSON"] = new("v1.phq9-completed", _ => "PHQ9 total=12", "body", "must be a single JSON object"),
        ["body a JSON array"] = new("v1.phq9-completed", f => new JsonArray(Phq9(f)).ToJsonString(), "body", "JSON"),
    };

    public static TheoryData<string> CaseNames() => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task MessageBreakingRule_RejectedWithReason_NeighboursStored(string caseName)
    {
        var rule = Cases[caseName];
        var feed = CourseFeed.ForNewPatient();
        var before = CourseFeed.Message("phq9-completed", feed.Phq9Total(CourseFeed.Start, 20));
        var bad = new WireMessage(rule.RoutingKey, rule.Body(feed));
        var after = CourseFeed.Message("phq9-completed", feed.Phq9Total(CourseFeed.Start.AddDays(7), 9));

        await fixture.Publisher.PublishAll([before, bad, after]);

        var course = await fixture.CourseWith(feed, 2);
        Assert.Equal([20, 9], course.Phq9Scores.Select(s => s.Total));

        var queuedReason = await fixture.TakeFromErrorQueue(bad.Json);
        // A body that is not JSON at all fails in MassTransit's JSON reader, which writes its own reason
        // (e.g. "'P' is an invalid start of a value") into the error queue; everything else carries ours.
        var unparseable = caseName == "body not JSON";
        if (!unparseable)
        {
            Assert.StartsWith(rule.Field + ":", queuedReason);
            Assert.Contains(rule.Rule, queuedReason);
        }
        Assert.False(string.IsNullOrWhiteSpace(queuedReason));

        var rejections = await Eventually.Until(() => fixture.Rejections(),
            list => list.Any(r => r.Field == rule.Field && r.Rule.Contains(rule.Rule) && (unparseable || r.Reason == queuedReason)),
            $"the rejection '{rule.Field}: {rule.Rule}' listed by the API");
        var rejection = rejections.First(r => r.Field == rule.Field && r.Rule.Contains(rule.Rule));
        // No patient data is kept, whatever the message carried.
        Assert.DoesNotContain(feed.PatientKey, System.Text.Json.JsonSerializer.Serialize(rejection));
    }
}
