using Outcomes.Domain.Courses;

namespace Outcomes.Domain.Outcomes;

/// One course's stored facts as a read model holds them, in any order. The derivation sorts them itself.
public sealed record CourseFacts(
    PatientEnrolled? Enrolment,
    IReadOnlyList<TreatmentSessionGiven> Sessions,
    IReadOnlyList<Phq9Completed> Scores,
    CourseEnded? Ended)
{
    /// Gathers a course's stored events in any order. Several enrolments keep the earliest; several ends keep the
    /// latest (a later end supersedes). Objects of other types are ignored, so a stream may carry events this
    /// engine does not read.
    public static CourseFacts From(IEnumerable<object> facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        return Gather(facts);
    }

    /// Gathers a course's stored events with their event ids, leaving out every fact a FactRetracted among them names.
    /// The store keeps a retraction only after the fact it names, so the events up to any position hold both or
    /// neither of a retracted fact's appearance and its retraction: a replay to an earlier position still shows it.
    public static CourseFacts From(IReadOnlyCollection<(Guid EventId, object Fact)> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        HashSet<Guid>? retracted = null;
        foreach (var (_, fact) in events)
            if (fact is FactRetracted r) (retracted ??= []).Add(r.RetractedEventId);
        return Gather(retracted is null
            ? events.Select(e => e.Fact)
            : events.Where(e => !retracted.Contains(e.EventId)).Select(e => e.Fact));
    }

    private static CourseFacts Gather(IEnumerable<object> facts)
    {
        PatientEnrolled? enrolment = null;
        CourseEnded? ended = null;
        var sessions = new List<TreatmentSessionGiven>();
        var scores = new List<Phq9Completed>();
        foreach (var fact in facts)
        {
            switch (fact)
            {
                case TreatmentSessionGiven session:
                    sessions.Add(session);
                    break;
                case Phq9Completed score:
                    scores.Add(score);
                    break;
                case PatientEnrolled e when Supersedes(e, enrolment):
                    enrolment = e;
                    break;
                case CourseEnded e when Supersedes(e, ended):
                    ended = e;
                    break;
            }
        }
        return new CourseFacts(enrolment, sessions, scores, ended);
    }

    /// The same facts with sessions and scores in one canonical order (time, then every other value), whatever order
    /// they were given in: two stores of the same facts then hold the same bytes.
    public CourseFacts InCanonicalOrder() => this with
    {
        Sessions = [.. SessionOrder(Sessions)],
        Scores = OutcomeDerivation.SortedScores(Scores, long.MaxValue),
    };

    /// Sessions by time, then by every value an export shows (a dose's scale too: 0.50 is written as given), so
    /// that sessions at one instant come out in the same order from any store.
    public static IOrderedEnumerable<TreatmentSessionGiven> SessionOrder(IEnumerable<TreatmentSessionGiven> sessions) =>
        sessions.OrderBy(s => s.OccurredAt.UtcTicks).ThenBy(s => s.Modality).ThenBy(s => s.Dose).ThenBy(s => s.Dose.Scale)
            .ThenBy(s => s.DoseUnit).ThenBy(s => s.Route).ThenBy(s => s.OccurredAt.Offset);

    /// Whether a course's read model should keep this enrolment instead of the one it holds: the earliest wins,
    /// so read models fed in any arrival order hold the enrolment CourseFacts.From would pick.
    public static bool Supersedes(PatientEnrolled candidate, PatientEnrolled? held)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        return held is null || candidate.OccurredAt < held.OccurredAt;
    }

    /// Whether a course's read model should keep this end instead of the one it holds: the latest wins (a later end
    /// supersedes), ties broken by reason so that arrival order never decides.
    public static bool Supersedes(CourseEnded candidate, CourseEnded? held)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        return held is null || candidate.OccurredAt > held.OccurredAt
            || (candidate.OccurredAt == held.OccurredAt && candidate.Reason > held.Reason);
    }
}
