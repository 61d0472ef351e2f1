using Npgsql;

namespace Outcomes.Service.Ingestion;

/// The batch's transaction as an observer may use it: its statements run inside it and commit or roll back with the
/// batch's facts. Nothing else: no connection to keep, no commit or rollback of its own.
public interface ICourseChangeTransaction
{
    /// Runs the statement; the number of rows it changed.
    Task<int> ExecuteAsync(NpgsqlBatchCommand statement, CancellationToken cancellationToken);

    /// Runs the statement; the first column of its first row (null when none).
    Task<object?> ScalarAsync(NpgsqlBatchCommand statement, CancellationToken cancellationToken);
}
