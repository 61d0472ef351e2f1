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
/// (basic.return on a mandatory publish); <see cref="Nacked"/> those the broker still refused (basic.nack) after
/// <see cref="ClinicEventPublisher.ReconnectFor"/> of sending them again.
/// </summary>
public sealed record PublishSummary(long Sent, long Confirmed, long Returned, long Nacked, TimeSpan Elapsed, string? FirstReturn)
{
    /// <summary>Publishes repeated because their connection was lost before the broker confirmed them.</summary>
    public long Resent { get; init; }


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
/// <para>
/// A lost connection loses the confirms still outstanding on it: RabbitMQ.Client fails those publishes
/// (AlreadyClosedException), whether or not the broker had stored them, and its automatic recovery would only
/// reopen the channel. So this publisher reconnects itself and sends every unconfirmed message again, in order,
/// before anything new: at least once, never lost; the service stores a re-sent event id once.
/// </para>
/// <para>
/// No wait on the client library is unbounded. When a connection dies under a full window, RabbitMQ.Client 7 can
/// leave one publish stuck writing to the dead socket while it holds the channel's confirmation lock, so the
/// publishes queued behind it, the channel's close and the confirms' failure never complete
/// (rabbitmq-dotnet-client#1930). A loss is therefore noticed from the connection's shutdown or from a confirm
/// overdue by <see cref="ConfirmTimeout"/>; then what is still outstanding gets <see cref="LossGrace"/> in all to
/// settle, the rest is abandoned with its connection and sent again, and closing the old connection is given
/// <see cref="LossGrace"/> too.
/// </para>
/// </summary>
public sealed class ClinicEventPublisher : IAsyncDisposable
{
    public const int DefaultWindow = 1000;

    private const int ProgressEvery = 256;
    private const int MaxLossesWithoutConfirm = 10;

    private readonly ConnectionFactory _factory;
    private readonly IReadOnlyList<AmqpTcpEndpoint> _nodes;
    // Each reconnection starts from the next node in turn: RabbitMQ.Client moves on to the next endpoint only when a TCP
    // connect fails, so a node that accepts TCP but not the handshake (starting, or overloaded) would be tried first again.
    private int _firstNode;
    private readonly int _window;
    private readonly string _exchange;
    private IConnection _connection;
    private IChannel _channel;
    private Exception? _lastLoss;
    // Cancelled when the current connection shuts down, so that waits for its confirms end at once.
    private CancellationTokenSource _connectionLost = new();

    private ClinicEventPublisher(ConnectionFactory factory, IReadOnlyList<AmqpTcpEndpoint> nodes, IConnection connection, IChannel channel,
        int window, string exchange)
    {
        _factory = factory;
        _nodes = nodes;
        _connection = connection;
        _channel = channel;
        _window = window;
        _exchange = exchange;
        WatchForLoss();
    }

    private void WatchForLoss()
    {
        var lost = _connectionLost = new CancellationTokenSource();
        _connection.ConnectionShutdownAsync += (_, _) =>
        {
            lost.Cancel();
            return Task.CompletedTask;
        };
        if (!_connection.IsOpen) lost.Cancel();
    }

    /// <summary>How long a lost broker is tried again before the publish fails.</summary>
    public TimeSpan ReconnectFor { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// A confirm not come this long after its publish is treated as lost with its connection: the connection is
    /// closed and the unconfirmed messages sent again on a new one.
    /// </summary>
    public TimeSpan ConfirmTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Once a connection is known lost, how long the publishes still outstanding on it may take, in all, to settle
    /// (most fail at once), and how long closing it may take; what has not settled by then is sent again.
    /// </summary>
    public TimeSpan LossGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Connections opened again after one was lost.</summary>
    public int Reconnections { get; private set; }

    /// <summary>Channels opened again on a live connection after the broker refused publishes (see <c>ReopenChannelAsync</c>).</summary>
    public int ChannelsReopened { get; private set; }

    /// <summary>Connects, opens a confirming channel and declares the exchange (durable topic; idempotent).</summary>
    public static Task<ClinicEventPublisher> ConnectAsync(Uri amqpUri, int window = DefaultWindow,
        string exchange = WireContract.Exchange, CancellationToken cancellationToken = default) =>
        ConnectAsync([amqpUri], window, exchange, cancellationToken);

    /// <summary>
    /// The same, for the nodes of one cluster (a <see cref="BrokerAddress"/>): the first URI gives credentials and
    /// virtual host, and a lost connection is opened again on the next node that answers.
    /// </summary>
    public static async Task<ClinicEventPublisher> ConnectAsync(IReadOnlyList<Uri> nodes, int window = DefaultWindow,
        string exchange = WireContract.Exchange, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentOutOfRangeException.ThrowIfZero(nodes.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        // The library's recovery would reopen the connection but not resend what it lost; this class does both.
        var factory = new ConnectionFactory { Uri = nodes[0], ClientProvidedName = "outcomes-cli", AutomaticRecoveryEnabled = false };
        var endpoints = nodes.Select(n => new AmqpTcpEndpoint(n.Host, BrokerAddress.PortOf(n))).ToArray();
        var (connection, channel) = await OpenAsync(factory, endpoints, exchange, cancellationToken);
        return new ClinicEventPublisher(factory, endpoints, connection, channel, window, exchange);
    }

    private static async Task<(IConnection, IChannel)> OpenAsync(ConnectionFactory factory, IEnumerable<AmqpTcpEndpoint> nodes, string exchange,
        CancellationToken cancellationToken)
    {
        var connection = await factory.CreateConnectionAsync(nodes, cancellationToken);
        try
        {
            return (connection, await OpenChannelAsync(connection, exchange, cancellationToken));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task<IChannel> OpenChannelAsync(IConnection connection, string exchange, CancellationToken cancellationToken)
    {
        // No library rate limiter: the window is the only limit on outstanding confirms.
        var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true,
                outstandingPublisherConfirmationsRateLimiter: null),
            cancellationToken);
        try
        {
            await channel.ExchangeDeclareAsync(exchange, WireContract.ExchangeType, durable: true, autoDelete: false,
                cancellationToken: cancellationToken);
            return channel;
        }
        catch
        {
            await channel.DisposeAsync();
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
        ArgumentNullException.ThrowIfNull(messages);
        var outstanding = new Queue<(OutgoingMessage Message, ValueTask Confirm)>(_window);
        // Messages whose publish went with a lost connection, oldest first: sent again before anything new.
        var resend = new Queue<OutgoingMessage>();
        // Messages the broker refused (basic.nack: not stored, e.g. a quorum queue without a majority while a cluster
        // recovers, or a channel's stale quorum-queue client: ReopenChannelAsync), sent again on a new channel after a
        // pause that grows while refusals go on; counted as refused only after ReconnectFor of refusals with nothing
        // confirmed.
        var refused = new Queue<OutgoingMessage>();
        Stopwatch? refusedSince = null;
        var refusalPause = TimeSpan.FromMilliseconds(100);
        long sent = 0, confirmed = 0, returned = 0, nacked = 0, resent = 0;
        var lossesWithoutConfirm = 0;
        string? firstReturn = null;
        var clock = Stopwatch.StartNew();
        using var source = messages.GetEnumerator();

        // Null when the broker settled the oldest publish; its message when the publish was lost with the connection
        // (its shutdown was seen, or its confirm did not come within `wait`, which is handled as a lost connection).
        async Task<OutgoingMessage?> SettleOldest(TimeSpan wait)
        {
            var (message, confirm) = outstanding.Dequeue();
            Task? pending = null;
            try
            {
                if (confirm.IsCompleted) await confirm;
                else
                {
                    pending = confirm.AsTask();
                    using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _connectionLost.Token);
                    await pending.WaitAsync(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, either.Token);
                }
                confirmed++;
                lossesWithoutConfirm = 0;
                refusedSince = null;
                refusalPause = TimeSpan.FromMilliseconds(100);
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
                refused.Enqueue(message);
                refusedSince ??= Stopwatch.StartNew();
                return null;
            }
            // ObjectDisposedException: the client disposes a lost connection's channel while publishes on it still
            // wait for their confirm (RabbitMQ.Client 7), which is a loss like the others.
            catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException or TimeoutException
                or ObjectDisposedException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // An abandoned publish may still fail later, on the dead connection: nobody needs to see that.
                if (pending is { IsCompleted: false }) _ = pending.ContinueWith(t => t.Exception, TaskScheduler.Default);
                _lastLoss = e is OperationCanceledException ? new IOException("The connection to RabbitMQ shut down.", e) : e;
                return message;
            }
            var settled = confirmed + returned + nacked;
            if (progress is not null && settled % ProgressEvery == 0)
                progress.Report(new PublishProgress(sent, confirmed));
            return null;
        }

        OutgoingMessage? next = null;
        while (true)
        {
            // Refusals wait until everything in flight has settled, then go again together after one pause.
            if (next is null && resend.Count == 0 && refused.Count > 0 && outstanding.Count == 0)
            {
                if (refusedSince!.Elapsed >= ReconnectFor)
                {
                    // Refused for as long as a lost broker is waited for: what is refused stays refused.
                    nacked += refused.Count;
                    refused.Clear();
                }
                else
                {
                    await Task.Delay(refusalPause, cancellationToken);
                    refusalPause = TimeSpan.FromMilliseconds(Math.Min(refusalPause.TotalMilliseconds * 2, 5_000));
                    await ReopenChannelAsync(cancellationToken);
                    while (refused.TryDequeue(out var again)) resend.Enqueue(again);
                }
            }
            if (next is null)
            {
                if (resend.TryDequeue(out var again))
                {
                    next = again;
                    resent++;
                }
                else if (refused.Count == 0 && source.MoveNext())
                {
                    next = source.Current;
                    sent++;
                }
            }
            if (next is null && outstanding.Count == 0) break;
            if (next is null || outstanding.Count >= _window)
            {
                if (await SettleOldest(ConfirmTimeout) is not { } lost) continue;
                // Closing the channel fails whatever is still outstanding on it at once (a confirm that timed out
                // leaves the others waiting otherwise); a close that hangs is abandoned after the grace.
                await CloseQuietly();
                // A channel's confirms do not outlive its connection: every publish still outstanding and not
                // confirmed within the grace is lost with it, whether or not the broker stored it. All of them go
                // again, in their order, before anything not yet sent (a message sent twice is stored once:
                // consumers de-duplicate by id).
                var unconfirmed = new Queue<OutgoingMessage>();
                unconfirmed.Enqueue(lost);
                var grace = Stopwatch.StartNew();
                while (outstanding.Count > 0)
                    if (await SettleOldest(LossGrace - grace.Elapsed) is { } alsoLost) unconfirmed.Enqueue(alsoLost);
                if (next is not null) unconfirmed.Enqueue(next);
                next = null;
                while (resend.TryDequeue(out var waiting)) unconfirmed.Enqueue(waiting);
                resend = unconfirmed;
                // The broker refusing every attempt (a deleted exchange closes the channel each time) is no outage to ride out.
                if (++lossesWithoutConfirm > MaxLossesWithoutConfirm)
                    throw new InvalidOperationException(
                        $"The connection to RabbitMQ was lost {MaxLossesWithoutConfirm} times in a row with nothing confirmed in between; " +
                        $"{resend.Count} messages unconfirmed. Last reason: {_lastLoss?.Message}", _lastLoss);
                await ReconnectAsync(cancellationToken);
                continue;
            }
            var properties = new BasicProperties
            {
                ContentType = WireContract.JsonContentType,
                DeliveryMode = DeliveryModes.Persistent,
                MessageId = next.MessageId,
                CorrelationId = next.CorrelationId,
            };
            outstanding.Enqueue((next, PublishOne(next, properties, cancellationToken)));
            next = null;
        }
        clock.Stop();
        progress?.Report(new PublishProgress(sent, confirmed));
        return new PublishSummary(sent, confirmed, returned, nacked, clock.Elapsed, firstReturn) { Resent = resent };
    }

    private ValueTask PublishOne(OutgoingMessage message, BasicProperties properties, CancellationToken cancellationToken)
    {
        try
        {
            return _channel.BasicPublishAsync(_exchange, message.RoutingKey, mandatory: true, properties, message.Body, cancellationToken);
        }
        catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException or ObjectDisposedException)
        {
            // A publish on a channel already known to be closed fails at once; it is settled, and sent again, in its turn.
            return ValueTask.FromException(e);
        }
    }

    /// <summary>
    /// A new channel on the same connection, for messages the broker refused, before they go again (nothing is outstanding
    /// on the old one then). RabbitMQ before 3.12.5 sets up a channel's client of a quorum queue at the channel's first
    /// publish to it, from the leader the queue's record names; if that node is dead (a leader killed, its successor not
    /// yet elected and recorded, under a second), the client refuses every publish on that channel for as long as the
    /// channel lives (rabbit_fifo_client's first enqueue; rabbitmq-server#9221), while a new channel's goes to the new
    /// leader. Reopening is harmless when the refusal has another cause (no majority): the next refusal reopens again.
    /// A connection that fails meanwhile is reconnected as a lost one is.
    /// </summary>
    private async Task ReopenChannelAsync(CancellationToken cancellationToken)
    {
        await CloseQuietly(_channel, connection: null);
        try
        {
            // Bounded: a channel that cannot be opened within the grace is a connection in trouble.
            _channel = await OpenChannelAsync(_connection, _exchange, cancellationToken).WaitAsync(LossGrace, cancellationToken);
            ChannelsReopened++;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Whatever stopped the new channel (the connection closing, a timeout, a client in a state it refuses to open
            // channels from), a new connection is the answer the publisher already has for a lost one.
            _lastLoss = e;
            await ReconnectAsync(cancellationToken);
        }
    }

    /// <summary>
    /// A new connection and channel after the old ones were lost, tried with growing pauses for up to
    /// <see cref="ReconnectFor"/>; then the last failure (typically <see cref="BrokerUnreachableException"/>) is thrown.
    /// </summary>
    private async Task ReconnectAsync(CancellationToken cancellationToken)
    {
        await CloseQuietly();
        var clock = Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                _firstNode = (_firstNode + 1) % _nodes.Count;
                (_connection, _channel) = await OpenAsync(_factory, _nodes.Skip(_firstNode).Concat(_nodes.Take(_firstNode)), _exchange, cancellationToken);
                WatchForLoss();
                Reconnections++;
                return;
            }
            catch (Exception e) when ((e is BrokerUnreachableException or AlreadyClosedException or OperationInterruptedException
                                           or IOException or TimeoutException) && clock.Elapsed < ReconnectFor)
            {
                await Task.Delay(pause, cancellationToken);
                pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 5_000));
            }
        }
    }

    private Task CloseQuietly() => CloseQuietly(_channel, _connection);

    private async Task CloseQuietly(IChannel channel, IConnection? connection)
    {
        var closing = Task.Run(async () =>
        {
            await channel.DisposeAsync();
            if (connection is not null) await connection.DisposeAsync();
        });
        try
        {
            await closing.WaitAsync(LossGrace);
        }
        catch (Exception)
        {
            // Closing what is already gone (or a close stuck on a dead socket, left to finish or not): nothing to release,
            // and nothing a caller could do about it; the publisher goes on with a new channel or connection either way.
            _ = closing.ContinueWith(t => t.Exception, TaskScheduler.Default);
        }
    }

    public async ValueTask DisposeAsync() => await CloseQuietly();
}
