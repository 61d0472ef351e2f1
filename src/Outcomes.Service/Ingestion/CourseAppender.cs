using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Outcomes.Service.Hosting;

namespace Outcomes.Service.Ingestion;

/// Appends validated facts to their course streams in batches. Each course hashes to one partition
/// whose single writer appends one batch at a time: concurrent appends to one stream corrupt inline
/// projections (stack-notes.md), while different courses proceed in parallel on other partitions.
/// A message is acknowledged only after its batch commits, so a crash loses nothing.
public sealed class CourseAppender : BackgroundService
{
    private sealed record Pending(PendingFact Fact, TaskCompletionSource<AppendOutcome> Done);

    private readonly CourseBatchWriter _writer;
    private readonly ILogger<CourseAppender> _logger;
    private readonly IngestionOptions _options;
    private readonly Channel<Pending>[] _partitions;

    private readonly OutcomesMetrics _metrics;

    public CourseAppender(CourseBatchWriter writer, IOptions<IngestionOptions> options, ILogger<CourseAppender> logger,
        OutcomesMetrics metrics)
    {
        _metrics = metrics;
        _writer = writer;
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
        var partition = (int)((ulong)CourseBatchWriter.CourseLock(fact.Course.ToString()) % (ulong)_partitions.Length);
        if (!_partitions[partition].Writer.TryWrite(new Pending(new PendingFact(fact, metadata), done)))
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
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var outcomes = await _writer.Append(batch.Select(p => p.Fact).ToArray()).ConfigureAwait(false);
                BatchWritten(System.Diagnostics.Stopwatch.GetElapsedTime(started), outcomes);
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

    /// A batch's time and its facts by outcome (outcomes.ingestion.batch.duration, outcomes.ingestion.facts).
    private void BatchWritten(TimeSpan elapsed, IReadOnlyList<AppendOutcome> outcomes)
    {
        _metrics.Batches.Record(elapsed.TotalSeconds);
        int stored = 0, duplicate = 0, conflict = 0;
        foreach (var outcome in outcomes)
        {
            if (outcome == AppendOutcome.Stored) stored++;
            else if (outcome == AppendOutcome.Duplicate) duplicate++;
            else conflict++;
        }
        if (stored > 0) _metrics.Facts.Add(stored, new KeyValuePair<string, object?>("outcome", "stored"));
        if (duplicate > 0) _metrics.Facts.Add(duplicate, new KeyValuePair<string, object?>("outcome", "duplicate"));
        if (conflict > 0) _metrics.Facts.Add(conflict, new KeyValuePair<string, object?>("outcome", "conflict"));
    }
}
