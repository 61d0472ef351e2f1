using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Outcomes.Contracts;
using Outcomes.Service.Hosting;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.Scaling;

[CollectionDefinition(Name)]
public sealed class TelemetryCollection : ICollectionFixture<ServicesFixture>
{
    public const string Name = "telemetry";
}

[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests(ServicesFixture services) : IAsyncLifetime
{
    private readonly IsolatedNames _names = IsolatedNames.New();

    // If any exporter were active, these make it push within a fraction of a second (the SDK reads the standard
    // variables from configuration), so a quiet listener means no exporter rather than a slow one.
    private static readonly Dictionary<string, string> Eager = new()
    {
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        // Blank whatever the machine's environment says, so "not configured" is what this test runs.
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "",
    };

    public Task InitializeAsync() => services.InitializeAsync();

    public async Task DisposeAsync() => await _names.Delete(services);

    [Fact]
    public async Task NotConfigured_NothingIsSentAnywhere()
    {
        // The OTLP exporter's default destinations: anything that would be sent without configuration lands here.
        using var grpc = OtlpCollector.TryListen(4317);
        using var http = OtlpCollector.TryListen(4318);
        await using var host = new OutcomesHost(services, _names, Eager);
        var client = host.Start();

        var exports = host.Services.GetRequiredService<TelemetryExports>();
        Assert.Null(exports.Otlp);
        Assert.Null(host.Services.GetService<TracerProvider>());

        await Ingest(host, client);
        var window = DateTime.UtcNow.AddSeconds(3);
        while (DateTime.UtcNow < window)
        {
            (await client.GetAsync("/api/v1/reports")).EnsureSuccessStatusCode();
            await Task.Delay(100);
        }
        Assert.Empty(grpc?.Requests ?? []);
        Assert.Empty(http?.Requests ?? []);
    }

    [Fact]
    public async Task OtlpEndpointConfigured_TracesAndMetricsArrive()
    {
        // The control of the test above: the same activity with an endpoint configured is seen by a collector.
        using var collector = OtlpCollector.TryListen(0)!;
        var settings = new Dictionary<string, string>(Eager)
        {
            ["Telemetry:OtlpEndpoint"] = $"http://127.0.0.1:{collector.Port}",
            ["Telemetry:OtlpProtocol"] = "http/protobuf",
            ["Telemetry:ExportEvery"] = "00:00:00.200",
        };
        await using var host = new OutcomesHost(services, _names, settings);
        var client = host.Start();
        Assert.NotNull(host.Services.GetService<TracerProvider>());
        await Ingest(host, client);
        await Eventually.Until(async () =>
        {
            (await client.GetAsync("/api/v1/reports")).EnsureSuccessStatusCode();
            return collector.Requests.ToArray();
        }, r => r.Contains("POST /v1/traces") && r.Contains("POST /v1/metrics"), "OTLP traces and metrics at the collector",
            TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task FactIngested_ScrapeEndpointShowsThePipeline_AdministratorsOnly()
    {
        await using var host = new OutcomesHost(services, _names, new Dictionary<string, string> { ["Telemetry:QueueDepthEvery"] = "00:00:00.200" });
        var admin = host.Start();
        await Ingest(host, admin);
        await using (var publisher = await AmqpPublisher.Connect(services.RabbitMqUri, _names.Exchange))
        {
            var bad = CourseFeed.ForNewPatient();
            var phq9 = bad.Phq9(CourseFeed.Start, 1, 1, 1, 1, 1, 1, 1, 1, 1);
            phq9["total"] = 12;
            await publisher.Publish(CourseFeed.Message("phq9-completed", phq9));
        }

        var text = await Eventually.Until(async () => await admin.GetStringAsync("/metrics"),
            // The stored facts' counts too: a consume is counted after its consumer returned, which on a busy
            // machine can be after the fact is already visible through the API.
            // The rejection by its labels: another host's rejection may already have made the series exist.
            t => t.Contains("field=\"total\",message_type=\"phq9-completed\"", StringComparison.Ordinal)
                // This host's queue by name: another host's gauge may already be there before this one's first poll.
                && t.Split('\n').Any(l => l.StartsWith("outcomes_ingestion_queue_depth{", StringComparison.Ordinal)
                    && l.Contains($"queue=\"{_names.Queue}\"", StringComparison.Ordinal))
                && t.Contains("message_type=\"patient-enrolled\",outcome=\"stored\"", StringComparison.Ordinal),
            "the stored facts, the rejection and the queue depth in /metrics");
        // Counts are not compared exactly: other hosts in this test process count into meters of the same name.
        var lines = text.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("outcomes_ingestion_messages_total{", StringComparison.Ordinal)
            && l.Contains("message_type=\"patient-enrolled\",outcome=\"stored\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("outcomes_ingestion_rejections_total{", StringComparison.Ordinal)
            && l.Contains("field=\"total\",message_type=\"phq9-completed\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("outcomes_ingestion_batch_duration_seconds_bucket{", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("outcomes_ingestion_ack_wait_seconds_bucket{", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("outcomes_ingestion_facts_total{", StringComparison.Ordinal)
            && l.Contains("outcome=\"stored\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("outcomes_ingestion_queue_depth{", StringComparison.Ordinal)
            && l.Contains($"queue=\"{_names.Queue}\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("outcomes_report_duration_seconds_count{", StringComparison.Ordinal)
            && l.Contains("source=\"read-model\"", StringComparison.Ordinal));
        // Npgsql's own meter, and ASP.NET Core's. (MassTransit 8 creates its instruments once per process from the
        // first host's meter factory, so in a test process of many hosts they follow whichever host started first.)
        Assert.Contains("db_client_", text, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);
        // Names of queues and fields only: no clinic id appears (and so no patient key, which is never a tag).
        Assert.DoesNotContain("clinic-t", text, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Forbidden, (await host.ClientFor(AccessToken.Roles.Quality, "clinic-t").GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.CreateClient().GetAsync("/metrics")).StatusCode);
    }

    /// One course through the broker, and a report over it, so that every instrument has something to count.
    private async Task Ingest(OutcomesHost host, HttpClient client)
    {
        var feed = CourseFeed.ForNewPatient();
        await using (var publisher = await AmqpPublisher.Connect(services.RabbitMqUri, _names.Exchange))
            await publisher.PublishAll(feed.Induction());
        await Eventually.Until(() => IngestionFixture.CourseOf(client, feed), c => c?.FactCount >= 12, "the course stored");
        (await client.GetAsync("/api/v1/reports/overview")).EnsureSuccessStatusCode();
        _ = host;
    }

    /// A stand-in OTLP/HTTP collector: records each request's line ("POST /v1/traces") and answers 200.
    private sealed class OtlpCollector : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new();

        private OtlpCollector(TcpListener listener)
        {
            _listener = listener;
            _ = Task.Run(Accept);
        }

        public ConcurrentQueue<string> Requests { get; } = new();

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        /// Listens on the port, or returns null when something else already holds it.
        public static OtlpCollector? TryListen(int port)
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            try
            {
                listener.Start();
            }
            catch (SocketException)
            {
                return null;
            }
            return new OtlpCollector(listener);
        }

        private async Task Accept()
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    _ = Task.Run(() => Serve(client));
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
            }
        }

        private async Task Serve(TcpClient client)
        {
            using var _ = client;
            try
            {
                var stream = client.GetStream();
                var reader = new StreamReader(stream, Encoding.ASCII, false, 1, leaveOpen: true);
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    // A gRPC client opens with the HTTP/2 preface; record it as such and hang up.
                    if (line.StartsWith("PRI * HTTP/2.0", StringComparison.Ordinal)) { Requests.Enqueue("grpc"); return; }
                    var request = string.Join(' ', line.Split(' ').Take(2));
                    var length = 0;
                    var chunked = false;
                    while (await reader.ReadLineAsync(_stop.Token) is { Length: > 0 } header)
                    {
                        if (header.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                            length = int.Parse(header["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                        chunked |= header.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase) && header.Contains("chunked", StringComparison.OrdinalIgnoreCase);
                    }
                    if (chunked)
                    {
                        while (await reader.ReadLineAsync(_stop.Token) is { } size && Convert.ToInt32(size.Split(';')[0].Trim(), 16) is var chunk and > 0)
                        {
                            await Skip(reader, chunk);
                            await reader.ReadLineAsync(_stop.Token);
                        }
                        await reader.ReadLineAsync(_stop.Token);
                    }
                    else
                    {
                        await Skip(reader, length);
                    }
                    Requests.Enqueue(request);
                    await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), _stop.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
            {
            }
        }

        // The body is protobuf; ASCII decoding turns each byte into one character, so counts agree.
        private async Task Skip(StreamReader reader, int length)
        {
            var body = new char[length];
            var read = 0;
            while (read < length && await reader.ReadAsync(body.AsMemory(read, length - read), _stop.Token) is var n and > 0) read += n;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }
    }
}
