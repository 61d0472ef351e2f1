using System.Text;
using RabbitMQ.Client;

namespace Outcomes.Service.Tests.Fixtures;

/// One AMQP message exactly as a (possibly broken) publisher sends it: any bytes, any content type and headers.
public sealed record RawMessage(string Exchange, string RoutingKey, byte[] Body, string? ContentType = "application/json",
    string? CorrelationId = null, IDictionary<string, object?>? Headers = null);

/// A plain AMQP client on a confirm channel, and a reader of an error queue with each message's fault headers.
public sealed class RawAmqp : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;

    private RawAmqp(IConnection connection, IChannel channel)
    {
        _connection = connection;
        _channel = channel;
    }

    public static async Task<RawAmqp> Connect(Uri rabbitMq)
    {
        var connection = await new ConnectionFactory { Uri = rabbitMq }.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        return new RawAmqp(connection, channel);
    }

    public async Task Publish(RawMessage message)
    {
        var properties = new BasicProperties
        {
            ContentType = message.ContentType,
            DeliveryMode = DeliveryModes.Persistent,
            CorrelationId = message.CorrelationId,
            Headers = message.Headers,
        };
        await _channel.BasicPublishAsync(message.Exchange, message.RoutingKey, mandatory: false, properties, message.Body);
    }

    /// Every message in the queue now (taken and acknowledged), with its headers as text.
    public async Task<IReadOnlyList<(byte[] Body, IReadOnlyDictionary<string, string> Headers)>> Drain(string queue)
    {
        var taken = new List<(byte[], IReadOnlyDictionary<string, string>)>();
        await using var channel = await _connection.CreateChannelAsync();
        try
        {
            await channel.QueueDeclarePassiveAsync(queue);
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return taken;
        }
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } message)
            taken.Add((message.Body.ToArray(), (message.BasicProperties.Headers ?? new Dictionary<string, object?>())
                .ToDictionary(h => h.Key, h => h.Value is byte[] b ? Encoding.UTF8.GetString(b) : h.Value?.ToString() ?? "")));
        return taken;
    }

    /// The queue's arguments as declared (x-message-ttl among them), through the management API.
    public static async Task<System.Text.Json.Nodes.JsonObject?> QueueInfo(ServicesFixture services, string queue)
    {
        var management = services.RabbitMqManagement
            ?? throw new InvalidOperationException($"set {ServicesFixture.ManagementVariable} (scripts/services.sh exports it)");
        using var http = new HttpClient { BaseAddress = management };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("guest:guest"u8.ToArray()));
        var response = await http.GetAsync($"/api/queues/%2F/{Uri.EscapeDataString(queue)}");
        return response.IsSuccessStatusCode ? System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject() : null;
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
