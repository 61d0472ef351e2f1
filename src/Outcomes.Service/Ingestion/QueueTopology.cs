using MassTransit;
using Microsoft.Extensions.Options;
using Outcomes.Service.Hosting;

namespace Outcomes.Service.Ingestion;

/// The ingestion queues' type and arguments, one place for both the bus's declaration and the check before it.
///
/// Quorum queues (the default) are replicated across a cluster's nodes and survive the loss of a minority of them; on
/// one node they work the same, so a single node and a cluster run one topology. Two arguments guard against a
/// message that kills whoever consumes it (a crash, not a refusal: refusals go to the error queue at once): after
/// DeliveryLimit deliveries the broker dead-letters it to the error queue instead of handing it out for ever.
///
/// A queue's type cannot change in place: a deployment whose queue is still classic is refused at start with the way
/// to upgrade (docs/scaling.md), never silently declared as something else.
public static class QueueTopology
{
    public const string Quorum = "quorum";
    public const string Classic = "classic";

    public static IReadOnlyDictionary<string, object> Arguments(IngestionOptions options, string queue) => options.QueueType == Quorum
        ? new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["x-queue-type"] = Quorum,
            ["x-delivery-limit"] = options.DeliveryLimit,
            ["x-dead-letter-exchange"] = ErrorQueue(queue),
            // at-most-once is RabbitMQ's default for quorum dead-lettering; the error queue is a place to look, not a ledger.
        }
        : new Dictionary<string, object>(StringComparer.Ordinal);

    public static string ErrorQueue(string queue) => queue + "_error";

    /// MassTransit declares a queue's error (and skipped) queue with the queue's own arguments. The type stays (an
    /// error queue replicated like its queue); the delivery limit and the dead-lettering do not: an error queue
    /// dead-lettering into itself would be a loop, and its messages are never delivered to a consumer anyway.
    public static void ForErrorQueue(IRabbitMqQueueConfigurator queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        queue.SetQueueArgument("x-delivery-limit", null);
        queue.SetQueueArgument("x-dead-letter-exchange", null);
    }

    /// The error queue's arguments exactly as MassTransit will declare them (ForErrorQueue, MessagingSetup's retention).
    private static Dictionary<string, object?> ErrorQueueArguments(IngestionOptions options, string queue)
    {
        var arguments = Arguments(options, queue).Where(a => a.Key == "x-queue-type").ToDictionary(a => a.Key, a => (object?)a.Value);
        arguments["x-message-ttl"] = (long)options.ErrorQueueRetention.TotalMilliseconds;
        return arguments;
    }

    public static void Apply(IRabbitMqReceiveEndpointConfigurator endpoint, IngestionOptions options, string queue)
    {
        foreach (var (key, value) in Arguments(options, queue))
            endpoint.SetQueueArgument(key, value);
    }

    /// Before the bus starts: the error exchange and queue exist (dead-lettering into a missing exchange drops the
    /// message), and an existing ingestion queue of the other type is named with the way out, instead of the bus
    /// retrying a declaration the broker will always refuse.
    public sealed class Check(IConfiguration configuration, IOptions<IngestionOptions> ingestion, ILogger<Check> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            var options = ingestion.Value;
            if (options.QueueType != Quorum) return;
            var broker = BrokerNodes.Parse(configuration.GetConnectionString("RabbitMq")!);
            await using var connection = await broker.ConnectAsync("outcomes-topology", cancellationToken);
            foreach (var queue in new[] { options.Queue, options.EnvelopeQueue })
            {
                await using (var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken))
                {
                    var error = ErrorQueue(queue);
                    // As MassTransit declares them when it moves its first fault (MessagingSetup's error settings).
                    await channel.ExchangeDeclareAsync(error, "fanout", durable: true, autoDelete: false, cancellationToken: cancellationToken);
                    await channel.QueueDeclareAsync(error, durable: true, exclusive: false, autoDelete: false,
                        ErrorQueueArguments(options, queue), cancellationToken: cancellationToken);
                    await channel.QueueBindAsync(error, error, "", cancellationToken: cancellationToken);
                }
                await using (var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken))
                {
                    try
                    {
                        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
                            Arguments(options, queue).ToDictionary(p => p.Key, p => (object?)p.Value), cancellationToken: cancellationToken);
                    }
                    catch (RabbitMQ.Client.Exceptions.OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 406)
                    {
                        throw new InvalidOperationException(
                            $"Ingestion:QueueType: the queue '{queue}' exists with other arguments than a {Quorum} queue with " +
                            $"x-delivery-limit {options.DeliveryLimit} ({e.ShutdownReason.ReplyText}). A queue's type cannot change in place: " +
                            "stop the publishers, let the service drain it, delete it (rabbitmqadmin delete queue name=" + queue + ") and start " +
                            "again; or keep it with Ingestion:QueueType=classic. See docs/scaling.md, 'From a classic queue'.", e);
                    }
                }
            }
            logger.LogInformation("Ingestion queues {Queue} and {EnvelopeQueue} are {Type} queues (delivery limit {Limit})",
                options.Queue, options.EnvelopeQueue, options.QueueType, options.DeliveryLimit);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
