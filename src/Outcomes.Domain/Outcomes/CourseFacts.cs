using Outcomes.Domain.Courses;

namespace Outcomes.Domain.Outcomes;

/// One course's stored facts as the outcome engine reads them: a view of the course's state (PatientCourse.Facts).
/// The derivation sorts them itself.
public sealed record CourseFacts(
    PatientEnrolled? Enrolment,
    IReadOnlyList<TreatmentSessionGiven> Sessions,
    IReadOnlyList<Phq9Completed> Scores,
    CourseEnded? Ended)
{
    /// Gathers a course's stored events in any order, by the course's own rules (PatientCourse.Apply). Objects of
    /// other types are ignored, so a stream may carry events this engine does not read.
    public static CourseFacts From(IEnumerable<object> facts) => PatientCourse.FromFacts(facts).Facts;

    /// Gathers a course's stored events with their event ids, in any order, by the course's own rules: a fact a
    /// FactRetracted among them names is left out. The store keeps a retraction only after the fact it names, so the
    /// events up to any position hold both or neither: a replay to an earlier position still shows the fact.
    public static CourseFacts From(IReadOnlyCollection<(Guid EventId, object Fact)> events) => PatientCourse.FromFacts(events).Facts;

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
}
