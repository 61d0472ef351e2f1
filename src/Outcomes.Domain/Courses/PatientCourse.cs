using System.Text.Json.Serialization;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Domain.Courses;

/// One patient's treatment course as the clinic sent it: the state its facts build, in the style of event-sourced
/// samples that keep the state and its apply rules beside the events (CourseEvents.cs). Attributes, sessions and PHQ-9
/// series are held in clinical (OccurredAt) order whatever order the facts arrived in. The same state is the course
/// ingestion changes in memory and the course a replay of its events up to a position builds (no copy of it is stored:
/// the course endpoints answer a replay of the stream); the outcome engine reads it through <see cref="Facts"/>.
public sealed class PatientCourse
{
    /// The stream key: clinic/patientKey/course.
    public string Id { get; set; } = "";
    public string ClinicId { get; set; } = "";
    public string PatientKey { get; set; } = "";
    public int Course { get; set; }
    public CourseEnrolment? Enrolment { get; set; }
    public List<CourseSession> Sessions { get; set; } = [];
    public List<CoursePhq9> Phq9Scores { get; set; } = [];
    public CourseEnding? Ended { get; set; }
    /// The enrolments and ends stored for the course besides the ones in force (usually none): when the one in force is
    /// retracted, the next one by the same rule takes its place.
    public List<CourseEnrolment> OtherEnrolments { get; set; } = [];
    public List<CourseEnding> OtherEndings { get; set; } = [];
    /// Number of events stored for this course (retractions included: the outcome read model keeps the row derived from
    /// the most).
    public int FactCount { get; set; }
    public DateTimeOffset LastFactAt { get; set; }

    /// The event types that are a course's facts; a course stream holds nothing else, and every other stream (the
    /// export audit) none of them.
    public static IReadOnlyList<Type> FactTypes { get; } =
        [typeof(PatientEnrolled), typeof(TreatmentSessionGiven), typeof(Phq9Completed), typeof(CourseEnded), typeof(FactRetracted)];

    [JsonIgnore]
    public CourseKey Key => new(ClinicId, PatientKey, Course);

    /// The course's facts as the outcome engine reads them: a view of this state, not stored.
    [JsonIgnore]
    public CourseFacts Facts => new(
        Enrolment?.AsFact(),
        Sessions.Select(s => new TreatmentSessionGiven(s.GivenAt, s.Modality, s.Dose, s.DoseUnit, s.Route)).ToArray(),
        Phq9Scores.Select(p => new Phq9Completed(p.CompletedAt, new Phq9Score(p.Total, p.Items))).ToArray(),
        Ended?.AsFact());

    /// A course with no facts yet.
    public static PatientCourse Open(CourseKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new PatientCourse { Id = key.ToString(), ClinicId = key.ClinicId, PatientKey = key.PatientKey, Course = key.Course };
    }

    /// A course built from facts without their stored identity (tests, plain fact lists): facts at one instant keep the
    /// order they are given in.
    public static PatientCourse FromFacts(IEnumerable<object> facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        return FromFacts(facts.Select(f => (Guid.Empty, f)));
    }

    /// A course built from stored events in any order: retractions are applied after the facts (the store only keeps a
    /// retraction after the fact it names, so this is stream order's outcome too).
    public static PatientCourse FromFacts(IEnumerable<(Guid EventId, object Fact)> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var course = new PatientCourse();
        var retractions = new List<(Guid, object)>();
        foreach (var (id, fact) in events)
            if (fact is FactRetracted) retractions.Add((id, fact));
            else course.Apply(id, fact);
        foreach (var (id, fact) in retractions) course.Apply(id, fact);
        return course;
    }

    /// One stored fact applied to the course; false (and nothing changed) for an object that is not a course's fact.
    /// Arrival order never changes the state: series are ordered by time, then event id; several enrolments keep the
    /// earliest (Supersedes); several ends keep the latest (a later end supersedes), ties broken by reason; a
    /// retraction takes the fact it names out (the store keeps it only after that fact).
    public bool Apply(Guid eventId, object fact)
    {
        switch (fact)
        {
            case PatientEnrolled enrolled:
                var enrolment = new CourseEnrolment(enrolled.OccurredAt, enrolled.AgeBand, enrolled.Sex, enrolled.DiagnosisGroup,
                    enrolled.PriorFailedTrials, enrolled.Modality, enrolled.EnrolmentYear) { EventId = eventId };
                if (Supersedes(enrolment, Enrolment))
                {
                    if (Enrolment is { } heldEnrolment) OtherEnrolments.Add(heldEnrolment);
                    Enrolment = enrolment;
                }
                else OtherEnrolments.Add(enrolment);
                Touch(enrolled.OccurredAt);
                break;
            case TreatmentSessionGiven session:
                InsertInOrder(Sessions, new CourseSession(eventId, session.OccurredAt, session.Modality, session.Dose, session.DoseUnit, session.Route),
                    s => (s.GivenAt, s.EventId));
                Touch(session.OccurredAt);
                break;
            case Phq9Completed phq9:
                var score = phq9.Score;
                InsertInOrder(Phq9Scores, new CoursePhq9(eventId, phq9.OccurredAt, score.Total, score.Items, score.IsTotalOnly, score.Severity, score.Item9),
                    s => (s.CompletedAt, s.EventId));
                Touch(phq9.OccurredAt);
                break;
            case CourseEnded ended:
                var ending = new CourseEnding(ended.OccurredAt, ended.Reason) { EventId = eventId };
                if (Supersedes(ending, Ended))
                {
                    if (Ended is { } heldEnding) OtherEndings.Add(heldEnding);
                    Ended = ending;
                }
                else OtherEndings.Add(ending);
                Touch(ended.OccurredAt);
                break;
            case FactRetracted retraction:
                Retract(retraction.RetractedEventId);
                break;
            default:
                return false;
        }
        FactCount++;
        return true;
    }

    /// Whether this enrolment stands instead of the one held: the earliest wins, whatever order they arrive in.
    private static bool Supersedes(CourseEnrolment candidate, CourseEnrolment? held) => held is null || candidate.EnrolledAt < held.EnrolledAt;

    /// Whether this end stands instead of the one held: the latest wins (a later end supersedes), ties broken by reason so
    /// that arrival order never decides.
    private static bool Supersedes(CourseEnding candidate, CourseEnding? held) =>
        held is null || candidate.EndedAt > held.EndedAt || (candidate.EndedAt == held.EndedAt && candidate.Reason > held.Reason);

    /// The course without the retracted fact. A retracted enrolment or end gives way to the next one stored (the earliest
    /// other enrolment, the latest other end); with none, the course has no enrolment, or is ongoing again.
    private void Retract(Guid eventId)
    {
        Sessions.RemoveAll(s => s.EventId == eventId);
        Phq9Scores.RemoveAll(s => s.EventId == eventId);
        OtherEnrolments.RemoveAll(e => e.EventId == eventId);
        OtherEndings.RemoveAll(e => e.EventId == eventId);
        if (Enrolment?.EventId == eventId)
        {
            Enrolment = null;
            foreach (var other in OtherEnrolments)
                if (Supersedes(other, Enrolment)) Enrolment = other;
            if (Enrolment is { } next) OtherEnrolments.Remove(next);
        }
        if (Ended?.EventId == eventId)
        {
            Ended = null;
            foreach (var other in OtherEndings)
                if (Supersedes(other, Ended)) Ended = other;
            if (Ended is { } next) OtherEndings.Remove(next);
        }
    }

    private void Touch(DateTimeOffset at)
    {
        if (at > LastFactAt) LastFactAt = at;
    }

    // Ordered by time, then event id, so arrival order never changes the stored series.
    private static void InsertInOrder<T>(List<T> list, T item, Func<T, (DateTimeOffset, Guid)> key)
    {
        var k = key(item);
        var i = list.Count;
        while (i > 0 && Compare(key(list[i - 1]), k) > 0) i--;
        list.Insert(i, item);
    }

    private static int Compare((DateTimeOffset At, Guid Id) a, (DateTimeOffset At, Guid Id) b)
    {
        var byTime = a.At.CompareTo(b.At);
        return byTime != 0 ? byTime : a.Id.CompareTo(b.Id);
    }
}

public sealed record CourseEnrolment(DateTimeOffset EnrolledAt, AgeBand AgeBand, Sex Sex, DiagnosisGroup DiagnosisGroup,
    int PriorFailedTrials, Modality Modality, int EnrolmentYear)
{
    /// The stored event's id, so that a retraction can name it (empty in documents stored before retractions existed).
    public Guid EventId { get; init; }

    public PatientEnrolled AsFact() => new(EnrolledAt, AgeBand, Sex, DiagnosisGroup, PriorFailedTrials, Modality, EnrolmentYear);
}

public sealed record CourseSession(Guid EventId, DateTimeOffset GivenAt, Modality Modality, decimal Dose, DoseUnit DoseUnit, Route Route);

public sealed record CoursePhq9(Guid EventId, DateTimeOffset CompletedAt, int Total, IReadOnlyList<int>? Items, bool TotalOnly,
    Phq9Severity Severity, int? Item9);

public sealed record CourseEnding(DateTimeOffset EndedAt, CourseEndReason Reason)
{
    /// The stored event's id, so that a retraction can name it (empty in documents stored before retractions existed).
    public Guid EventId { get; init; }

    public CourseEnded AsFact() => new(EndedAt, Reason);
}
