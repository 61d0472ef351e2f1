using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Outcomes.Bench.Ingestion;

/// Safety-signal latency under the ingestion benchmark's load: while the workload is published, a probe sends PHQ-9s
/// with a positive item 9 for patients of its own clinic, one at a time, each awaited until the broker confirms it,
/// and times each until its signal arrives on the signals exchange (v1.bench-probe.item9-positive).
public sealed class SignalLatency(Uri rabbitMq, int probes, TimeSpan interval)
{
    public const string Clinic = "bench-probe";

    public List<double> Milliseconds { get; } = [];
    public int Missing { get; private set; }

    public async Task Run(string exchange, string signalsExchange, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = rabbitMq };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using var listen = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        await listen.ExchangeDeclareAsync(signalsExchange, ExchangeType.Topic, durable: true, cancellationToken: cancellationToken);
        var queue = (await listen.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true, cancellationToken: cancellationToken)).QueueName;
        await listen.QueueBindAsync(queue, signalsExchange, $"v1.{Clinic}.item9-positive", cancellationToken: cancellationToken);
        var arrived = new ConcurrentDictionary<string, long>();
        var consumer = new AsyncEventingBasicConsumer(listen);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            var key = (string?)JsonNode.Parse(Encoding.UTF8.GetString(delivery.Body.Span))?["patientKey"];
            if (key is not null) arrived.TryAdd(key, Stopwatch.GetTimestamp());
            return Task.CompletedTask;
        };
        await listen.BasicConsumeAsync(queue, autoAck: true, consumer, cancellationToken);

        await using var publish = await connection.CreateChannelAsync(new CreateChannelOptions(true, true), cancellationToken);
        var confirmed = new Dictionary<string, long>();
        var random = new Random(11);
        for (var i = 0; i < probes; i++)
        {
            var key = $"pr{i:D6}x{random.Next(0x100000, 0xFFFFFF):x6}";
            var eventId = Guid.NewGuid().ToString();
            var body = JsonSerializer.SerializeToUtf8Bytes(new
            {
                eventId, clinicId = Clinic, patientKey = key,
                occurredAt = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O", CultureInfo.InvariantCulture),
                items = new[] { 2, 2, 2, 1, 1, 1, 1, 1, 2 },
            });
            var properties = new BasicProperties { ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent, MessageId = eventId };
            await publish.BasicPublishAsync(exchange, "v1.phq9-completed", true, properties, body, cancellationToken);
            confirmed[key] = Stopwatch.GetTimestamp();
            await Task.Delay(interval, cancellationToken);
        }
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (arrived.Count < probes && DateTime.UtcNow < deadline) await Task.Delay(50, cancellationToken);
        foreach (var (key, at) in confirmed)
            if (arrived.TryGetValue(key, out var got)) Milliseconds.Add(Stopwatch.GetElapsedTime(at, got).TotalMilliseconds);
            else Missing++;
    }

    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }
}
