using System.ComponentModel.DataAnnotations;

namespace Outcomes.Service.Ingestion;

public sealed class IngestionOptions
{
    public const string Section = "Ingestion";

    /// Contract exchange the ingestion queue binds to; configurable so that test runs do not share it.
    [Required] public string Exchange { get; set; } = Outcomes.Contracts.WireContract.Exchange;

    /// Queue that receives every raw JSON clinic event bound from the contract exchange.
    [Required] public string Queue { get; set; } = Outcomes.Contracts.WireContract.IngestionQueue;

    /// Queue for .NET publishers that send the MassTransit envelope.
    [Required] public string EnvelopeQueue { get; set; } = Outcomes.Contracts.WireContract.EnvelopeQueue;

    /// Independent writers; a course always goes to the same one, so its facts are appended one batch at a time.
    /// One writer is the fastest on a 2-core host (docs/benchmarks.md): more writers cost more CPU per fact
    /// (concurrent transactions, acknowledgements out of delivery order) than their overlap gains.
    [Range(1, 64)] public int Partitions { get; set; } = 1;

    /// Most facts appended in one transaction. 500 since the course document went (2026-12-05): a batch's fixed cost
    /// (its round trips, locks and commit) then weighed more than its size, and 500 was 10 % faster than 250, 1,000
    /// no faster than 500 (docs/benchmarks.md, "Session 8").
    [Range(1, 10_000)] public int MaxBatch { get; set; } = 500;

    /// Messages held unacknowledged per endpoint; they wait for their batch to commit before the ack.
    /// Two batches per writer keep the next batch ready; more only lengthens the broker's unacknowledged list.
    [Range(1, 65_535)] public int PrefetchCount { get; set; } = 1_000;

    /// Courses whose state after their last batch this process keeps, so that the next batch of a course need not read
    /// its document back from the database (CourseCache; 0: none). A course of ten assessments and six sessions takes
    /// a few kilobytes.
    [Range(0, 10_000_000)] public int CourseCache { get; set; } = 20_000;

    /// Most facts of a bulk upload appended in one transaction. Large batches amortise the per-transaction
    /// cost; the upload holds at most one batch in memory, whatever the file's size.
    [Range(1, 50_000)] public int BulkBatch { get; set; } = 5_000;

    /// How long the error queues keep a refused message (queue argument x-message-ttl). Refused bodies may hold
    /// what should never have been sent (names, notes); the rejection log keeps the reason without the body.
    /// Changing it on a broker whose error queues exist needs those queues deleted once (RabbitMQ refuses to
    /// redeclare a queue with other arguments), or a broker policy instead.
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")] public TimeSpan ErrorQueueRetention { get; set; } = TimeSpan.FromDays(14);

    /// "quorum" (replicated in a cluster, the same on one node) or "classic" (a deployment that has not yet moved
    /// its queue: a queue's type cannot change in place; docs/scaling.md).
    [RegularExpression("^(quorum|classic)$", ErrorMessage = "Ingestion:QueueType: must be quorum or classic")]
    public string QueueType { get; set; } = QueueTopology.Quorum;

    /// Quorum queues: deliveries of one message before the broker dead-letters it to the error queue. Refusals go
    /// there on the first; this catches a message whose processing kills the consumer, which would otherwise loop.
    [Range(1, 1000)] public int DeliveryLimit { get; set; } = 20;

    /// Rejection records kept per uploader (bulk) and per clinic (AMQP): the newest are kept, every rejection is
    /// counted per rule (RejectionTally), so that cheap bad uploads cannot fill the database.
    [Range(1, 10_000_000)] public int RejectionsKept { get; set; } = 10_000;
}
