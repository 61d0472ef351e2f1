using System.Globalization;
using System.Text.Json.Nodes;

namespace Outcomes.Service.Tests.Fixtures;

/// Builds contract v1 JSON messages for one patient course, as an integration engine would send them.
public sealed class CourseFeed(string clinicId, string patientKey)
{
    public static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    public string ClinicId { get; } = clinicId;
    public string PatientKey { get; } = patientKey;

    public static CourseFeed ForNewPatient(string clinicId = "clinic-t") =>
        new(clinicId, NewPatientKey());

    // Letters after the digits: a key of a prefix and digits only would (rightly) be refused as record-number-like.
    public static string NewPatientKey() => "pk" + Guid.NewGuid().ToString("N")[..12] + "x9";

    public JsonObject Envelope(DateTimeOffset at, Guid? eventId = null) => new()
    {
        ["eventId"] = (eventId ?? Guid.NewGuid()).ToString(),
        ["clinicId"] = ClinicId,
        ["patientKey"] = PatientKey,
        ["occurredAt"] = at.ToString("O", CultureInfo.InvariantCulture),
    };

    public JsonObject Enrolment(DateTimeOffset at)
    {
        var o = Envelope(at);
        o["ageBand"] = "35-44";
        o["sex"] = "female";
        o["diagnosisGroup"] = "treatment-resistant-depression";
        o["priorFailedTrials"] = 3;
        o["modality"] = "iv-ketamine";
        o["enrolmentYear"] = at.Year;
        return o;
    }

    public JsonObject Session(DateTimeOffset at)
    {
        var o = Envelope(at);
        o["modality"] = "iv-ketamine";
        o["dose"] = 0.5;
        o["doseUnit"] = "mg/kg";
        o["route"] = "intravenous";
        return o;
    }

    public JsonObject Phq9(DateTimeOffset at, params int[] items)
    {
        var o = Envelope(at);
        o["items"] = new JsonArray(items.Select(i => (JsonNode)i).ToArray());
        return o;
    }

    public JsonObject Phq9Total(DateTimeOffset at, int total)
    {
        var o = Envelope(at);
        o["total"] = total;
        return o;
    }

    public JsonObject Ended(DateTimeOffset at, string reason = "completed")
    {
        var o = Envelope(at);
        o["reason"] = reason;
        return o;
    }

    /// A v1.fact-retracted body naming the fact stored under the event id.
    public JsonObject Retraction(DateTimeOffset at, Guid retractedEventId)
    {
        var o = Envelope(at);
        o["retractedEventId"] = retractedEventId.ToString();
        return o;
    }

    /// The event id of a message built here.
    public static Guid EventIdOf(WireMessage message) => Guid.Parse((string)JsonNode.Parse(message.Json)!["eventId"]!);

    public static WireMessage Message(string type, JsonObject body) => new($"v1.{type}", body.ToJsonString());

    /// A typical induction: enrolment (in the given age band, else the usual one), a baseline PHQ-9, six sessions over
    /// 17 days with PHQ-9s, an end.
    public IReadOnlyList<WireMessage> Induction(string? ageBand = null)
    {
        var enrolment = Enrolment(Start.AddDays(-3));
        if (ageBand is not null) enrolment["ageBand"] = ageBand;
        var messages = new List<WireMessage>
        {
            Message("patient-enrolled", enrolment),
            Message("phq9-completed", Phq9(Start.AddDays(-1), 2, 3, 2, 2, 2, 2, 2, 2, 1)),
        };
        int[] sessionDays = [0, 3, 7, 10, 14, 17];
        int[][] scores = [[2, 2, 2, 2, 1, 2, 1, 1, 0], [1, 1, 1, 1, 1, 1, 1, 0, 0], [1, 1, 0, 1, 0, 1, 0, 0, 0]];
        for (var i = 0; i < sessionDays.Length; i++)
        {
            messages.Add(Message("treatment-session-given", Session(Start.AddDays(sessionDays[i]))));
            if (i % 2 == 1)
                messages.Add(Message("phq9-completed", Phq9(Start.AddDays(sessionDays[i]).AddHours(2), scores[i / 2])));
        }
        messages.Add(Message("course-ended", Ended(Start.AddDays(20))));
        return messages;
    }
}
