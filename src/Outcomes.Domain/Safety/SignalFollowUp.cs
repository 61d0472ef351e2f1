namespace Outcomes.Domain.Safety;

/// Where a signal's follow-up stands.
public enum SignalStatus { Open, Acknowledged, Resolved }

/// Follow-up of a signal, recorded as events beside the signal (who, when, a coded reason; never free text, which could
/// carry identifying data or clinical notes that belong in the EHR).
public sealed record SafetySignalAcknowledged(Guid SignalId, string By, string Role, DateTimeOffset At, string Reason);

public sealed record SafetySignalResolved(Guid SignalId, string By, string Role, DateTimeOffset At, string Reason);

public sealed record FollowUpViolation(string Field, string Rule, bool Conflict = false);

/// The decisions of follow-up: pure functions of the signal's status and the request.
public static class SignalFollowUp
{
    public static IReadOnlyList<string> AcknowledgeReasons { get; } = ["seen-by-clinician", "clinician-notified", "already-known-to-clinician"];

    public static IReadOnlyList<string> ResolveReasons { get; } =
    [
        "patient-contacted-safe", "safety-plan-updated", "referred-to-crisis-care", "treatment-plan-changed",
        "not-clinically-significant", "data-entry-error",
    ];

    public static string StatusLabel(SignalStatus status) => status.ToString().ToLowerInvariant();

    public static SignalStatus? ParseStatus(string? label) => label switch
    {
        "open" => SignalStatus.Open,
        "acknowledged" => SignalStatus.Acknowledged,
        "resolved" => SignalStatus.Resolved,
        _ => null,
    };

    public static (SafetySignalAcknowledged? Event, FollowUpViolation? Violation) Acknowledge(
        Guid signal, SignalStatus status, string by, string role, DateTimeOffset at, string? reason)
    {
        if (reason is null || !AcknowledgeReasons.Contains(reason))
            return (null, new FollowUpViolation("reason", $"must be one of {string.Join(", ", AcknowledgeReasons)}, got '{reason}'"));
        if (status != SignalStatus.Open)
            return (null, new FollowUpViolation("status", $"only an open signal can be acknowledged; this one is {StatusLabel(status)}", Conflict: true));
        return (new SafetySignalAcknowledged(signal, by, role, at, reason), null);
    }

    public static (SafetySignalResolved? Event, FollowUpViolation? Violation) Resolve(
        Guid signal, SignalStatus status, string by, string role, DateTimeOffset at, string? reason)
    {
        if (reason is null || !ResolveReasons.Contains(reason))
            return (null, new FollowUpViolation("reason", $"must be one of {string.Join(", ", ResolveReasons)}, got '{reason}'"));
        if (status == SignalStatus.Resolved)
            return (null, new FollowUpViolation("status", "the signal is already resolved", Conflict: true));
        return (new SafetySignalResolved(signal, by, role, at, reason), null);
    }
}
