using System.Diagnostics;
using System.Globalization;
using Outcomes.Cli.Publishing;
using RabbitMQ.Client;

namespace Outcomes.Bench.Ingestion;

/// The service's ingestion settings a run measures (appsettings.json section "Ingestion"), and which
/// build of the service runs them: null for this checkout's, else a label and the path of another build.
/// Instances: service processes consuming the one queue (competing consumers), as a scaled-out deployment runs.
/// QueueType: Ingestion:QueueType (null: the service's default, quorum).
public sealed record IngestionSettings(int Partitions, int MaxBatch, int PrefetchCount, string? Build = null, string? ServiceDll = null,
    int Instances = 1, string? QueueType = null)
{
    public override string ToString() =>
        $"{(Build is null ? "" : $"{Build}: ")}{(Instances > 1 ? $"{Instances} instances, " : "")}{(QueueType is null ? "" : $"{QueueType} queue, ")}" +
        $"partitions {Partitions}, batch {MaxBatch}, prefetch {PrefetchCount}";
}

/// A confirmed publish into the real service, timed until every fact is stored and projected.
public static class EndToEnd
{
    /// <param name="alongside">Runs beside the timed publish (e.g. the safety-signal latency probe), given the run's
    /// ingestion exchange and signals exchange; awaited before the run's result is taken.</param>
    public static async Task<RunResult> Run(BenchEnvironment env, IngestionSettings settings, Phq9Workload warmup,
        Phq9Workload workload, int window, bool keep, CancellationToken cancellationToken,
        Func<string, string, CancellationToken, Task>? alongside = null, double? messagesPerSecond = null)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var exchange = $"outcomes.bench-{id}";
        var queue = $"outcomes-bench-{id}";
        var envelopeQueue = $"outcomes-bench-envelope-{id}";
        var schema = $"bench_{id}";
        var signals = $"outcomes.bench-signals-{id}";
        var probe = new EventStoreProbe(env.PostgresConnection, schema);
        var logFile = Path.Combine(env.LogDirectory, $"service-{id}.log");

        var configuration = new Dictionary<string, string>
        {
            ["ConnectionStrings__Outcomes"] = env.PostgresConnection,
            ["ConnectionStrings__RabbitMq"] = env.RabbitMq.ToString(),
            ["EventStore__Schema"] = schema,
            ["Ingestion__Exchange"] = exchange,
            ["Ingestion__Queue"] = queue,
            ["Ingestion__EnvelopeQueue"] = envelopeQueue,
            ["Safety__Exchange"] = signals,
            ["Ingestion__Partitions"] = settings.Partitions.ToString(CultureInfo.InvariantCulture),
            ["Ingestion__MaxBatch"] = settings.MaxBatch.ToString(CultureInfo.InvariantCulture),
            ["Ingestion__PrefetchCount"] = settings.PrefetchCount.ToString(CultureInfo.InvariantCulture),
            // The service refuses to start without a signing key; the benchmark calls no API, so any secret will do.
            ["Auth__SigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48)),
            // Production refuses a shared key unless told this is deliberate (a benchmark with no identity provider).
            ["Auth__AllowSigningKeyOutsideDevelopment"] = "true",
        };
        if (settings.QueueType is { } queueType) configuration["Ingestion__QueueType"] = queueType;
        foreach (var (key, value) in env.ServiceEnvironment)
            configuration[key] = value;

        try
        {
            RunResult result;
            var services = new List<ServiceProcess>();
            try
            {
                for (var i = 0; i < settings.Instances; i++)
                    services.Add(await ServiceProcess.StartAsync(settings.ServiceDll ?? env.ServiceDll, configuration,
                        i == 0 ? logFile : logFile.Replace(".log", $"-{i + 1}.log", StringComparison.Ordinal), cancellationToken));
                await using var publisher = await ClinicEventPublisher.ConnectAsync(env.RabbitMq, window, exchange, cancellationToken);
                await publisher.EnsureQueueExistsAsync(queue, cancellationToken);

                // Warm up the service's JIT, pools and Marten's plans on other patients; the clock starts after.
                await publisher.PublishAsync(warmup.Messages, cancellationToken: cancellationToken);
                await probe.WaitUntilStoredAndProjected(warmup.Count, TimeSpan.FromMinutes(2), cancellationToken);

                var cpu = CpuSampler.Start(services.Select(x => x.Pid).ToArray());
                var start = Stopwatch.GetTimestamp();
                var stored = probe.WaitUntilStoredAndProjected(warmup.Count + workload.Count, TimeSpan.FromMinutes(15), cancellationToken);
                var beside = alongside?.Invoke(exchange, signals, cancellationToken) ?? Task.CompletedTask;
                var published = await publisher.PublishAsync(
                    messagesPerSecond is { } rate ? Paced(workload.Messages, rate) : workload.Messages, cancellationToken: cancellationToken);
                if (!published.AllConfirmed)
                    throw new InvalidOperationException($"Publish not fully confirmed: {published}");
                var done = await stored;
                await beside;
                var elapsed = Stopwatch.GetElapsedTime(start, done);
                var use = cpu.Stop();

                var check = await probe.Check(workload, 0, cancellationToken);
                check = check with { ErrorQueueMessages = await ErrorQueueDepth(env.RabbitMq, queue, cancellationToken) };
                var kind = workload.PoisonCount == 0 ? "end-to-end" : $"end-to-end, {workload.PoisonCount * 100.0 / workload.Messages.Count:0} % poison";
                result = new RunResult(kind, settings, workload.Count, elapsed, published.Elapsed, use, check.ToString(), check.Exact);
            }
            finally
            {
                foreach (var service in services) await service.DisposeAsync();
            }
            return result;
        }
        finally
        {
            if (!keep)
            {
                await DeleteTopology(env.RabbitMq, exchange, [queue, envelopeQueue]);
                await DeleteExchange(env.RabbitMq, signals);
                await probe.DropSchema(CancellationToken.None);
            }
        }
    }

    /// The messages at a steady rate, in slices of 50: a load the service keeps up with instead of a backlog.
    private static IEnumerable<T> Paced<T>(IReadOnlyList<T> messages, double perSecond)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < messages.Count; i++)
        {
            if (i % 50 == 0 && TimeSpan.FromSeconds(i / perSecond) - clock.Elapsed is { Ticks: > 0 } ahead) Thread.Sleep(ahead);
            yield return messages[i];
        }
    }

    private static async Task DeleteExchange(Uri rabbitMq, string exchange)
    {
        await using var connection = await new ConnectionFactory { Uri = rabbitMq }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeleteAsync(exchange);
    }

    private static async Task<uint> ErrorQueueDepth(Uri rabbitMq, string queue, CancellationToken cancellationToken)
    {
        await using var connection = await new ConnectionFactory { Uri = rabbitMq }.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            return (await channel.QueueDeclarePassiveAsync($"{queue}_error", cancellationToken)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            // MassTransit declares the error queue only when the first message faults.
            return 0;
        }
    }

    /// Publishing fans out to every queue ever bound: leave nothing behind.
    private static async Task DeleteTopology(Uri rabbitMq, string exchange, string[] queues)
    {
        await using var connection = await new ConnectionFactory { Uri = rabbitMq }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var queue in queues)
        foreach (var suffix in new[] { "", "_error", "_skipped" })
        {
            await channel.QueueDeleteAsync(queue + suffix);
            // MassTransit puts an exchange of the same name in front of each of its queues.
            await channel.ExchangeDeleteAsync(queue + suffix);
        }
        await channel.ExchangeDeleteAsync(exchange);
    }
}
