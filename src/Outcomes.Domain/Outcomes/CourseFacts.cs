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
                case PatientEnrolled e when enrolment is null || e.OccurredAt < enrolment.OccurredAt:
                    enrolment = e;
                    break;
                case CourseEnded e when ended is null || e.OccurredAt > ended.OccurredAt
                                        || (e.OccurredAt == ended.OccurredAt && e.Reason > ended.Reason):
                    ended = e;
                    break;
            }
        }
        return new CourseFacts(enrolment, sessions, scores, ended);
    }
}
