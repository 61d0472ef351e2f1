using Marten;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Outcomes.Service.Ingestion;

/// Keeps the rejection log bounded (issue 12 point 8: 200,000 "{}" lines once wrote 109 MB of records).
/// Every rejection is counted, per quota, clinic, day, field and rule (RejectionTallyTable); individual records
/// are kept for the newest IngestionOptions.RejectionsKept of each quota (an uploader, or a clinic): a bulk
/// upload writes at most that many, and older records of the quota are pruned as newer arrive.
public sealed class RejectionLog(IDocumentStore store, NpgsqlDataSource database, TimeProvider clock,
    IOptions<IngestionOptions> options, ILogger<RejectionLog> logger)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _sincePrune = new(StringComparer.Ordinal);

    private int Kept => options.Value.RejectionsKept;

    private readonly System.Threading.Channels.Channel<(IngestionRejection Record, TaskCompletionSource Done)> _pending =
        System.Threading.Channels.Channel.CreateUnbounded<(IngestionRejection, TaskCompletionSource)>(new() { SingleReader = true });
    private int _writerStarted;

    /// Records one refused AMQP message; completes when it is committed. Every record has its own id: a later
    /// rejection never replaces an earlier one. Records arriving together are written together (one transaction,
    /// one tally statement), so that a burst of bad messages costs the database little more than one of them.
    public Task Record(Rejection rejection, RejectionSource source, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _writerStarted, 1) == 0)
            _ = Task.Run(WriteRecords, CancellationToken.None);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending.Writer.TryWrite((ToRecord(rejection, source), done));
        logger.LogDebug("Rejected {MessageType} {EventId} from clinic {ClinicId}: {Reason}",
            rejection.MessageType, rejection.EventId, rejection.ClinicId, rejection.Reason);
        return done.Task.WaitAsync(cancellationToken);
    }

    private async Task WriteRecords()
    {
        var batch = new List<(IngestionRejection Record, TaskCompletionSource Done)>();
        while (await _pending.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < 1000 && _pending.Reader.TryRead(out var next))
                batch.Add(next);
            try
            {
                var records = batch.Select(b => b.Record).ToArray();
                await using (var session = store.LightweightSession())
                {
                    session.Store(records);
                    await session.SaveChangesAsync(CancellationToken.None).ConfigureAwait(false);
                }
                await Count(records, CancellationToken.None).ConfigureAwait(false);
                foreach (var quota in records.GroupBy(r => r.Quota))
                    await PruneIfDue(quota.Key, quota.Count(), CancellationToken.None).ConfigureAwait(false);
                logger.LogWarning("Rejected {Count} messages: {Reasons}", records.Length,
                    string.Join("; ", records.GroupBy(r => r.Reason).Take(5).Select(g => $"{g.Count()} x {g.Key}")));
                foreach (var (_, done) in batch) done.TrySetResult();
            }
            catch (Exception ex)
            {
                // The consumers retry their messages: nothing is lost, the refusals are recorded on the next delivery.
                logger.LogWarning(ex, "Recording {Count} rejections failed", batch.Count);
                foreach (var (_, done) in batch) done.TrySetException(ex);
            }
        }
    }

    /// Records the rejections of a bulk upload's lines: all counted, the first <paramref name="keep"/> stored as
    /// records. One log line for all of them, since a bad file may hold thousands.
    public async Task RecordMany(IReadOnlyList<(Rejection Rejection, RejectionSource Source)> rejections, int keep, CancellationToken cancellationToken)
    {
        if (rejections.Count == 0) return;
        var records = rejections.Select(r => ToRecord(r.Rejection, r.Source)).ToArray();
        if (keep > 0)
        {
            await using var session = store.LightweightSession();
            session.Store(records.Take(keep).ToArray());
            await session.SaveChangesAsync(cancellationToken);
            foreach (var quota in records.Take(keep).GroupBy(r => r.Quota))
                await PruneIfDue(quota.Key, quota.Count(), cancellationToken);
        }
        await Count(records, cancellationToken);
        logger.LogWarning("Rejected {Count} lines of a bulk upload ({Kept} recorded one by one)", rejections.Count, Math.Min(keep, records.Length));
    }

    /// How many records of one upload may still be stored one by one.
    public int UploadAllowance => Kept;

    private async Task Count(IReadOnlyList<IngestionRejection> records, CancellationToken cancellationToken)
    {
        var tallies = records.GroupBy(r => (r.Quota, r.ClinicId, r.Uploader, Day: DateOnly.FromDateTime(r.RejectedAt.UtcDateTime),
                Field: RejectionTallyTable.FieldOf(r.Field, r.Rule), Rule: RejectionTallyTable.RuleOf(r.Rule)))
            .Select(g => (g.Key, Count: g.LongCount(), Last: g.Max(r => r.RejectedAt)))
            .ToArray();
        var table = new RejectionTallyTable(store.Options.DatabaseSchemaName);
        await using var command = database.CreateCommand(table.Upsert);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = tallies.Select(t => t.Key.Quota).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = tallies.Select(t => t.Key.ClinicId).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = tallies.Select(t => t.Key.Uploader).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<DateOnly[]> { TypedValue = tallies.Select(t => t.Key.Day).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = tallies.Select(t => t.Key.Field).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = tallies.Select(t => t.Key.Rule).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = tallies.Select(t => t.Count).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = tallies.Select(t => t.Last).ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // Pruning costs a query, so it runs once a tenth of the quota has arrived since the last: a quota holds at most
    // 1.1 x RejectionsKept records at any time.
    private async Task PruneIfDue(string quota, int added, CancellationToken cancellationToken)
    {
        var since = _sincePrune.AddOrUpdate(quota, added, (_, n) => n + added);
        if (since < Math.Max(1, Kept / 10)) return;
        _sincePrune[quota] = 0;
        await using var session = store.LightweightSession();
        var cutoff = await session.Query<IngestionRejection>().Where(r => r.Quota == quota).OrderByDescending(r => r.RejectedAt)
            .Skip(Kept).Select(r => r.RejectedAt).FirstOrDefaultAsync(cancellationToken);
        if (cutoff == default) return;
        session.DeleteWhere<IngestionRejection>(r => r.Quota == quota && r.RejectedAt <= cutoff);
        await session.SaveChangesAsync(cancellationToken);
    }

    private IngestionRejection ToRecord(Rejection rejection, RejectionSource source) =>
        new(Guid.CreateVersion7(), rejection.MessageType, rejection.EventId, rejection.ClinicId, rejection.Field,
            rejection.Rule, rejection.Reason, source.Queue, clock.GetUtcNow(), source.ReceivedVia, source.Line, source.UploadId,
            source.Uploader, source.QuotaOf(rejection));
}
