using Outcomes.Cli.Publishing;
using Outcomes.Service.Tests.Fixtures;
using RabbitMQ.Client;

namespace Outcomes.Service.Tests.Scaling;

/// The CLI's publisher (`outcomes demo`, `outcomes fhir publish`, the ingestion benchmark) through a connection that is
/// lost mid-run: a TcpRelay in front of the shared broker drops every connection while publishes are outstanding.
[Collection(ServicesCollection.Name)]
public sealed class PublisherReconnectTests(ServicesFixture services) : IAsyncLifetime
{
    private readonly string _exchange = $"outcomes.reconnect-{Guid.NewGuid():N}"[..40];
    private string Queue => _exchange.Replace('.', '-');

    public async Task InitializeAsync()
    {
        await using var connection = await new ConnectionFactory { Uri = services.RabbitMqUri }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(_exchange, Contracts.WireContract.ExchangeType, durable: true, autoDelete: false);
        await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync(Queue, _exchange, "#");
    }

    public async Task DisposeAsync()
    {
        await using var connection = await new ConnectionFactory { Uri = services.RabbitMqUri }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeleteAsync(Queue);
        await channel.ExchangeDeleteAsync(_exchange);
    }

    private static OutgoingMessage Message(int i)
    {
        var id = Guid.NewGuid().ToString();
        return new OutgoingMessage("v1.clinic-reconnect.phq9-completed", System.Text.Encoding.UTF8.GetBytes($"{{\"eventId\":\"{id}\",\"n\":{i}}}"), id);
    }

    [Fact]
    public async Task ConnectionLostWithPublishesOutstanding_EveryMessageConfirmedAndQueued()
    {
        await using var relay = new TcpRelay(services.RabbitMqUri.Host, services.RabbitMqUri.Port);
        var through = new UriBuilder(services.RabbitMqUri) { Port = relay.Port }.Uri;
        await using var publisher = await ClinicEventPublisher.ConnectAsync(through, window: 500, _exchange);
        // A cut connection's shutdown ends the waits at once, unless the client library is stuck on it (see the test
        // below): then the overdue confirm notices, sooner than the one-minute default.
        publisher.ConfirmTimeout = TimeSpan.FromSeconds(10);

        // The source itself cuts the connection after its first 2,000 messages, so the cut falls inside the window
        // (up to 500 publishes unconfirmed), and gives the broker back at once: the publisher must reconnect and
        // resend what the cut took, and go on.
        const int count = 6_000;
        var messages = Enumerable.Range(0, count).Select(Message).ToArray();
        IEnumerable<OutgoingMessage> Source()
        {
            for (var i = 0; i < messages.Length; i++)
            {
                if (i == 2_000)
                {
                    relay.Cut();
                    relay.Restore();
                }
                yield return messages[i];
            }
        }

        // Bounded, so that a publisher stuck on the lost connection fails the test instead of holding the run.
        var summary = await publisher.PublishAsync(Source()).WaitAsync(TimeSpan.FromMinutes(3));

        Assert.True(summary.AllConfirmed, summary.ToString());
        Assert.Equal(count, summary.Confirmed);
        Assert.True(publisher.Reconnections >= 1, "the cut was not noticed");
        Assert.True(summary.Resent > 0, "nothing was outstanding when the connection was cut");
        await using var amqp = await RawAmqp.Connect(services.RabbitMqUri);
        var queued = (await amqp.Drain(Queue)).Select(m => System.Text.Json.JsonDocument.Parse(m.Body).RootElement.GetProperty("eventId").GetString()!).ToHashSet();
        Assert.Equal(messages.Select(m => m.MessageId).ToHashSet(), queued);
    }

    [Fact]
    public async Task ConnectionSilentlyPartitioned_OverdueConfirmsAbandoned_EveryMessageConfirmedOnANewConnection()
    {
        // A network path that dies without a word (no FIN, no RST): the client library sees nothing for two heartbeats
        // (two minutes by default) and its writes to the dead socket back up, holding the channel's confirmation lock
        // (rabbitmq-dotnet-client#1930). The publisher must not wait on it: an overdue confirm is a lost connection,
        // what is outstanding is abandoned after the grace, and everything goes again on a new connection.
        await using var relay = new TcpRelay(services.RabbitMqUri.Host, services.RabbitMqUri.Port);
        var through = new UriBuilder(services.RabbitMqUri) { Port = relay.Port }.Uri;
        await using var publisher = await ClinicEventPublisher.ConnectAsync(through, window: 500, _exchange);
        publisher.ConfirmTimeout = TimeSpan.FromSeconds(3);
        publisher.LossGrace = TimeSpan.FromSeconds(2);

        const int count = 6_000;
        var messages = Enumerable.Range(0, count).Select(Message).ToArray();
        IEnumerable<OutgoingMessage> Source()
        {
            for (var i = 0; i < messages.Length; i++)
            {
                if (i == 2_000) relay.Freeze();
                yield return messages[i];
            }
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var summary = await publisher.PublishAsync(Source()).WaitAsync(TimeSpan.FromMinutes(3));

        Assert.True(summary.AllConfirmed, summary.ToString());
        Assert.True(publisher.Reconnections >= 1, "the partition was not noticed");
        Assert.True(summary.Resent > 0, "nothing was outstanding when the connection went silent");
        // Noticed from the overdue confirm, not from the library's heartbeat (two minutes): well under one minute.
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), $"took {clock.Elapsed}");
        await using var amqp = await RawAmqp.Connect(services.RabbitMqUri);
        var queued = (await amqp.Drain(Queue)).Select(m => System.Text.Json.JsonDocument.Parse(m.Body).RootElement.GetProperty("eventId").GetString()!).ToHashSet();
        Assert.Equal(messages.Select(m => m.MessageId).ToHashSet(), queued);
    }

    [Fact]
    public async Task BrokerRefusesPublishesForAWhile_RefusedOnesSentAgain_EveryMessageConfirmedAndQueued()
    {
        // The broker refuses a publish with basic.nack when its queue cannot take it: a quorum queue without a majority
        // while a cluster recovers, or, as here, a queue at its length limit with overflow reject-publish. A refused
        // message is not stored, so the publisher sends it again after a pause instead of counting it lost at once.
        var exchange = $"outcomes.refusing-{Guid.NewGuid():N}"[..40];
        var queue = exchange.Replace('.', '-');
        await using (var connection = await new ConnectionFactory { Uri = services.RabbitMqUri }.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.ExchangeDeclareAsync(exchange, Contracts.WireContract.ExchangeType, durable: true, autoDelete: false);
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-max-length"] = 100, ["x-overflow"] = "reject-publish" });
            await channel.QueueBindAsync(queue, exchange, "#");
        }
        try
        {
            await using var publisher = await ClinicEventPublisher.ConnectAsync(services.RabbitMqUri, window: 50, exchange);
            var messages = Enumerable.Range(0, 300).Select(Message).ToArray();
            var publishing = publisher.PublishAsync(messages);

            // The consumer falls behind: nothing is taken off the queue until it is full and refusing.
            await using (var connection = await new ConnectionFactory { Uri = services.RabbitMqUri }.CreateConnectionAsync())
            await using (var channel = await connection.CreateChannelAsync())
                await Eventually.Until(async () => (await channel.QueueDeclarePassiveAsync(queue)).MessageCount, n => n >= 100, "the queue full");
            await using var amqp = await RawAmqp.Connect(services.RabbitMqUri);
            var queued = new HashSet<string>(StringComparer.Ordinal);
            await Eventually.Until(async () =>
            {
                foreach (var m in await amqp.Drain(queue))
                    queued.Add(System.Text.Json.JsonDocument.Parse(m.Body).RootElement.GetProperty("eventId").GetString()!);
                return queued.Count;
            }, n => n >= messages.Length, "every message queued and drained", TimeSpan.FromMinutes(2));
            var summary = await publishing.WaitAsync(TimeSpan.FromMinutes(2));

            Assert.True(summary.AllConfirmed, summary.ToString());
            Assert.Equal(0, summary.Nacked);
            Assert.True(summary.Resent > 0, "the broker refused nothing: the test did not reach the queue's limit");
            Assert.Equal(messages.Select(m => m.MessageId).ToHashSet(), queued);
        }
        finally
        {
            await using var connection = await new ConnectionFactory { Uri = services.RabbitMqUri }.CreateConnectionAsync();
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeleteAsync(queue);
            await channel.ExchangeDeleteAsync(exchange);
        }
    }

    [Fact]
    public async Task SafetySignals_SeveralNodesListed_ConnectionLost_SignalsStillDelivered()
    {
        // Two "nodes": a relay in front of the broker, then the broker itself (ConnectionStrings:RabbitMq as for a cluster).
        await using var relay = new TcpRelay(services.RabbitMqUri.Host, services.RabbitMqUri.Port);
        var names = IsolatedNames.New();
        var nodes = $"{new UriBuilder(services.RabbitMqUri) { Port = relay.Port }.Uri},{services.RabbitMqUri}";
        var clinic = "clinic-r" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            await using var host = new OutcomesHost(services, names, new Dictionary<string, string> { ["ConnectionStrings:RabbitMq"] = nodes });
            host.Start();
            await using var connection = await new ConnectionFactory { Uri = services.RabbitMqUri }.CreateConnectionAsync();
            await using var channel = await connection.CreateChannelAsync();
            await channel.ExchangeDeclareAsync(names.SignalsExchange, ExchangeType.Topic, durable: true);
            var queue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
            await channel.QueueBindAsync(queue, names.SignalsExchange, $"v1.{clinic}.#");

            // Every connection the service opened went through the relay (the first node): all of them are lost now.
            relay.Cut();
            relay.Restore();
            var feed = CourseFeed.ForNewPatient(clinic);
            await using (var publisher = await AmqpPublisher.Connect(services.RabbitMqUri, names.Exchange))
                await publisher.PublishAll(
                [
                    CourseFeed.Message("patient-enrolled", feed.Enrolment(CourseFeed.Start.AddDays(-3))),
                    CourseFeed.Message("phq9-completed", feed.Phq9(CourseFeed.Start.AddDays(-1), 2, 2, 2, 2, 2, 2, 2, 1, 0)),
                    CourseFeed.Message("treatment-session-given", feed.Session(CourseFeed.Start)),
                    CourseFeed.Message("treatment-session-given", feed.Session(CourseFeed.Start.AddDays(3))),
                    CourseFeed.Message("phq9-completed", feed.Phq9(CourseFeed.Start.AddDays(3).AddHours(2), 3, 3, 3, 2, 2, 2, 2, 2, 2)),
                ]);

            var delivered = new HashSet<string>(StringComparer.Ordinal);
            await Eventually.Until(async () =>
            {
                while (await channel.BasicGetAsync(queue, autoAck: true) is { } delivery) delivered.Add(delivery.RoutingKey);
                return delivered.Count;
            }, n => n >= 3, "the course's three signals delivered", TimeSpan.FromSeconds(90));
            Assert.Equal([$"v1.{clinic}.item9-new-positive", $"v1.{clinic}.item9-positive", $"v1.{clinic}.worsening"], delivered.Order());
        }
        finally
        {
            await names.Delete(services);
        }
    }
}
