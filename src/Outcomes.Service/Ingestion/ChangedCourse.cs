using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Service.Ingestion;

/// A course as it stands after a batch, with the sequence number of its last stored event (0 from the backfill, which tells
/// its observers before it takes sequence numbers, to keep its hold on mt_events short). Its facts and its outcome
/// (every stored fact counted, the read model's rule) are derived once, on first use, and shared by every observer:
/// the read model and the safety signals would otherwise each derive the same outcome. Retracted says the batch stored a
/// retraction for the course, so something derived from it earlier may no longer hold (a safety signal).
///
/// An observer may also carry what it derived from the course to the course's next batch in this process (Carry), and
/// read what it carried from the last one (Carried): kept with the course in CourseCache, so only what a committed batch
/// derived arrives, and nothing when the course was rebuilt from its stream (another instance appended, a restart) or
/// comes from the backfill. The safety signals use it to send only signals not raised before.
public sealed record ChangedCourse(PatientCourse Course, long LastSequence, bool Retracted = false,
    IReadOnlyDictionary<Type, object>? CarriedOver = null)
{
    private CourseFacts? _facts;
    private CohortMember? _member;
    private Dictionary<Type, object>? _carry;

    /// What an observer carried from this course's last committed batch in this process (null when nothing was).
    public T? Carried<T>() where T : class => CarriedOver?.GetValueOrDefault(typeof(T)) as T;

    /// Carries a value to this course's next batch, if this batch commits and the course stays in this process's cache.
    public void Carry<T>(T value) where T : class => (_carry ??= [])[typeof(T)] = value;

    /// What this batch's observers carry on.
    internal IReadOnlyDictionary<Type, object>? CarriedOn => _carry;

    public CourseKey Key => Course.Key;

    public CourseFacts Facts => _facts ??= Course.Facts;

    public CohortMember Member(OutcomeDefinitions definitions) =>
        _member ??= CohortMember.From(Key, Facts, definitions, DateTimeOffset.MaxValue);
}
