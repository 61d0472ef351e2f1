using System.Diagnostics;
using Npgsql;

namespace Outcomes.Bench.Ingestion;

/// What the event store holds for the benchmark's courses once ingestion is over.
public sealed record StoreCheck(long Events, long DistinctIds, long ExpectedIdsFound, long OtherEventTypes, long Streams,
    long StreamsAtFullVersion, long Courses, long FactCountSum, long MinFactCount, long MaxFactCount,
    long Rejections, uint ErrorQueueMessages, Phq9Workload Workload)
{
    public bool Exact =>
        Events == Workload.Count && DistinctIds == Workload.Count && ExpectedIdsFound == Workload.Count && OtherEventTypes == 0
        && Streams == Workload.Patients && StreamsAtFullVersion == Workload.Patients
        && Courses == Workload.Patients && FactCountSum == Workload.Count
        && MinFactCount == Workload.AssessmentsPerPatient && MaxFactCount == Workload.AssessmentsPerPatient
        && Rejections == Workload.PoisonCount && ErrorQueueMessages == Workload.PoisonCount;

    public override string ToString() =>
        $"events {Events} (distinct ids {DistinctIds}, published ids found {ExpectedIdsFound}, other types {OtherEventTypes}); " +
        $"streams {Streams} ({StreamsAtFullVersion} at version {Workload.AssessmentsPerPatient}); " +
        $"courses in the outcome read model {Courses}, facts counted {FactCountSum} (min {MinFactCount}, max {MaxFactCount}); " +
        $"rejections {Rejections}, error queue {ErrorQueueMessages}";
}

public sealed class EventStoreProbe(string connectionString, string schema)
{
    /// Polls until the store holds <paramref name="total"/> events and the outcome read model has counted
    /// as many facts, and returns the moment that was first seen. The read model is written in the same
    /// transaction as the append, so both become true at one commit; the cheap max(seq_id) poll
    /// (an index lookup, no scan of a growing table on a machine this small) only says when to look closer.
    public async Task<long> WaitUntilStoredAndProjected(long total, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            var seenAt = Stopwatch.GetTimestamp();
            var highest = await Scalar(connection, $"select coalesce(max(seq_id), 0) from {schema}.mt_events", cancellationToken);
            if (highest >= total)
            {
                var stored = await Scalar(connection, $"select count(*) from {schema}.mt_events", cancellationToken);
                var projected = await Scalar(connection,
                    $"select coalesce(sum(facts), 0) from {schema}.course_outcomes", cancellationToken);
                if (stored >= total && projected >= total) return seenAt;
            }
            await Task.Delay(50, cancellationToken);
        }
        throw new TimeoutException($"Not all {total} events were stored and projected within {timeout}");
    }

    public async Task<StoreCheck> Check(Phq9Workload workload, uint errorQueueMessages, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        var streams = $"{workload.ClinicPrefix}-%";
        await using var events = new NpgsqlCommand($"""
            select count(*), count(distinct id), count(*) filter (where id = any(@ids)), count(*) filter (where type <> 'phq_9_completed')
            from {schema}.mt_events where stream_id like @streams
            """, connection);
        events.Parameters.AddWithValue("ids", workload.EventIds.ToArray());
        events.Parameters.AddWithValue("streams", streams);
        var e = await Row(events, cancellationToken);

        await using var streamRows = new NpgsqlCommand($"""
            select count(*), count(*) filter (where version = @version) from {schema}.mt_streams where id like @streams
            """, connection);
        streamRows.Parameters.AddWithValue("version", (long)workload.AssessmentsPerPatient);
        streamRows.Parameters.AddWithValue("streams", streams);
        var s = await Row(streamRows, cancellationToken);

        await using var courses = new NpgsqlCommand($"""
            select count(*), coalesce(sum(facts), 0), coalesce(min(facts), 0), coalesce(max(facts), 0)
            from {schema}.course_outcomes where course_key like @streams
            """, connection);
        courses.Parameters.AddWithValue("streams", streams);
        var c = await Row(courses, cancellationToken);

        var rejections = await Scalar(connection, $"select count(*) from {schema}.mt_doc_ingestionrejection", cancellationToken);
        // The bad messages were refused one by one beside the valid ones; wait for the last refusals to be recorded.
        for (var waited = Stopwatch.StartNew(); rejections < workload.PoisonCount && waited.Elapsed < TimeSpan.FromMinutes(1);)
        {
            await Task.Delay(100, cancellationToken);
            rejections = await Scalar(connection, $"select count(*) from {schema}.mt_doc_ingestionrejection", cancellationToken);
        }
        return new StoreCheck(e[0], e[1], e[2], e[3], s[0], s[1], c[0], c[1], c[2], c[3], rejections, errorQueueMessages, workload);
    }

    public async Task DropSchema(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var drop = new NpgsqlCommand($"drop schema if exists {schema} cascade", connection);
        await drop.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<long> Scalar(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken));
    }

    private static async Task<long[]> Row(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToInt64(reader.GetValue(i))).ToArray();
    }
}
