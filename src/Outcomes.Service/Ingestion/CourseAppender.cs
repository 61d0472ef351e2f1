using System.Threading.Channels;
using JasperFx.Events;
using Marten;
using Microsoft.Extensions.Options;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.CourseOutcomes;
using Outcomes.Service.Patients;

namespace Outcomes.Service.Ingestion;

public enum AppendOutcome { Stored, Duplicate }

/// Appends validated facts to their course streams in batches. Each course hashes to one partition
/// whose single writer appends one batch at a time: concurrent appends to one stream corrupt inline
/// projections (stack-notes.md), while different courses proceed in parallel on other partitions.
/// A message is acknowledged only after its batch commits, so a crash loses nothing.
public sealed class CourseAppender : BackgroundService
{
    private sealed record Pending(CourseFact Fact, FactMetadata Metadata, TaskCompletionSource<AppendOutcome> Done);

    private readonly IDocumentStore _store;
    private readonly OutcomeReadModel _outcomes;
    private readonly OutcomeDefinitions _definitions;
    private static readonly PatientCourseProjection Projection = new();
    private readonly ILogger<CourseAppender> _logger;
    private readonly IngestionOptions _options;
    private readonly Channel<Pending>[] _partitions;

    public CourseAppender(IDocumentStore store, OutcomeReadModel outcomes, OutcomeDefinitions definitions,
        IOptions<IngestionOptions> options, ILogger<CourseAppender> logger)
    {
        _store = store;
        _outcomes = outcomes;
        _definitions = definitions;
        _logger = logger;
        _options = options.Value;
        _partitions = Enumerable.Range(0, _options.Partitions)
            .Select(_ => Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true }))
            .ToArray();
    }

    /// Completes when the fact's batch has committed (or failed). Consumers wait without their
    /// cancellation token: the appender stops only after the bus has stopped, so a fact handed over
    /// always gets its answer within one batch, and the message is acknowledged after its commit
    /// rather than left hanging while the bus shuts down.
    public Task<AppendOutcome> Append(CourseFact fact, FactMetadata metadata, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<AppendOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var partition = (int)((ulong)StableHash(fact.Course.ToString()) % (ulong)_partitions.Length);
        if (!_partitions[partition].Writer.TryWrite(new Pending(fact, metadata, done)))
            done.SetException(new OperationCanceledException("The course appender has stopped; the message will be redelivered"));
        return done.Task.WaitAsync(cancellationToken);
    }

    // Batches run without a cancellation token: a batch that has started commits or fails on its own,
    // so every message handed over gets its answer and none is left unacknowledged at shutdown.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_partitions.Select(p => Task.Run(() => Write(p.Reader), CancellationToken.None)));

    /// Stops taking facts and drains what was handed over. The bus stops before this service (it is
    /// registered later), so by now no consumer is still handing facts over.
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var partition in _partitions)
            partition.Writer.TryComplete();
        if (ExecuteTask is { } running)
            await running.WaitAsync(cancellationToken).ConfigureAwait(false);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task Write(ChannelReader<Pending> reader)
    {
        var batch = new List<Pending>(_options.MaxBatch);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < _options.MaxBatch && reader.TryRead(out var next))
                batch.Add(next);
            try
            {
                var outcomes = await AppendWithRetries(batch).ConfigureAwait(false);
                for (var i = 0; i < batch.Count; i++)
                    batch[i].Done.TrySetResult(outcomes[i]);
            }
            catch (Exception ex)
            {
                // Every message of the batch is retried by its consumer; de-duplication makes that safe.
                _logger.LogWarning(ex, "Appending a batch of {Count} facts failed; their messages will be retried", batch.Count);
                foreach (var pending in batch)
                    pending.Done.TrySetException(ex);
            }
        }
    }

    /// Another instance appending to the same course at the same moment makes a batch fail on the
    /// stream version or the event id; trying again at once almost always succeeds, because the
    /// other transaction has committed by then and de-duplication skips what it stored.
    private async Task<AppendOutcome[]> AppendWithRetries(List<Pending> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await AppendBatch(batch).ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt < ImmediateAttempts)
            {
                _logger.LogInformation("Appending a batch of {Count} facts failed on attempt {Attempt} ({Error}); trying again",
                    batch.Count, attempt, ex.GetType().Name);
                await Task.Delay(Random.Shared.Next(5, 20 * attempt)).ConfigureAwait(false);
            }
        }
    }

    private const int ImmediateAttempts = 5;

    private async Task<AppendOutcome[]> AppendBatch(List<Pending> batch)
    {
        var outcomes = new AppendOutcome[batch.Count];
        await using var session = _store.LightweightSession();
        await session.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false);

        // Another service instance may hold facts for the same courses. A transaction-scoped advisory
        // lock per course, taken in key order (no deadlocks), makes the event-id check, the stream
        // version and the inline projection's read of the course document all see the same state.
        var courseLocks = batch.Select(p => StableHash(p.Fact.Course.ToString())).Distinct().Order().ToArray();
        await session.AdvancedSql.QueryAsync<int>(
            "select count(*)::int from (select pg_advisory_xact_lock(k) from unnest(?) as k order by k) locked",
            CancellationToken.None, courseLocks).ConfigureAwait(false);

        var ids = batch.Select(p => p.Fact.EventId).Distinct().ToArray();
        var stored = new HashSet<Guid>(await session.AdvancedSql
            .QueryAsync<Guid>($"select id from {_store.Options.Events.DatabaseSchemaName}.mt_events where id = any(?)", CancellationToken.None, ids)
            .ConfigureAwait(false));

        var byStream = new Dictionary<string, List<IEvent>>(StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            var (fact, metadata, _) = batch[i];
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
        await QueueOutcomeRows(session, byStream).ConfigureAwait(false);
        await session.SaveChangesAsync(CancellationToken.None).ConfigureAwait(false);
        _logger.LogDebug("Appended {Facts} facts to {Courses} courses ({Duplicates} duplicates skipped)",
            byStream.Values.Sum(e => e.Count), byStream.Count, outcomes.Count(o => o == AppendOutcome.Duplicate));
        return outcomes;
    }

    /// The outcome read model commits with the facts: each changed course's state after this batch (its stored
    /// state, locked above, plus the batch's facts, applied as the inline projection applies them) is derived again.
    private async Task QueueOutcomeRows(IDocumentSession session, Dictionary<string, List<IEvent>> byStream)
    {
        var stored = (await session.LoadManyAsync<PatientCourse>(CancellationToken.None, byStream.Keys).ConfigureAwait(false))
            .ToDictionary(c => c.Id, StringComparer.Ordinal);
        var rows = new List<CourseOutcomeRow>(byStream.Count);
        foreach (var (stream, events) in byStream)
        {
            var course = stored.GetValueOrDefault(stream);
            foreach (var e in events)
                course = Projection.Evolve(course, stream, e);
            rows.Add(CourseOutcomeRow.From(course!, _definitions));
        }
        _outcomes.Table.QueueUpsert(session, rows, _definitions);
    }

    // string.GetHashCode is randomised per process; partitions and locks are shared across processes.
    private static long StableHash(string value)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in value)
            hash = unchecked((hash ^ c) * 1099511628211UL);
        return unchecked((long)hash);
    }
}

/// Tracing metadata kept on each stored event.
public sealed record FactMetadata(string? CorrelationId, string? CausationId, string ReceivedVia);
