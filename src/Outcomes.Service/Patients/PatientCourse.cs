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
    /// Number of facts stored for this course.
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
    public PatientEnrolled AsFact() => new(EnrolledAt, AgeBand, Sex, DiagnosisGroup, PriorFailedTrials, Modality, EnrolmentYear);
}

public sealed record CourseSession(Guid EventId, DateTimeOffset GivenAt, Modality Modality, decimal Dose, DoseUnit DoseUnit, Route Route);

public sealed record CoursePhq9(Guid EventId, DateTimeOffset CompletedAt, int Total, IReadOnlyList<int>? Items, bool TotalOnly,
    Phq9Severity Severity, int? Item9);

public sealed record CourseEnding(DateTimeOffset EndedAt, CourseEndReason Reason)
{
    public CourseEnded AsFact() => new(EndedAt, Reason);
}

/// Inline projection: updated in the same transaction that appends the facts, so the read model is
/// never behind the event store.
public sealed class PatientCourseProjection : SingleStreamProjection<PatientCourse, string>
{
    // Streams that are not courses (the export audit) share the store; their events are no course's facts.
    public override PatientCourse? Evolve(PatientCourse? snapshot, string id, IEvent e) =>
        e.Data is PatientEnrolled or TreatmentSessionGiven or Phq9Completed or CourseEnded ? Apply(snapshot, id, e.Id, e.Data) : snapshot;

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
                if (CourseFacts.Supersedes(enrolled, course.Enrolment?.AsFact()))
                    course.Enrolment = new CourseEnrolment(enrolled.OccurredAt, enrolled.AgeBand, enrolled.Sex, enrolled.DiagnosisGroup,
                    enrolled.PriorFailedTrials, enrolled.Modality, enrolled.EnrolmentYear);
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
                if (CourseFacts.Supersedes(ended, course.Ended?.AsFact()))
                    course.Ended = new CourseEnding(ended.OccurredAt, ended.Reason);
                Touch(course, ended.OccurredAt);
                break;
        }
        return course;
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
