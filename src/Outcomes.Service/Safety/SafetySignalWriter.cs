using Outcomes.Domain.Outcomes;
using Outcomes.Domain.Safety;
using Outcomes.Service.Ingestion;

namespace Outcomes.Service.Safety;

/// Raises safety signals as facts arrive: inside every ingestion batch's transaction the changed courses' signals are
/// derived from their post-batch state and the new ones stored (AMQP and bulk alike).
public sealed class SafetySignalWriter(SafetySignalStore store, OutcomeDefinitions definitions) : ICourseChangeObserver
{
    public async Task OnCoursesChanged(IReadOnlyList<ChangedCourse> changed, ICourseChangeTransaction transaction, CancellationToken cancellationToken)
    {
        var signals = new List<SafetySignal>();
        foreach (var course in changed)
        {
            if (course.Facts.Scores.Count == 0) continue;
            signals.AddRange(SafetySignal.Derive(course.Key, course.Facts, course.Member(definitions).Outcome));
        }
        await store.Raise(signals, transaction, cancellationToken).ConfigureAwait(false);
    }
}
