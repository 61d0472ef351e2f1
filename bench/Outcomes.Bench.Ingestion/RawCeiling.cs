using System.Diagnostics;
using Outcomes.Cli.Publishing;
using Outcomes.Contracts;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Outcomes.Bench.Ingestion;

/// What the broker alone can do with the same messages: durable publish with confirms (the same
/// publisher and window as the end-to-end run) into a durable queue, consumed and acknowledged one
/// by one by a plain RabbitMQ.Client consumer with the service's prefetch. No parsing, no storage.
public static class RawCeiling
{
    public static async Task<RunResult> Run(Uri rabbitMq, Phq9Workload warmup, Phq9Workload workload, int window, int prefetch,
        CancellationToken cancellationToken)
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
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, cancellationToken: cancellationToken);
            await channel.QueueBindAsync(queue, exchange, "#", cancellationToken: cancellationToken);
            await channel.BasicQosAsync(0, (ushort)Math.Min(prefetch, ushort.MaxValue), global: false, cancellationToken);

            long acked = 0;
            var target = (long)warmup.Count;
            var reached = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += async (_, delivery) =>
            {
                await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, cancellationToken);
                if (++acked == Volatile.Read(ref target)) reached.TrySetResult(Stopwatch.GetTimestamp());
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
            return new RunResult("ceiling", null, workload.Count, elapsed, published.Elapsed, cpu.Stop(),
                $"{workload.Count} acked, {published.Confirmed} confirmed", true);
        }
        finally
        {
            await channel.QueueDeleteAsync(queue, cancellationToken: CancellationToken.None);
            await channel.ExchangeDeleteAsync(exchange, cancellationToken: CancellationToken.None);
        }
    }
}
