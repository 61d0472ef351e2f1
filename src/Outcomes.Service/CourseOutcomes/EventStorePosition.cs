using Npgsql;

namespace Outcomes.Service.CourseOutcomes;

/// The event store's latest position and the store's time there, read inside the caller's snapshot so that whatever
/// else it reads in that transaction stands at exactly that position.
internal static class EventStorePosition
{
    public static async Task<(long Position, DateTimeOffset StoreTime)> LatestAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        string schema, CancellationToken cancellationToken)
    {
        await using var last = new NpgsqlCommand($"select seq_id, timestamp from {schema}.mt_events order by seq_id desc limit 1", connection, transaction);
        await using var reader = await last.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? (reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1))
            : (0, DateTimeOffset.UnixEpoch);
    }
}
