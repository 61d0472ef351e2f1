using System.Diagnostics;
using Outcomes.Cli.Publishing;
using Outcomes.Contracts;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Outcomes.Bench.Ingestion;

/// What the broker alone can do with the same messages: durable publish with confirms (the same
/// publisher and window as the end-to-end run) into a durable queue, consumed and acknowledged one
/// by one by a plain RabbitMQ.Client consumer with the service's prefetch. No parsing, no storage.
/// The ceiling proper is a classic queue (as the goal was set); a quorum queue, the service's, can be timed beside it
/// (--ceiling-queues classic,quorum) to show what the queue type alone costs the broker.
public static class RawCeiling
{
    public const string QuorumKind = "ceiling, quorum queue";

    /// <param name="holdMilliseconds">0 for the ceiling proper. Otherwise a diagnostic variant: deliveries are
    /// acknowledged one by one, but only in groups of half the prefetch and that long after the group filled,
    /// as the service acknowledges after its batch commits; it shows what holding messages costs the broker.</param>
    public static async Task<RunResult> Run(Uri rabbitMq, Phq9Workload warmup, Phq9Workload workload, int window, int prefetch,
        int holdMilliseconds, CancellationToken cancellationToken, string queueType = "classic")
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var exchange = $"outcomes.bench-ceiling-{id}";
        var queue = $"outcomes-bench-ceiling-{id}";

        var factory = new ConnectionFactory { Uri = rabbitMq, ClientProvidedName = "outcomes-bench-ceiling-consumer" };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            await channel.ExchangeDeclareAsync(exchange, WireContract.ExchangeType, durable: true, autoDelete: false,
                cancellationToken: cancellationToken);
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
                queueType == "quorum" ? new Dictionary<string, object?> { ["x-queue-type"] = "quorum" } : null, cancellationToken: cancellationToken);
            await channel.QueueBindAsync(queue, exchange, "#", cancellationToken: cancellationToken);
            await channel.BasicQosAsync(0, (ushort)Math.Min(prefetch, ushort.MaxValue), global: false, cancellationToken);

            long acked = 0, received = 0;
            var target = (long)warmup.Count;
            var reached = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            var consumer = new AsyncEventingBasicConsumer(channel);
            var group = new List<ulong>();
            var groupSize = Math.Max(1, prefetch / 2);
            using var acking = new SemaphoreSlim(1);
            async Task AckLater(List<ulong> tags)
            {
                await Task.Delay(holdMilliseconds, cancellationToken);
                await acking.WaitAsync(cancellationToken);
                try
                {
                    foreach (var tag in tags)
                        await channel.BasicAckAsync(tag, multiple: false, cancellationToken);
                }
                finally
                {
                    acking.Release();
                }
                if (Interlocked.Add(ref acked, tags.Count) == Volatile.Read(ref target)) reached.TrySetResult(Stopwatch.GetTimestamp());
            }
            consumer.ReceivedAsync += async (_, delivery) =>
            {
                if (holdMilliseconds <= 0)
                {
                    await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, cancellationToken);
                    if (++acked == Volatile.Read(ref target)) reached.TrySetResult(Stopwatch.GetTimestamp());
                    return;
                }
                group.Add(delivery.DeliveryTag);
                if (group.Count == groupSize || ++received == Volatile.Read(ref target))
                {
                    var tags = group;
                    group = [];
                    _ = AckLater(tags);
                }
            };
            await channel.BasicConsumeAsync(queue, autoAck: false, consumer, cancellationToken);

            await using var publisher = await ClinicEventPublisher.ConnectAsync(rabbitMq, window, exchange, cancellationToken);
            // Warm up the JIT and the connections; the clock starts after these are acknowledged.
            await publisher.PublishAsync(warmup.Messages, cancellationToken: cancellationToken);
            await reached.Task.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);

            reached = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref target, warmup.Count + workload.Count);
            var cpu = CpuSampler.Start(servicePid: null);
            var start = Stopwatch.GetTimestamp();
            var published = await publisher.PublishAsync(workload.Messages, cancellationToken: cancellationToken);
            if (!published.AllConfirmed)
                throw new InvalidOperationException($"Ceiling publish not fully confirmed: {published}");
            var lastAck = await reached.Task.WaitAsync(TimeSpan.FromMinutes(10), cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(start, lastAck);
            var kind = holdMilliseconds > 0 ? $"ceiling variant, acks held {holdMilliseconds} ms per {groupSize}"
                : queueType == "quorum" ? QuorumKind : IngestionReport.CeilingKind;
            return new RunResult(kind, null, workload.Count, elapsed, published.Elapsed, cpu.Stop(),
                $"{workload.Count} acked, {published.Confirmed} confirmed", true);
        }
        finally
        {
            await channel.QueueDeleteAsync(queue, cancellationToken: CancellationToken.None);
            await channel.ExchangeDeleteAsync(exchange, cancellationToken: CancellationToken.None);
        }
    }
}
