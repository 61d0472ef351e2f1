using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Outcomes.Bench.Ingestion;
using Outcomes.Bench.Reports;
using Outcomes.Cli.Tokens;
using Outcomes.Contracts;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Disclosure;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.CourseOutcomes;
using Outcomes.Service.EventStore;
using Outcomes.Service.Hosting;

var tiers = new Option<string[]>("--tier") { Description = "NAME=SCHEMA of an event-store schema already loaded (e.g. S=bench_s M=bench_m)", Required = true, AllowMultipleArgumentsPerToken = true };
var reportName = new Option<string>("--report") { Description = "Named report definition (analytics/reports)", DefaultValueFactory = _ => "outcomes-by-modality" };
var runs = new Option<int>("--runs") { Description = "Timed rounds; each times the raw read, the in-process report and the HTTP report once", DefaultValueFactory = _ => 7 };
var warmups = new Option<int>("--warmups") { Description = "Untimed rounds first (JIT tiering, PostgreSQL's cache)", DefaultValueFactory = _ => 2 };
var service = new Option<string?>("--service") { Description = "Outcomes.Service.dll to run (default: the build of the same configuration)" };
var noHttp = new Option<bool>("--no-http") { Description = "Skip the HTTP run (no service process)" };
var protectedTier = new Option<bool>("--protected") { Description = "Also time the protected tier over HTTP (coverage=network: cell-key perturbed, from a release point cut first)" };
var asOfFraction = new Option<double?>("--as-of")
{
    Description = "Also time the report over HTTP as of an earlier event-store position: this fraction of the latest (e.g. 0.5), " +
        "asked by a quality lead of --clinic only (recomputed from the events); prints the service's peak memory after",
};
var asOfOnly = new Option<bool>("--as-of-only") { Description = "With --as-of: time only the as-of report, so the service's peak memory is its own" };
var asOfClinic = new Option<string>("--clinic") { Description = "The clinic of the quality lead who asks --as-of, and (with --protected) the rest of the network", DefaultValueFactory = _ => "clinic-b" };

var root = new RootCommand("Cohort report benchmark: a named report computed uncached from the outcome read model, against the raw Npgsql read of the same rows")
    { tiers, reportName, runs, warmups, service, noHttp, protectedTier, asOfFraction, asOfOnly, asOfClinic };
root.SetAction(async (parse, cancellationToken) =>
{
    var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__Outcomes")
        ?? throw new InvalidOperationException("ConnectionStrings__Outcomes is not set (run `. .run/services.env`)");
    var repository = ServiceProcess.RepositoryRoot();
    var (catalog, problems) = ReportCatalog.LoadFolder(Path.Combine(repository, "analytics", "reports"));
    if (problems.Count > 0) throw new InvalidOperationException(string.Join("; ", problems));
    var definition = catalog.Find(parse.GetValue(reportName)!) ?? throw new InvalidOperationException("no such report");

    Console.WriteLine($"## Report benchmark {DateTimeOffset.Now:yyyy-MM-dd HH:mm zzz}");
    Console.WriteLine();
    Console.WriteLine($"- machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, " +
        $"{System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, server GC {System.Runtime.GCSettings.IsServerGC}");
    Console.WriteLine($"- report: {definition.Name} v{definition.Version} (grouped by {definition.GroupBy?.ToString() ?? "nothing"}; sections {string.Join(", ", definition.Options.Sections)})");
    Console.WriteLine($"- this process's DOTNET_GCgen0size: {Environment.GetEnvironmentVariable("DOTNET_GCgen0size") ?? "(not set)"}");
    Console.WriteLine($"- the service's runtime settings (the Dockerfile's, unless set here): {ServiceProcess.DescribeRuntimeSettings()}");
    Console.WriteLine($"- load average before: {File.ReadAllText("/proc/loadavg").Trim()}");
    Console.WriteLine();

    var summaries = new List<string>();
    foreach (var tier in parse.GetValue(tiers)!)
    {
        var (name, schema) = tier.Split('=', 2) is [var n, var s] ? (n, s) : throw new ArgumentException($"--tier {tier}: expected NAME=SCHEMA");
        await using var bench = TierBench.Create(connectionString, schema);
        var state = await bench.ReadModel.State(cancellationToken);
        if (!state.IsCurrent)
        {
            Console.WriteLine($"- {name}: read model not current ({state.CurrentRows:N0} of {state.Courses:N0}); rebuilding first");
            var rebuilt = await bench.ReadModel.Rebuild(null, cancellationToken);
            Console.WriteLine($"- {name}: rebuilt {rebuilt.CoursesDone:N0} courses from {rebuilt.Facts:N0} facts in {rebuilt.Elapsed.TotalSeconds:F1} s");
        }
        // A stream's version is its number of events: the facts without a scan of mt_events (37 GB at the L tier).
        var facts = await bench.Scalar($"select coalesce(sum(version), 0) from {schema}.mt_streams");
        var scores = await bench.Scalar($"select count(*) from {schema}.mt_events where type = 'phq_9_completed'");
        Console.WriteLine($"- tier {name}: schema {schema}, {state.Courses:N0} courses, {facts:N0} facts, {scores:N0} PHQ-9");

        await using var http = parse.GetValue(noHttp) ? null : await HttpReports.Start(parse.GetValue(service), connectionString, schema, repository, cancellationToken);
        var timeProtected = http is not null && parse.GetValue(protectedTier);
        if (timeProtected)
        {
            // The protected tier answers only at release points: cut one at the latest position first.
            var cut = await http!.CutRelease(cancellationToken);
            Console.WriteLine($"- {name}: release point cut in {cut:F0} ms");
        }
        long? asOfPosition = http is not null && parse.GetValue(asOfFraction) is { } fraction
            ? (long)(await bench.Scalar($"select coalesce(max(seq_id), 0) from {schema}.mt_events") * fraction)
            : null;
        if (asOfPosition is { } p0)
            Console.WriteLine($"- {name}: as of position {p0:N0} for a quality lead of {parse.GetValue(asOfClinic)}; service peak RSS before: {http!.PeakRssMb():F0} MB");
        var timings = new Dictionary<string, List<double>>();
        void Add(string what, double ms) => (timings.TryGetValue(what, out var l) ? l : timings[what] = []).Add(ms);

        PublishedCohortReport? last = null;
        for (var round = -parse.GetValue(warmups); round < parse.GetValue(runs); round++)
        {
            var timed = round >= 0;
            double? viaHttpAsOf = asOfPosition is { } p1 ? await http!.GetAsOf(definition.Name, p1, parse.GetValue(asOfClinic)!, cancellationToken) : null;
            if (asOfPosition is not null && parse.GetValue(asOfOnly))
            {
                if (!timed) continue;
                Add($"http as of position {asOfPosition:N0} (one clinic's quality lead)", viaHttpAsOf!.Value);
                Console.WriteLine($"  round {round + 1}: as of {viaHttpAsOf:F0} ms; load1 {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
                continue;
            }
            var raw = await bench.RawRead(cancellationToken);
            var inProcess = await bench.Report(definition, cancellationToken);
            last = inProcess.Report;
            double? viaHttp = http is null ? null : await http.Get(definition.Name, network: false, cancellationToken);
            double? viaHttpProtected = timeProtected ? await http!.Get(definition.Name, network: true, cancellationToken) : null;
            double? viaHttpLockOut = timeProtected
                ? await http!.GetNetworkAsQuality(definition.Name, parse.GetValue(asOfClinic)!, $"bench-network-{name}-{round}-{Guid.NewGuid():N}", cancellationToken)
                : null;
            if (!timed) continue;
            Add("raw", raw.Milliseconds);
            Add("read+decode", inProcess.ReadMs);
            Add("compute", inProcess.ComputeMs);
            Add("serialize", inProcess.SerializeMs);
            Add("in-process total", inProcess.TotalMs);
            Add("of which GC pauses", inProcess.GcPauseMs);
            Add("in-process CPU (all threads)", inProcess.CpuMs);
            if (viaHttp is { } h) Add("http", h);
            if (viaHttpProtected is { } p) Add("http protected (coverage=network)", p);
            if (viaHttpLockOut is { } q) Add($"http protected, {parse.GetValue(asOfClinic)}'s quality lead, first ask (own clinic left out, lock-out)", q);
            if (viaHttpAsOf is { } a) Add($"http as of position {asOfPosition:N0} (one clinic's quality lead)", a);
            Console.WriteLine($"  round {round + 1}: raw {raw.Milliseconds:F0} ms ({raw.Rows:N0} rows, {raw.Bytes / 1e6:F0} MB); " +
                $"in-process {inProcess.TotalMs:F0} ms (read+decode {inProcess.ReadMs:F0}, compute {inProcess.ComputeMs:F0}, " +
                $"serialize {inProcess.SerializeMs:F0}; GC pauses {inProcess.GcPauseMs:F0} ms in {inProcess.Collections} collections; CPU {inProcess.CpuMs:F0} ms); http {viaHttp?.ToString("F0", CultureInfo.InvariantCulture) ?? "-"} ms; " +
                $"protected {viaHttpProtected?.ToString("F0", CultureInfo.InvariantCulture) ?? "-"} ms; " +
                $"as of {viaHttpAsOf?.ToString("F0", CultureInfo.InvariantCulture) ?? "-"} ms; " +
                $"load1 {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        }
        if (asOfPosition is not null)
            Console.WriteLine($"- {name}: service peak RSS after: {http!.PeakRssMb():F0} MB");
        var groups = last?.Groups.Count ?? 0;
        var rawMedian = timings.TryGetValue("raw", out var raws) ? Median(raws) : double.NaN;
        foreach (var (what, list) in timings)
            summaries.Add($"| {name} ({state.Courses:N0} courses, {groups} groups) | {what} | {Median(list):F0} | {list.Min():F0} - {list.Max():F0} | " +
                $"{Median(list) / rawMedian:F1}x |");
    }
    Console.WriteLine();
    Console.WriteLine("| tier | measured | median (ms) | min - max | vs raw read |");
    Console.WriteLine("| --- | --- | ---: | --- | ---: |");
    foreach (var line in summaries) Console.WriteLine(line);
    return 0;
});
return await root.Parse(args).InvokeAsync();

static double Median(List<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

namespace Outcomes.Bench.Reports
{
    internal sealed record RawRead(double Milliseconds, long Rows, long Bytes);

    internal sealed record InProcessReport(PublishedCohortReport Report, double ReadMs, double ComputeMs, double SerializeMs,
        double GcPauseMs, int Collections, double CpuMs)
    {
        public double TotalMs => ReadMs + ComputeMs + SerializeMs;
    }

    /// The service's own read model and report code over one tier's schema, composed as the service composes them.
    internal sealed class TierBench : IAsyncDisposable
    {
        private static readonly JsonSerializerOptions ApiJson = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
        private readonly ServiceProvider _services;
        private readonly NpgsqlDataSource _database;
        private readonly string _schema;

        private TierBench(ServiceProvider services, string schema)
        {
            _services = services;
            _schema = schema;
            _database = services.GetRequiredService<NpgsqlDataSource>();
            ReadModel = services.GetRequiredService<OutcomeReadModel>();
        }

        public OutcomeReadModel ReadModel { get; }

        public static TierBench Create(string connectionString, string schema)
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Outcomes"] = connectionString,
                ["EventStore:Schema"] = schema,
            }).Build();
            var services = new ServiceCollection().AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
            services.AddOutcomesEventStore(configuration);
            services.AddOutcomeReadModel();
            return new TierBench(services.BuildServiceProvider(), schema);
        }

        public async Task<long> Scalar(string sql)
        {
            // No timeout: counting the PHQ-9 of the L tier scans its whole event table.
            await using var command = _database.CreateCommand(sql);
            command.CommandTimeout = 0;
            return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        }

        /// The ceiling: the same rows and columns the report reads (course key and encoded outcome under the
        /// current definitions), read to the last byte with Npgsql and nothing done with them.
        public async Task<RawRead> RawRead(CancellationToken cancellationToken)
        {
            var clock = Stopwatch.StartNew();
            await using var command = _database.CreateCommand(
                $"select course_key, outcome from {_schema}.{CourseOutcomeTable.Name} where definitions = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = CourseOutcomeTable.DefinitionsKey(OutcomeDefinitions.Default) });
            await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken);
            long rows = 0, bytes = 0;
            var buffer = new byte[4096];
            while (await reader.ReadAsync(cancellationToken))
            {
                bytes += reader.GetString(0).Length;
                var length = (int)reader.GetBytes(1, 0, null, 0, 0);
                if (buffer.Length < length) buffer = new byte[length];
                bytes += reader.GetBytes(1, 0, buffer, 0, length);
                rows++;
            }
            return new RawRead(clock.Elapsed.TotalMilliseconds, rows, bytes);
        }

        /// What GET /api/v1/reports/{name} does for an admin at the latest position (own-clinic tier), phase by phase.
        public async Task<InProcessReport> Report(ReportDefinition definition, CancellationToken cancellationToken)
        {
            var definitions = _services.GetRequiredService<OutcomeDefinitions>();
            var pause = GC.GetTotalPauseDuration();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var collections = GC.CollectionCount(0);
            var clock = Stopwatch.StartNew();
            using var members = await ReadModel.ReadLatest(null, cancellationToken);
            var read = clock.Elapsed.TotalMilliseconds;
            // The own-clinic tier as the service publishes it (exact: computing is publishing).
            var published = ReportDisclosure.OwnClinics(members.Members, definition,
                new ReportProvenance(definitions.Id, definitions.Version, members.Position, members.StoreTime));
            var compute = clock.Elapsed.TotalMilliseconds - read;
            var json = JsonSerializer.SerializeToUtf8Bytes(published, ApiJson);
            var serialize = clock.Elapsed.TotalMilliseconds - read - compute;
            GC.KeepAlive(json);
            return new InProcessReport(published, read, compute, serialize,
                (GC.GetTotalPauseDuration() - pause).TotalMilliseconds, GC.CollectionCount(0) - collections,
                (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds);
        }

        public async ValueTask DisposeAsync() => await _services.DisposeAsync();
    }

    /// The real service over the tier's schema, asked over HTTP as a dashboard or a client would ask.
    internal sealed class HttpReports : IAsyncDisposable
    {
        private readonly ServiceProcess _service;
        private readonly HttpClient _client;
        private readonly string _key;

        private HttpReports(ServiceProcess service, string token, string key)
        {
            _service = service;
            _key = key;
            _client = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
            _client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        /// The service process's peak resident memory so far (VmHWM), in MB.
        public double PeakRssMb()
        {
            var line = File.ReadLines($"/proc/{_service.Pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }

        /// Milliseconds to the last byte of the report as of an earlier position, asked by a quality lead of one clinic
        /// (the own-clinic tier, recomputed from that clinic's events).
        public Task<double> GetAsOf(string report, long position, string clinic, CancellationToken cancellationToken) =>
            GetAs($"/api/v1/reports/{report}?asOfPosition={position}", "bench-quality", clinic, cancellationToken);

        /// Milliseconds to the last byte of the protected report over the rest of the network, asked by a quality lead of
        /// one clinic who has not asked it before (<paramref name="subject"/> new each time): its own clinic left out,
        /// the differencing lock-out reading and recording the report's cohorts.
        public Task<double> GetNetworkAsQuality(string report, string clinic, string subject, CancellationToken cancellationToken) =>
            GetAs($"/api/v1/reports/{report}?coverage=network", subject, clinic, cancellationToken);

        private async Task<double> GetAs(string path, string subject, string clinic, CancellationToken cancellationToken)
        {
            var token = new TokenRequest { Subject = subject, Roles = [AccessToken.Roles.Quality], Clinics = [clinic] }
                .Issue(_key, DateTimeOffset.UtcNow);
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            var clock = Stopwatch.StartNew();
            using var response = await _client.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"GET {request.RequestUri}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body)}");
            return clock.Elapsed.TotalMilliseconds;
        }

        public static async Task<HttpReports> Start(string? serviceDll, string connectionString, string schema, string repository,
            CancellationToken cancellationToken)
        {
            var dll = serviceDll ?? Path.Combine(repository, "src", "Outcomes.Service", "bin",
                typeof(HttpReports).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyConfigurationAttribute), false)
                    .OfType<System.Reflection.AssemblyConfigurationAttribute>().FirstOrDefault()?.Configuration ?? "Release",
                "net10.0", "Outcomes.Service.dll");
            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
            var unique = "bench-reports-" + Guid.NewGuid().ToString("N")[..8];
            var environment = new Dictionary<string, string>
            {
                ["ConnectionStrings__Outcomes"] = connectionString,
                ["ConnectionStrings__RabbitMq"] = Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") ?? "amqp://guest:guest@127.0.0.1:26729/",
                ["EventStore__Schema"] = schema,
                ["Auth__SigningKey"] = key,
                // Production refuses a shared key unless told this is deliberate (a benchmark with no identity provider).
                ["Auth__AllowSigningKeyOutsideDevelopment"] = "true",
                // Its own exchange and queues: this service must not take anyone's messages.
                ["Ingestion__Exchange"] = unique + "-exchange",
                ["Ingestion__Queue"] = unique,
                ["Ingestion__EnvelopeQueue"] = unique + "-envelope",
                ["Logging__LogLevel__Default"] = "Warning",
            };
            var log = Path.Combine(repository, ".run", "logs", $"bench-reports-{schema}.log");
            var service = await ServiceProcess.StartAsync(dll, environment, log, cancellationToken);
            var token = new TokenRequest { Subject = "bench", Roles = [AccessToken.Roles.Admin], Clinics = [AccessToken.AllClinics] }
                .Issue(key, DateTimeOffset.UtcNow);
            return new HttpReports(service, token, key);
        }

        /// Milliseconds to cut a release point at the latest position (what the protected tier reads).
        public async Task<double> CutRelease(CancellationToken cancellationToken)
        {
            var clock = Stopwatch.StartNew();
            using var response = await _client.PostAsync("/api/v1/releases", null, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"POST /api/v1/releases: {(int)response.StatusCode} {body}");
            return clock.Elapsed.TotalMilliseconds;
        }

        /// Milliseconds from the request to the last byte of the report; network: the whole network's courses,
        /// which is always the protected tier.
        public async Task<double> Get(string report, bool network, CancellationToken cancellationToken)
        {
            var clock = Stopwatch.StartNew();
            using var response = await _client.GetAsync($"/api/v1/reports/{report}{(network ? "?coverage=network" : "")}", cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"GET /api/v1/reports/{report}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body)}");
            return clock.Elapsed.TotalMilliseconds;
        }

        public async ValueTask DisposeAsync()
        {
            _client.Dispose();
            await _service.DisposeAsync();
        }
    }
}
