using System.Text;
using RabbitMQ.Client;

namespace Outcomes.Service.Tests.Fixtures;

/// Publishes exactly as a non-.NET integration engine would: a plain AMQP client, a JSON body,
/// the contract's routing key, a confirm channel.
public sealed class AmqpPublisher : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly string _exchange;

    private AmqpPublisher(IConnection connection, IChannel channel, string exchange)
    {
        _connection = connection;
        _channel = channel;
        _exchange = exchange;
    }

    public static async Task<AmqpPublisher> Connect(Uri rabbitMq, string exchange)
    {
        var connection = await new ConnectionFactory { Uri = rabbitMq }.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(
            publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        return new AmqpPublisher(connection, channel, exchange);
    }

    public async Task Publish(WireMessage message)
    {
        var properties = new BasicProperties
        {
            ContentType = "application/json",
            DeliveryMode = DeliveryModes.Persistent,
            CorrelationId = message.CorrelationId,
        };
        await _channel.BasicPublishAsync(_exchange, message.RoutingKey, mandatory: false, properties,
            Encoding.UTF8.GetBytes(message.Json));
    }

    public async Task PublishAll(IEnumerable<WireMessage> messages)
    {
        foreach (var message in messages)
            await Publish(message);
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}

public sealed record WireMessage(string RoutingKey, string Json, string? CorrelationId = null);
