using System.Text;
using Outcomes.Service.Tests.Fixtures;
using RabbitMQ.Client;

namespace Outcomes.Service.Tests.Scaling;

[Collection(TelemetryCollection.Name)]
public sealed class QueueTopologyTests(ServicesFixture services) : IAsyncLifetime
{
    private readonly IsolatedNames _names = IsolatedNames.New();

    public Task InitializeAsync() => services.InitializeAsync();

    public async Task DisposeAsync() => await _names.Delete(services);

    /// Declares the topology with a service of the given queue type, stops it, publishes one fact and hands the
    /// message out and back (as a consumer that dies with it would) until it is gone or `times` deliveries have passed.
    private async Task<(bool InQueue, bool InErrorQueue)> RedeliverAfterTopologyOf(string queueType, int times)
    {
        await using (var host = new OutcomesHost(services, _names, new Dictionary<string, string>
        {
            ["Ingestion:QueueType"] = queueType,
            ["Ingestion:DeliveryLimit"] = "3",
        }))
            host.Start();

        await using (var publisher = await AmqpPublisher.Connect(services.RabbitMqUri, _names.Exchange))
            await publisher.Publish(CourseFeed.Message("phq9-completed", CourseFeed.ForNewPatient().Phq9Total(CourseFeed.Start, 12)));

        var factory = new ConnectionFactory { Uri = services.RabbitMqUri };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        // A requeued message takes a moment to be ready again; a dead-lettered one never is.
        async Task<BasicGetResult?> Next()
        {
            try
            {
                return await Eventually.Until(() => channel.BasicGetAsync(_names.Queue, autoAck: false), m => m is not null,
                    "the fact ready in the queue", TimeSpan.FromSeconds(5));
            }
            catch (TimeoutException)
            {
                return null;
            }
        }
        var deliveries = 0;
        while (deliveries < times && await Next() is { } message)
        {
            deliveries++;
            await channel.BasicNackAsync(message.DeliveryTag, multiple: false, requeue: true);
        }
        Assert.True(deliveries > 0, "the published fact never reached the queue");
        var left = await Next();
        var inQueue = left is not null;
        if (left is not null) await channel.BasicNackAsync(left.DeliveryTag, multiple: false, requeue: true);
        // A classic topology has no error queue until MassTransit moves its first fault there.
        await using var errors = await connection.CreateChannelAsync();
        var dead = await Eventually.Until(async () =>
        {
            try
            {
                return await errors.BasicGetAsync(_names.Queue + "_error", autoAck: true);
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException) when (inQueue)
            {
                return null;
            }
        }, m => m is not null || inQueue, "the message dead-lettered to the error queue", TimeSpan.FromSeconds(10));
        return (inQueue, dead is not null && Encoding.UTF8.GetString(dead.Body.Span).Contains("\"total\":12", StringComparison.Ordinal));
    }

    [Fact]
    public async Task QuorumQueue_MessageHandedOutPastTheDeliveryLimit_DeadLetteredToTheErrorQueue()
    {
        var (inQueue, inError) = await RedeliverAfterTopologyOf("quorum", 6);
        Assert.False(inQueue);
        Assert.True(inError);
    }

    [Fact]
    public async Task ClassicQueue_SameRedeliveries_MessageLoopsForEver()
    {
        // The control: without the quorum queue's limit the same message would be handed out again and again.
        var (inQueue, inError) = await RedeliverAfterTopologyOf("classic", 6);
        Assert.True(inQueue);
        Assert.False(inError);
    }

    [Fact]
    public async Task ExistingClassicQueue_StartRefusedNamingTheUpgrade()
    {
        var factory = new ConnectionFactory { Uri = services.RabbitMqUri };
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
            await channel.QueueDeclareAsync(_names.Queue, durable: true, exclusive: false, autoDelete: false);

        await using var host = new OutcomesHost(services, _names);
        var failure = Record.Exception(() => host.Start());
        Assert.NotNull(failure);
        var messages = string.Join(" | ", Flatten(failure));
        Assert.Contains("Ingestion:QueueType", messages, StringComparison.Ordinal);
        Assert.Contains("cannot change in place", messages, StringComparison.Ordinal);
    }

    private static IEnumerable<string> Flatten(Exception e)
    {
        yield return e.Message;
        if (e is AggregateException aggregate)
            foreach (var inner in aggregate.InnerExceptions.SelectMany(Flatten)) yield return inner;
        else if (e.InnerException is { } inner)
            foreach (var message in Flatten(inner)) yield return message;
    }
}
