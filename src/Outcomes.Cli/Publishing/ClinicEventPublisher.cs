using System.Diagnostics;
using Outcomes.Contracts;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Outcomes.Cli.Publishing;

/// <summary>A message ready for the wire: the routing key names its type, the message id is its event id.</summary>
public sealed record OutgoingMessage(string RoutingKey, ReadOnlyMemory<byte> Body, string MessageId, string? CorrelationId = null);

/// <summary>How far a publish run has got.</summary>
public readonly record struct PublishProgress(long Sent, long Confirmed);

/// <summary>
/// What the broker made of a publish run. <see cref="Returned"/> counts messages no queue was bound for
/// (basic.return on a mandatory publish); <see cref="Nacked"/> those the broker refused to take.
/// </summary>
public sealed record PublishSummary(long Sent, long Confirmed, long Returned, long Nacked, TimeSpan Elapsed, string? FirstReturn)
{
    public double ConfirmedPerSecond => Elapsed > TimeSpan.Zero ? Confirmed / Elapsed.TotalSeconds : 0;
    public bool AllConfirmed => Returned == 0 && Nacked == 0 && Confirmed == Sent;
}

/// <summary>The queue the ingestion service consumes does not exist, so every message would be unroutable.</summary>
public sealed class IngestionTopologyMissingException(string queue)
    : Exception($"The queue '{queue}' does not exist on the broker, so messages published to '{WireContract.Exchange}' " +
        "would be unroutable. Start the Outcomes service once so that it declares its topology, then publish again.")
{
    public string Queue { get; } = queue;
}

/// <summary>
/// Publishes clinic events to <see cref="WireContract.Exchange"/> (or another exchange of the same kind,
/// so that a benchmark or a test does not feed the real ingestion queue) as any AMQP 0-9-1 client would:
/// persistent, application/json, message id = event id, mandatory so unroutable messages come back,
/// with publisher confirms. Up to <c>window</c> publishes stay unconfirmed at once: awaiting each confirm
/// in turn caps a single channel at about 1,700 msg/s, a window of hundreds reaches the broker's ceiling.
/// </summary>
public sealed class ClinicEventPublisher : IAsyncDisposable
{
    public const int DefaultWindow = 1000;

    private const int ProgressEvery = 256;

    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly int _window;
    private readonly string _exchange;

    private ClinicEventPublisher(IConnection connection, IChannel channel, int window, string exchange)
    {
        _connection = connection;
        _channel = channel;
        _window = window;
        _exchange = exchange;
    }

    /// <summary>Connects, opens a confirming channel and declares the exchange (durable topic; idempotent).</summary>
    public static async Task<ClinicEventPublisher> ConnectAsync(Uri amqpUri, int window = DefaultWindow,
        string exchange = WireContract.Exchange, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        var factory = new ConnectionFactory { Uri = amqpUri, ClientProvidedName = "outcomes-cli" };
        var connection = await factory.CreateConnectionAsync(cancellationToken);
        try
        {
            // No library rate limiter: the window below is the only limit on outstanding confirms.
            var channel = await connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true,
                    outstandingPublisherConfirmationsRateLimiter: null),
                cancellationToken);
            await channel.ExchangeDeclareAsync(exchange, WireContract.ExchangeType, durable: true, autoDelete: false,
                cancellationToken: cancellationToken);
            return new ClinicEventPublisher(connection, channel, window, exchange);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Checks by passive declaration that <paramref name="queue"/> exists; throws
    /// <see cref="IngestionTopologyMissingException"/> if it does not.
    /// </summary>
    public async Task EnsureQueueExistsAsync(string queue = WireContract.IngestionQueue, CancellationToken cancellationToken = default)
    {
        // A failed passive declare closes its channel, so probe on a throwaway one.
        var probe = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            await probe.QueueDeclarePassiveAsync(queue, cancellationToken);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == Constants.NotFound)
        {
            throw new IngestionTopologyMissingException(queue);
        }
        finally
        {
            await probe.DisposeAsync();
        }
    }

    public async Task<PublishSummary> PublishAsync(
        IEnumerable<OutgoingMessage> messages,
        IProgress<PublishProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var outstanding = new Queue<ValueTask>(_window);
        long sent = 0, confirmed = 0, returned = 0, nacked = 0;
        string? firstReturn = null;
        var clock = Stopwatch.StartNew();

        async Task SettleOldest()
        {
            try
            {
                await outstanding.Dequeue();
                confirmed++;
            }
            catch (PublishReturnException e)
            {
                returned++;
                firstReturn ??= $"{e.ReplyCode} {e.ReplyText} for routing key '{e.RoutingKey}'";
            }
            catch (PublishException e) when (e.IsReturn)
            {
                returned++;
                firstReturn ??= "returned as unroutable";
            }
            catch (PublishException)
            {
                nacked++;
            }
            var settled = confirmed + returned + nacked;
            if (progress is not null && settled % ProgressEvery == 0)
                progress.Report(new PublishProgress(sent, confirmed));
        }

        foreach (var message in messages)
        {
            if (outstanding.Count >= _window) await SettleOldest();
            var properties = new BasicProperties
            {
                ContentType = WireContract.JsonContentType,
                DeliveryMode = DeliveryModes.Persistent,
                MessageId = message.MessageId,
                CorrelationId = message.CorrelationId,
            };
            outstanding.Enqueue(_channel.BasicPublishAsync(_exchange, message.RoutingKey, mandatory: true,
                properties, message.Body, cancellationToken));
            sent++;
        }
        while (outstanding.Count > 0) await SettleOldest();
        clock.Stop();
        progress?.Report(new PublishProgress(sent, confirmed));
        return new PublishSummary(sent, confirmed, returned, nacked, clock.Elapsed, firstReturn);
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
