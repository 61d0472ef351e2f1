using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using Outcomes.Domain.Safety;
using RabbitMQ.Client;

namespace Outcomes.Service.Safety;

/// The message a clinic's integration engine receives for each new signal (docs/contract/v1/signals).
public sealed record SignalRaisedMessage(
    Guid SignalId,
    string Signal,
    string Rule,
    string ClinicId,
    string PatientKey,
    int Course,
    DateTimeOffset AssessmentAt,
    int? Day,
    int SessionsReceived,
    int Total,
    int? Item9,
    int? BaselineTotal,
    DateTimeOffset RaisedAt)
{
    public static SignalRaisedMessage Of(SignalRow row) => new(row.Id, row.Signal, SafetySignal.Rule(KindOf(row.Signal)), row.ClinicId,
        row.PatientKey, row.Course, row.AssessmentAt, row.Day, row.SessionsReceived, row.Total, row.Item9, row.BaselineTotal, row.RaisedAt);

    public static SignalKind KindOf(string label) =>
        Enum.GetValues<SignalKind>().First(k => SafetySignal.Label(k) == label);

    public string RoutingKey => $"v1.{ClinicId}.{Signal}";
}

/// Publishes new signals to the clinic-signals exchange: woken by the NOTIFY that ingestion's transaction sends when it
/// stores a signal (so a signal leaves within a fraction of a second of its fact's commit), and by a poll as a fallback.
/// A signal is marked published only after the broker confirmed it: at least once, never lost; consumers de-duplicate
/// by signalId (the message id). A lost connection fails the publishes still awaiting their confirms; the run ends, and
/// the next one, on a new connection to whichever of the broker's nodes answers, sends those signals again (still
/// unmarked). A confirm that does not come within ConfirmTimeout is handled the same way.
public sealed class SignalPublisher(NpgsqlDataSource database, Marten.IDocumentStore documents, IConfiguration configuration,
    IOptions<SafetyOptions> options, ILogger<SignalPublisher> logger) : BackgroundService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan ConfirmTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);
    private readonly SafetySignalStore _store = new(documents.Options.Events.DatabaseSchemaName);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Run(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Safety signal publisher stopped; restarting in 2 s");
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }

    private async Task Run(CancellationToken stoppingToken)
    {
        // ConnectionStrings:RabbitMq may list a cluster's nodes. The library's recovery stays off: it would reopen the
        // channel but not resend what the old one lost; this loop does both.
        var broker = await Hosting.BrokerNodes.Parse(configuration.GetConnectionString("RabbitMq")!)
            .ConnectAsync("outcomes-signals", stoppingToken, automaticRecovery: false);
        IChannel? channel = null;
        try
        {
            channel = await broker.CreateChannelAsync(new CreateChannelOptions(true, true), stoppingToken);
            await channel.ExchangeDeclareAsync(options.Value.Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: stoppingToken);

            await using var listener = await database.OpenConnectionAsync(stoppingToken);
            await using (var listen = new NpgsqlCommand($"listen {SafetySignalStore.Channel}", listener))
                await listen.ExecuteNonQueryAsync(stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                while (await PublishBatch(channel, stoppingToken) > 0) { }
                await listener.WaitAsync(options.Value.PollInterval, stoppingToken);
            }
        }
        finally
        {
            await CloseWithin(channel, broker, CloseTimeout);
        }
    }

    /// A connection lost under load can leave RabbitMQ.Client 7 unable to close it (a publish stuck on the dead socket
    /// holds the channel's confirmation lock: rabbitmq-dotnet-client#1930); the next run must not wait on that.
    private static async Task CloseWithin(IChannel? channel, IConnection connection, TimeSpan timeout)
    {
        var closing = Task.Run(async () =>
        {
            if (channel is not null) await channel.DisposeAsync();
            await connection.DisposeAsync();
        });
        try
        {
            await closing.WaitAsync(timeout);
        }
        catch (Exception)
        {
            // Already gone, or stuck and left behind: the next run opens a new connection either way.
            _ = closing.ContinueWith(t => t.Exception, TaskScheduler.Default);
        }
    }

    private async Task<int> PublishBatch(IChannel channel, CancellationToken cancellationToken)
    {
        var rows = new List<SignalRow>();
        await using (var select = database.CreateCommand(
            $"select {SafetySignalStore.Columns} from {_store.QualifiedName} where published_at is null order by raised_at limit 500"))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
            while (await reader.ReadAsync(cancellationToken)) rows.Add(SafetySignalStore.Read(reader));
        if (rows.Count == 0) return 0;

        var confirms = rows.Select(row =>
        {
            var message = SignalRaisedMessage.Of(row);
            var properties = new BasicProperties
            {
                ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent, MessageId = row.Id.ToString(),
                Type = "v1.safety-signal-raised",
            };
            return channel.BasicPublishAsync(options.Value.Exchange, message.RoutingKey, false, properties,
                JsonSerializer.SerializeToUtf8Bytes(message, Json), cancellationToken).AsTask();
        }).ToList();
        await Task.WhenAll(confirms).WaitAsync(ConfirmTimeout, cancellationToken);

        await using var mark = database.CreateCommand($"update {_store.QualifiedName} set published_at = clock_timestamp() where id = any($1)");
        mark.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Id).ToArray() });
        await mark.ExecuteNonQueryAsync(cancellationToken);
        return rows.Count;
    }
}
