using Outcomes.Domain.Outcomes;
using Outcomes.Domain.Safety;
using Outcomes.Service.Ingestion;

namespace Outcomes.Service.Safety;

/// Raises safety signals as facts arrive: inside every ingestion batch's transaction the changed courses' signals are
/// derived from their post-batch state and the new ones stored (AMQP and bulk alike). After a retraction, a signal of the
/// course that its remaining facts no longer raise is resolved as a data-entry error (SafetySignalStore.WithdrawOthers).
public sealed class SafetySignalWriter(SafetySignalStore store, OutcomeDefinitions definitions) : ICourseChangeObserver
{
    public async Task OnCoursesChanged(IReadOnlyList<ChangedCourse> changed, ICourseChangeTransaction transaction, CancellationToken cancellationToken)
    {
        var signals = new List<SafetySignal>();
        var retracted = new List<(Domain.Courses.CourseKey Course, Guid[] Standing)>();
        foreach (var course in changed)
        {
            var raised = course.Facts.Scores.Count == 0
                ? []
                : SafetySignal.Derive(course.Key, course.Facts, course.Member(definitions).Outcome);
            signals.AddRange(raised);
            if (course.Retracted) retracted.Add((course.Key, raised.Select(s => s.Id).ToArray()));
        }
        await store.Raise(signals, transaction, cancellationToken).ConfigureAwait(false);
        if (retracted.Count > 0)
            await store.WithdrawOthers(retracted, transaction, cancellationToken).ConfigureAwait(false);
    }
}
