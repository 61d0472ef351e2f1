using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Outcomes.Service.Hosting;

/// The pipeline's own instruments, one place for their names (docs/scaling.md lists them with their units).
public sealed class OutcomesMetrics : IDisposable
{
    public const string MeterName = "Outcomes";
    public const string ActivitySourceName = "Outcomes";

    /// Spans for the work ours alone knows about (a report's read and computation); MassTransit, Npgsql and
    /// ASP.NET Core trace the rest.
    public static readonly ActivitySource Activities = new(ActivitySourceName);

    private readonly Meter _meter;
    private readonly ConcurrentDictionary<string, long> _queueDepths = new(StringComparer.Ordinal);

    public OutcomesMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        Messages = _meter.CreateCounter<long>("outcomes.ingestion.messages", "{message}",
            "Messages taken off the ingestion queues, by message type and outcome (stored: appended or a duplicate; rejected)");
        Rejections = _meter.CreateCounter<long>("outcomes.ingestion.rejections", "{message}",
            "Messages refused by the contract, by message type and the field whose rule they broke");
        Lag = _meter.CreateHistogram<double>("outcomes.ingestion.lag", "s",
            "From the publisher's send time (the AMQP timestamp property, or the MassTransit envelope's sentTime) to the fact's commit");
        AckWait = _meter.CreateHistogram<double>("outcomes.ingestion.ack.wait", "s",
            "One consumed message's wait from delivery to acknowledgement: queueing for its batch, the append and the commit");
        Batches = _meter.CreateHistogram<double>("outcomes.ingestion.batch.duration", "s",
            "One batch's append and commit (CourseAppender), whatever its size");
        Facts = _meter.CreateCounter<long>("outcomes.ingestion.facts", "{fact}",
            "Facts written by the live path's batches: stored, duplicate (an event id already stored) or conflict (an id reused for other content)");
        Reports = _meter.CreateHistogram<double>("outcomes.report.duration", "s",
            "A cohort report from request to published answer, by tier, source (read model, replay, release) and database read");
        _meter.CreateObservableGauge("outcomes.ingestion.queue.depth",
            () => _queueDepths.Select(q => new Measurement<long>(q.Value, new KeyValuePair<string, object?>("queue", q.Key))),
            "{message}", "Messages ready in each ingestion queue and its error queue, as the broker last reported them");
    }

    public Counter<long> Messages { get; }
    public Counter<long> Rejections { get; }
    public Histogram<double> Lag { get; }
    public Histogram<double> AckWait { get; }
    public Histogram<double> Batches { get; }
    public Counter<long> Facts { get; }

    public Histogram<double> Reports { get; }

    internal void QueueDepth(string queue, long? ready)
    {
        if (ready is { } n) _queueDepths[queue] = n;
        else _queueDepths.TryRemove(queue, out _);
    }

    public void Dispose() => _meter.Dispose();
}
