using MassTransit;
using Microsoft.Extensions.Options;
using Outcomes.Service.Hosting;

namespace Outcomes.Service.Ingestion;

/// Ingestion measured where MassTransit hands messages to our consumers: a message is acknowledged only after its
/// fact committed (CourseAppender), so the end of a consume is the end of the fact's way in.
public sealed class IngestionTelemetry(OutcomesMetrics metrics, TimeProvider clock) : IConsumeObserver
{
    public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context) where T : class
    {
        var type = MessageType(context);
        metrics.Messages.Add(1, new("message_type", type), new("outcome", "stored"));
        metrics.AckWait.Record(context.ReceiveContext.ElapsedTime.TotalSeconds, new KeyValuePair<string, object?>("message_type", type));
        if (SentAt(context) is { } sent)
            metrics.Lag.Record(Math.Max(0, (clock.GetUtcNow() - sent).TotalSeconds), new KeyValuePair<string, object?>("message_type", type));
        return Task.CompletedTask;
    }

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class
    {
        if (exception is ClinicEventRejectedException rejected)
        {
            var type = MessageType(context);
            metrics.Messages.Add(1, new("message_type", type), new("outcome", "rejected"));
            // The field, not the rule's text: rule texts quote the offending value, which would make a series per value.
            metrics.Rejections.Add(1, new("message_type", type), new("field", rejected.Rejection.Field));
        }
        return Task.CompletedTask;
    }

    /// The routing key's message type for the contract's types; anything else is one bucket, so that a publisher's
    /// invented routing keys cannot create series without end.
    private static string MessageType<T>(ConsumeContext<T> context) where T : class
    {
        var key = context.ReceiveContext.TryGetPayload<RabbitMqBasicConsumeContext>(out var amqp) ? amqp.RoutingKey ?? "" : "";
        foreach (var known in Outcomes.Contracts.WireContract.MessageTypes.Keys)
            if (key.EndsWith("." + known, StringComparison.Ordinal) || key == known) return known;
        return context.Message is Outcomes.Contracts.IClinicEvent ? typeof(T).Name : "other";
    }

    private static DateTimeOffset? SentAt<T>(ConsumeContext<T> context) where T : class
    {
        if (context.SentTime is { } sent) return new DateTimeOffset(DateTime.SpecifyKind(sent, DateTimeKind.Utc));
        return context.ReceiveContext.TryGetPayload<RabbitMqBasicConsumeContext>(out var amqp) && amqp.Properties.Timestamp.UnixTime > 0
            ? DateTimeOffset.FromUnixTimeSeconds(amqp.Properties.Timestamp.UnixTime)
            : null;
    }
}

/// Asks the broker for the ingestion queues' depth now and then (a passive declare: it never creates a queue).
public sealed class QueueDepthProbe(OutcomesMetrics metrics, IConfiguration configuration, IOptions<IngestionOptions> ingestion,
    IOptions<TelemetryOptions> options, ILogger<QueueDepthProbe> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (configuration.GetConnectionString("RabbitMq") is not { Length: > 0 } configured) return;
        var broker = BrokerNodes.Parse(configured);
        var queues = new[] { ingestion.Value.Queue, ingestion.Value.EnvelopeQueue }.SelectMany(q => new[] { q, q + "_error" }).ToArray();
        RabbitMQ.Client.IConnection? connection = null;
        using var timer = new PeriodicTimer(options.Value.QueueDepthEvery);
        try
        {
            do
            {
                try
                {
                    connection ??= await broker.ConnectAsync("outcomes-queue-depth", stoppingToken);
                    foreach (var queue in queues)
                    {
                        // A passive declare of a missing queue closes its channel: one channel per question.
                        await using var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
                        try
                        {
                            var ok = await channel.QueueDeclarePassiveAsync(queue, stoppingToken);
                            metrics.QueueDepth(queue, ok.MessageCount);
                        }
                        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
                        {
                            metrics.QueueDepth(queue, null);
                        }
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogDebug(ex, "Queue depth not read this time");
                    if (connection is not null) await connection.DisposeAsync();
                    connection = null;
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (connection is not null) await connection.DisposeAsync();
        }
    }
}
