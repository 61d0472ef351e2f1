using JasperFx.Events;
using Marten.Events.Aggregation;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;
using Route = Outcomes.Domain.Courses.Route;

namespace Outcomes.Service.Patients;

/// One patient's treatment course as the clinic sent it: attributes, sessions and PHQ-9 series in
/// clinical (OccurredAt) order, whatever order the facts arrived in.
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
    /// retracted, the next CourseFacts.Supersedes picks among these takes its place.
    public List<CourseEnrolment> OtherEnrolments { get; set; } = [];
    public List<CourseEnding> OtherEndings { get; set; } = [];
    /// Number of events stored for this course (retractions included: the outcome read model keeps the row derived from
    /// the most).
    public int FactCount { get; set; }
    public DateTimeOffset LastFactAt { get; set; }

    /// The course's facts as the outcome engine reads them. The projection keeps the enrolment and the end that
    /// CourseFacts.From would pick from the raw events, so both ways to the outcome agree.
    public CourseFacts ToFacts() => new(
        Enrolment?.AsFact(),
        Sessions.Select(s => new TreatmentSessionGiven(s.GivenAt, s.Modality, s.Dose, s.DoseUnit, s.Route)).ToArray(),
        Phq9Scores.Select(p => new Phq9Completed(p.CompletedAt, new Phq9Score(p.Total, p.Items))).ToArray(),
        Ended?.AsFact());
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

/// Inline projection: updated in the same transaction that appends the facts, so the read model is
/// never behind the event store.
public sealed class PatientCourseProjection : SingleStreamProjection<PatientCourse, string>
{
    // Streams that are not courses (the export audit) share the store; their events are no course's facts.
    public override PatientCourse? Evolve(PatientCourse? snapshot, string id, IEvent e) =>
        e.Data is PatientEnrolled or TreatmentSessionGiven or Phq9Completed or CourseEnded or FactRetracted ? Apply(snapshot, id, e.Id, e.Data) : snapshot;

    /// One stored fact applied to the course (a new course when <paramref name="snapshot"/> is null). Shared by
    /// Marten's inline projection and the set-based CourseBatchWriter, so both keep exactly the same read model.
    public static PatientCourse Apply(PatientCourse? snapshot, string id, Guid eventId, object fact)
    {
        var course = snapshot ?? Open(id);
        course.FactCount++;
        switch (fact)
        {
            case PatientEnrolled enrolled:
                // Several enrolments for one course: the earliest stands, whatever order they arrive in.
                var enrolment = new CourseEnrolment(enrolled.OccurredAt, enrolled.AgeBand, enrolled.Sex, enrolled.DiagnosisGroup,
                    enrolled.PriorFailedTrials, enrolled.Modality, enrolled.EnrolmentYear) { EventId = eventId };
                if (CourseFacts.Supersedes(enrolled, course.Enrolment?.AsFact()))
                {
                    if (course.Enrolment is { } held) course.OtherEnrolments.Add(held);
                    course.Enrolment = enrolment;
                }
                else course.OtherEnrolments.Add(enrolment);
                Touch(course, enrolled.OccurredAt);
                break;
            case TreatmentSessionGiven session:
                InsertInOrder(course.Sessions, new CourseSession(eventId, session.OccurredAt, session.Modality, session.Dose, session.DoseUnit, session.Route),
                    s => (s.GivenAt, s.EventId));
                Touch(course, session.OccurredAt);
                break;
            case Phq9Completed phq9:
                var score = phq9.Score;
                InsertInOrder(course.Phq9Scores, new CoursePhq9(eventId, phq9.OccurredAt, score.Total, score.Items, score.IsTotalOnly, score.Severity, score.Item9),
                    s => (s.CompletedAt, s.EventId));
                Touch(course, phq9.OccurredAt);
                break;
            case CourseEnded ended:
                // A later end supersedes an earlier one, whatever order they arrive in.
                var ending = new CourseEnding(ended.OccurredAt, ended.Reason) { EventId = eventId };
                if (CourseFacts.Supersedes(ended, course.Ended?.AsFact()))
                {
                    if (course.Ended is { } held) course.OtherEndings.Add(held);
                    course.Ended = ending;
                }
                else course.OtherEndings.Add(ending);
                Touch(course, ended.OccurredAt);
                break;
            case FactRetracted retraction:
                Retract(course, retraction.RetractedEventId);
                break;
        }
        return course;
    }

    /// The course without the retracted fact, as CourseFacts.From leaves it out of a replay. A retracted enrolment or end
    /// gives way to the next one stored (the earliest other enrolment, the latest other end); with none, the course has
    /// no enrolment, or is ongoing again. The store only keeps a retraction of a fact it holds, so the fact was applied.
    private static void Retract(PatientCourse course, Guid eventId)
    {
        course.Sessions.RemoveAll(s => s.EventId == eventId);
        course.Phq9Scores.RemoveAll(s => s.EventId == eventId);
        course.OtherEnrolments.RemoveAll(e => e.EventId == eventId);
        course.OtherEndings.RemoveAll(e => e.EventId == eventId);
        if (course.Enrolment?.EventId == eventId)
        {
            course.Enrolment = null;
            foreach (var other in course.OtherEnrolments)
                if (CourseFacts.Supersedes(other.AsFact(), course.Enrolment?.AsFact())) course.Enrolment = other;
            if (course.Enrolment is { } next) course.OtherEnrolments.Remove(next);
        }
        if (course.Ended?.EventId == eventId)
        {
            course.Ended = null;
            foreach (var other in course.OtherEndings)
                if (CourseFacts.Supersedes(other.AsFact(), course.Ended?.AsFact())) course.Ended = other;
            if (course.Ended is { } next) course.OtherEndings.Remove(next);
        }
    }

    private static PatientCourse Open(string id)
    {
        var key = CourseKey.Parse(id);
        return new PatientCourse { Id = id, ClinicId = key.ClinicId, PatientKey = key.PatientKey, Course = key.Course };
    }

    private static void Touch(PatientCourse course, DateTimeOffset at)
    {
        if (at > course.LastFactAt) course.LastFactAt = at;
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
