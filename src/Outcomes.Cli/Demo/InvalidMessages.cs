using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Outcomes.Contracts;

namespace Outcomes.Cli.Demo;

/// <summary>
/// Deliberately broken variants of real facts, one rule broken each, so a demo can show every kind of
/// rejection landing in the error queue with its reason. Each gets a fresh event id: it is a new
/// message, not a corrupted redelivery of the valid one.
/// </summary>
public static class InvalidMessages
{
    public const string ItemOutOfRange = "item-out-of-range";
    public const string TotalMismatch = "total-mismatch";
    public const string TotalOutOfRange = "total-out-of-range";
    public const string WrongItemCount = "wrong-item-count";
    public const string NoScore = "no-items-or-total";
    public const string NegativeDose = "negative-dose";
    public const string UnknownModality = "unknown-modality";
    public const string MissingField = "missing-field";
    public const string UnknownField = "unknown-field";
    public const string BadClinicId = "bad-clinic-id";
    public const string FutureTime = "future-time";
    public const string MalformedJson = "malformed-json";
    public const string TypeMismatch = "type-mismatch";

    private static readonly string[] AnyFact = [MissingField, UnknownField, BadClinicId, FutureTime, MalformedJson, TypeMismatch];
    private static readonly string[] ScoreWithItems = [ItemOutOfRange, TotalMismatch, WrongItemCount, TotalOutOfRange, NoScore];
    private static readonly string[] ScoreTotalOnly = [TotalOutOfRange, NoScore];
    private static readonly string[] Session = [NegativeDose, UnknownModality];
    private static readonly string[] Enrolment = [UnknownModality];

    public static DemoMessage Create(IClinicEvent fact, DemoMessage valid, DemoRandom random)
    {
        var specific = fact switch
        {
            Phq9Completed { Items: not null } => ScoreWithItems,
            Phq9Completed => ScoreTotalOnly,
            TreatmentSessionGiven => Session,
            PatientEnrolled => Enrolment,
            _ => [],
        };
        // Type-specific rules first, as they are the ones a demo most wants to show.
        var kind = specific.Length > 0 && random.Chance(0.6)
            ? specific[random.Next(specific.Length)]
            : AnyFact[random.Next(AnyFact.Length)];

        var eventId = random.NextGuid().ToString();
        var body = JsonNode.Parse(valid.Body)!.AsObject();
        body["eventId"] = eventId;
        var routingKey = valid.RoutingKey;
        switch (kind)
        {
            case ItemOutOfRange:
                body["items"]![random.Next(9)] = 4;
                body.Remove("total");
                break;
            case TotalMismatch:
                var sum = ((Phq9Completed)fact).Items!.Sum();
                body["total"] = sum <= 24 ? sum + 3 : sum - 3;
                break;
            case TotalOutOfRange:
                body.Remove("items");
                body["total"] = 28 + random.Next(8);
                break;
            case WrongItemCount:
                body["items"]!.AsArray().RemoveAt(8);
                body.Remove("total");
                break;
            case NoScore:
                body.Remove("items");
                body.Remove("total");
                break;
            case NegativeDose:
                body["dose"] = -((TreatmentSessionGiven)fact).Dose;
                break;
            case UnknownModality:
                body["modality"] = "nitrous-oxide";
                break;
            case MissingField:
                body.Remove("patientKey");
                break;
            case UnknownField:
                // Free text must never ride along: the contract rejects unknown properties.
                body["patientName"] = "Jane Example";
                break;
            case BadClinicId:
                body["clinicId"] = "Clinic A!";
                break;
            case FutureTime:
                body["occurredAt"] = "2099-01-01T09:00:00+00:00";
                break;
            case TypeMismatch:
                var others = WireContract.MessageTypes.Keys.Where(k => WireContract.RoutingKey(k) != valid.RoutingKey).ToArray();
                routingKey = WireContract.RoutingKey(others[random.Next(others.Length)]);
                break;
        }

        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, DemoFeed.PublisherJson);
        if (kind == MalformedJson)
            bytes = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(bytes)[..(bytes.Length / 2)]);
        return new DemoMessage(routingKey, eventId, valid.CorrelationId, bytes, Invalid: kind);
    }
}
