using System.Text.Json;
using System.Text.RegularExpressions;
using Outcomes.Contracts;

namespace Outcomes.Cli.Tests.Demo;

/// <summary>The contract's basic rules, read from the field documentation in Outcomes.Contracts.</summary>
internal static partial class WireRules
{
    [GeneratedRegex("^[a-z0-9-]{2,40}$")]
    private static partial Regex ClinicId();

    [GeneratedRegex("^[A-Za-z0-9_-]{8,64}$")]
    private static partial Regex PatientKey();

    /// <summary>The body read as the type its routing key names, or null when it does not parse under the wire's JSON settings.</summary>
    public static IClinicEvent? TryRead(string routingKey, byte[] body)
    {
        var prefix = WireContract.Version + ".";
        if (!routingKey.StartsWith(prefix, StringComparison.Ordinal) ||
            !WireContract.MessageTypes.TryGetValue(routingKey[prefix.Length..], out var type))
            return null;
        try
        {
            return (IClinicEvent?)JsonSerializer.Deserialize(body, type, WireContract.JsonOptions);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static List<string> Violations(IClinicEvent fact, DateTimeOffset notAfter)
    {
        var violations = new List<string>();
        if (!ClinicId().IsMatch(fact.ClinicId)) violations.Add($"clinicId '{fact.ClinicId}'");
        if (!PatientKey().IsMatch(fact.PatientKey)) violations.Add($"patientKey '{fact.PatientKey}'");
        if (fact.EventId == Guid.Empty) violations.Add("empty eventId");
        if (fact.OccurredAt >= notAfter) violations.Add($"occurredAt {fact.OccurredAt:O} not before {notAfter:O}");
        if (fact.OccurredAt > DateTimeOffset.UtcNow) violations.Add($"occurredAt {fact.OccurredAt:O} in the future");
        if (fact.Course is < 1) violations.Add($"course {fact.Course}");
        switch (fact)
        {
            case Phq9Completed { Items: null, Total: null }:
                violations.Add("neither items nor total");
                break;
            case Phq9Completed score:
                if (score.Items is { } items)
                {
                    if (items.Length != 9) violations.Add($"{items.Length} items");
                    if (items.Any(i => i is < 0 or > 3)) violations.Add($"item out of 0-3: [{string.Join(",", items)}]");
                    if (score.Total is { } total && total != items.Sum()) violations.Add($"total {total} != sum {items.Sum()}");
                }
                if (score.Total is < 0 or > 27) violations.Add($"total {score.Total} out of 0-27");
                break;
            case TreatmentSessionGiven session when session.Dose <= 0:
                violations.Add($"dose {session.Dose}");
                break;
            case PatientEnrolled enrolled when enrolled.PriorFailedTrials is < 0 or > 30:
                violations.Add($"priorFailedTrials {enrolled.PriorFailedTrials}");
                break;
        }
        return violations;
    }
}
