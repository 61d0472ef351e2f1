namespace Outcomes.Service.Ingestion;

/// Told, inside the batch's transaction and just before it commits, which courses the batch changed,
/// so that a read model derived from the courses is written in the same transaction as the facts. The courses are the
/// writer's working state (CourseCache): read them during the call, never keep them, since a later batch applies its
/// facts to the same objects.
public interface ICourseChangeObserver
{
    Task OnCoursesChanged(IReadOnlyList<ChangedCourse> changed, ICourseChangeTransaction transaction, CancellationToken cancellationToken);
}
