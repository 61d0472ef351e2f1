using Outcomes.Domain.Outcomes;
using Outcomes.Service.Ingestion;

namespace Outcomes.Service.CourseOutcomes;

/// Keeps the outcome read model current: inside every ingestion batch's transaction (AMQP and bulk alike), the
/// changed courses' outcomes are derived again from their post-batch state and upserted in one statement.
public sealed class OutcomeReadModelWriter(OutcomeReadModel readModel, OutcomeDefinitions definitions) : ICourseChangeObserver
{
    public async Task OnCoursesChanged(IReadOnlyList<ChangedCourse> changed, ICourseChangeTransaction transaction, CancellationToken cancellationToken)
    {
        if (changed.Count == 0) return;
        var rows = new CourseOutcomeRow[changed.Count];
        for (var i = 0; i < rows.Length; i++)
            rows[i] = CourseOutcomeRow.From(changed[i], definitions);
        await transaction.ExecuteAsync(readModel.Table.Upsert(rows, definitions), cancellationToken).ConfigureAwait(false);
    }
}
