using JasperFx.Events;
using Marten.Events.Aggregation;
using Outcomes.Domain.Courses;

namespace Outcomes.Service.EventStore;

/// Marten's inline projection of a course stream into its PatientCourse document: updated in the same transaction that
/// appends the facts, so the document is never behind the event store. The rules are the course's own (PatientCourse.Apply).
public sealed class PatientCourseProjection : SingleStreamProjection<PatientCourse, string>
{
    // Streams that are not courses (the export audit) share the store; their events are no course's facts.
    public override PatientCourse? Evolve(PatientCourse? snapshot, string id, IEvent e)
    {
        if (snapshot is null && !PatientCourse.FactTypes.Contains(e.Data.GetType())) return snapshot;
        var course = snapshot ?? PatientCourse.Open(CourseKey.Parse(id));
        course.Apply(e.Id, e.Data);
        return course;
    }
}
