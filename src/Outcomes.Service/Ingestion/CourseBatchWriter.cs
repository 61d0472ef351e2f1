using JasperFx.Events;
using Marten;

namespace Outcomes.Service.Ingestion;

public enum AppendOutcome { Stored, Duplicate }

/// A validated fact with the metadata it is stored with.
public sealed record PendingFact(CourseFact Fact, FactMetadata Metadata);

/// Tracing metadata kept on each stored event.
public sealed record FactMetadata(string? CorrelationId, string? CausationId, string ReceivedVia);

/// Appends a batch of validated facts in one transaction, skipping event ids already stored. Shared by
/// the AMQP consumers (through CourseAppender) and the bulk upload, so both keep the same rules.
public sealed class CourseBatchWriter(IDocumentStore store, ILogger<CourseBatchWriter> logger)
{
    /// Another writer appending to the same course at the same moment makes a batch fail on the
    /// stream version or the event id; trying again at once almost always succeeds, because the
    /// other transaction has committed by then and de-duplication skips what it stored.
    public async Task<AppendOutcome[]> Append(IReadOnlyList<PendingFact> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await AppendOnce(batch).ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt < ImmediateAttempts)
            {
                logger.LogInformation("Appending a batch of {Count} facts failed on attempt {Attempt} ({Error}); trying again",
                    batch.Count, attempt, ex.GetType().Name);
                await Task.Delay(Random.Shared.Next(5, 20 * attempt)).ConfigureAwait(false);
            }
        }
    }

    private const int ImmediateAttempts = 5;

    private async Task<AppendOutcome[]> AppendOnce(IReadOnlyList<PendingFact> batch)
    {
        var outcomes = new AppendOutcome[batch.Count];
        await using var session = store.LightweightSession();
        await session.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false);

        // Another writer (this process's bulk upload, or another service instance) may hold facts for the
        // same courses. A transaction-scoped advisory lock per course, taken in key order (no deadlocks),
        // makes the event-id check, the stream version and the read of the course document all see the same state.
        var courseLocks = batch.Select(p => CourseLock(p.Fact.Course.ToString())).Distinct().Order().ToArray();
        await session.AdvancedSql.QueryAsync<int>(
            "select count(*)::int from (select pg_advisory_xact_lock(k) from unnest(?) as k order by k) locked",
            CancellationToken.None, courseLocks).ConfigureAwait(false);

        var ids = batch.Select(p => p.Fact.EventId).Distinct().ToArray();
        var stored = new HashSet<Guid>(await session.AdvancedSql
            .QueryAsync<Guid>($"select id from {store.Options.Events.DatabaseSchemaName}.mt_events where id = any(?)", CancellationToken.None, ids)
            .ConfigureAwait(false));

        var byStream = new Dictionary<string, List<IEvent>>(StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            var (fact, metadata) = batch[i];
            if (!stored.Add(fact.EventId))
            {
                outcomes[i] = AppendOutcome.Duplicate;
                continue;
            }
            var e = session.Events.BuildEvent(fact.Event);
            e.Id = fact.EventId;
            e.CorrelationId = metadata.CorrelationId;
            e.CausationId = metadata.CausationId;
            e.SetHeader("messageType", fact.MessageType);
            e.SetHeader("receivedVia", metadata.ReceivedVia);
            var key = fact.Course.ToString();
            if (!byStream.TryGetValue(key, out var events))
                byStream[key] = events = [];
            events.Add(e);
            outcomes[i] = AppendOutcome.Stored;
        }

        if (byStream.Count == 0)
            return outcomes;
        foreach (var (stream, events) in byStream)
            session.Events.Append(stream, events.ToArray<object>());
        await session.SaveChangesAsync(CancellationToken.None).ConfigureAwait(false);
        logger.LogDebug("Appended {Facts} facts to {Courses} courses ({Duplicates} duplicates skipped)",
            byStream.Values.Sum(e => e.Count), byStream.Count, outcomes.Count(o => o == AppendOutcome.Duplicate));
        return outcomes;
    }

    /// The advisory lock key of a course. string.GetHashCode is randomised per process; partitions
    /// and locks are shared across processes, so this hash is fixed (FNV-1a).
    public static long CourseLock(string course)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in course)
            hash = unchecked((hash ^ c) * 1099511628211UL);
        return unchecked((long)hash);
    }
}
