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
            // Every signal the course raised at its last commit in this process is stored (that batch sent all it did not
            // know of, in the transaction that committed): only the others are sent. Without that memory (a course rebuilt
            // from its stream, the backfill), all are sent and the store keeps those it has (on conflict do nothing).
            var stored = course.Carried<RaisedSignals>();
            signals.AddRange(stored is null ? raised : raised.Where(s => !stored.Ids.Contains(s.Id)));
            course.Carry(new RaisedSignals(raised.Select(s => s.Id).ToHashSet()));
            if (course.Retracted) retracted.Add((course.Key, raised.Select(s => s.Id).ToArray()));
        }
        await store.Raise(signals, transaction, cancellationToken).ConfigureAwait(false);
        if (retracted.Count > 0)
            await store.WithdrawOthers(retracted, transaction, cancellationToken).ConfigureAwait(false);
    }
}

/// The ids of the signals a course's facts raised at its last committed batch in this process (ChangedCourse.Carry).
public sealed record RaisedSignals(HashSet<Guid> Ids);
