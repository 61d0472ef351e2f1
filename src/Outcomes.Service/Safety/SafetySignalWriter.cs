using Npgsql;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;
using Outcomes.Domain.Safety;
using Outcomes.Service.Ingestion;

namespace Outcomes.Service.Safety;

/// Raises safety signals as facts arrive: inside every ingestion batch's transaction the changed courses' signals are
/// derived from their post-batch state and the new ones stored (AMQP and bulk alike).
public sealed class SafetySignalWriter(SafetySignalStore store, OutcomeDefinitions definitions) : ICourseChangeObserver
{
    public async Task OnCoursesChanged(IReadOnlyList<ChangedCourse> changed, NpgsqlConnection connection, NpgsqlTransaction transaction,
        CancellationToken cancellationToken)
    {
        var signals = new List<SafetySignal>();
        foreach (var (course, _) in changed)
        {
            var facts = course.ToFacts();
            if (facts.Scores.Count == 0) continue;
            var outcome = CourseOutcome.Derive(facts, definitions, DateTimeOffset.MaxValue);
            signals.AddRange(SafetySignal.Derive(new CourseKey(course.ClinicId, course.PatientKey, course.Course), facts, outcome));
        }
        await store.Raise(signals, connection, transaction, cancellationToken).ConfigureAwait(false);
    }
}
