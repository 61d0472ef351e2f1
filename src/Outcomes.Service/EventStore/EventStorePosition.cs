using Npgsql;

namespace Outcomes.Service.EventStore;

/// A position in the event store (Marten's seq_id) and the store's time there: the one place that reads them. Read
/// inside the caller's snapshot (transaction), whatever else it reads in that transaction stands at exactly that position.
public static class EventStorePosition
{
    /// The latest position and the store's time there; (0, Unix epoch) for an empty store.
    public static async Task<(long Position, DateTimeOffset StoreTime)> LatestAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction,
        string schema, CancellationToken cancellationToken)
    {
        await using var last = new NpgsqlCommand($"select seq_id, timestamp from {schema}.mt_events order by seq_id desc limit 1", connection, transaction);
        await using var reader = await last.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? (reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1))
            : (0, DateTimeOffset.UnixEpoch);
    }

    /// The latest position alone, on a connection of its own (no snapshot to share).
    public static async Task<long> LatestAsync(NpgsqlDataSource database, string schema, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return (await LatestAsync(connection, null, schema, cancellationToken)).Position;
    }

    /// The store's time at a position: the timestamp of the last event at or before it by sequence (positions may have
    /// gaps); the Unix epoch before the first event.
    public static async Task<DateTimeOffset> StoreTimeAtAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string schema,
        long position, CancellationToken cancellationToken)
    {
        await using var time = new NpgsqlCommand($"select timestamp from {schema}.mt_events where seq_id <= $1 order by seq_id desc limit 1",
            connection, transaction);
        time.Parameters.Add(new NpgsqlParameter<long> { TypedValue = position });
        await using var reader = await time.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? reader.GetFieldValue<DateTimeOffset>(0) : DateTimeOffset.UnixEpoch;
    }
}
