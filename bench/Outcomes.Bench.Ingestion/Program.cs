using System.CommandLine;
using System.Globalization;
using Outcomes.Bench.Ingestion;

var runs = new Option<int>("--runs") { Description = "Rounds; each times the raw ceiling once and every setting once", DefaultValueFactory = _ => 3, Recursive = true };
var patients = new Option<int>("--patients") { Description = "Patients in the workload", DefaultValueFactory = _ => 10_000, Recursive = true };
var perPatient = new Option<int>("--per-patient") { Description = "PHQ-9 results per patient", DefaultValueFactory = _ => 10, Recursive = true };
var partitions = new Option<string>("--partitions") { Description = "Ingestion:Partitions values to measure, comma-separated", DefaultValueFactory = _ => "1", Recursive = true };
var maxBatch = new Option<string>("--max-batch") { Description = "Ingestion:MaxBatch values to measure, comma-separated", DefaultValueFactory = _ => "500", Recursive = true };
var prefetch = new Option<string>("--prefetch") { Description = "Ingestion:PrefetchCount values to measure, comma-separated (the ceiling uses the first)", DefaultValueFactory = _ => "1000", Recursive = true };
var window = new Option<int>("--window") { Description = "Publishes awaiting a confirm at once (both runs)", DefaultValueFactory = _ => Outcomes.Cli.Publishing.ClinicEventPublisher.DefaultWindow, Recursive = true };
var warmupPatients = new Option<int>("--warmup-patients") { Description = "Patients of the untimed warm-up before each run (20,000 messages settle the JIT with the Dockerfile's DOTNET_TC_CallCountingDelayMs=0; without it some 100,000)", DefaultValueFactory = _ => 2_000, Recursive = true };
var service = new Option<string?>("--service") { Description = "Outcomes.Service.dll to run (default: the build of the same configuration)", Recursive = true };
var set = new Option<string[]>("--set") { Description = "Extra service setting KEY=VALUE (environment form, e.g. Logging__LogLevel__Default=Debug; KEY= with no value removes it, e.g. a runtime setting of the Dockerfile)", Recursive = true };
var compare = new Option<string?>("--compare-service") { Description = "Another build's Outcomes.Service.dll, timed in every round too (e.g. the main branch's, for before/after)", Recursive = true };
var compareSettings = new Option<string>("--compare-settings") { Description = "Partitions,MaxBatch,PrefetchCount for --compare-service", DefaultValueFactory = _ => "4,500,2000", Recursive = true };
var holdVariant = new Option<int>("--ceiling-hold-ms") { Description = "Also time a diagnostic ceiling whose acks are held this long per half-prefetch group, as the service holds them until its batch commits (0: off)", Recursive = true };
var skipCeiling = new Option<bool>("--no-ceiling") { Description = "Time the service only", Recursive = true };
var poison = new Option<int>("--poison") { Description = "Also time each setting with this percentage of bad messages mixed in (0: off); the report compares valid throughput with the clean run", Recursive = true };
var instances = new Option<string>("--instances") { Description = "Service instances consuming the one queue, comma-separated values to measure (scale-out)", DefaultValueFactory = _ => "1", Recursive = true };
var queueTypes = new Option<string?>("--queue-types") { Description = "Ingestion:QueueType values to measure, comma-separated (quorum, classic; default: the service's)", Recursive = true };
var ceilingQueues = new Option<string>("--ceiling-queues") { Description = "Queue types of the raw ceiling, comma-separated (classic: the ceiling proper; quorum: the service's type, beside it)", DefaultValueFactory = _ => "classic", Recursive = true };
var item9Positive = new Option<string>("--item9-positive") { Description = "Percentages of assessments with item 9 positive, comma-separated, each a workload timed in every round ('uniform': every item uniform on 0-3, 75 %)", DefaultValueFactory = _ => "uniform", Recursive = true };
var keep = new Option<bool>("--keep") { Description = "Keep each run's schema and broker topology", Recursive = true };

var root = new RootCommand("Outcomes benchmarks") { runs, patients, perPatient, partitions, maxBatch, prefetch, window, warmupPatients, service, set, compare, compareSettings, holdVariant, skipCeiling, poison, instances, queueTypes, ceilingQueues, item9Positive, keep };
var ingest = new Command("ingest", "Ingestion: confirmed publish -> stored and projected, against the raw RabbitMQ ceiling (the default)");
root.Subcommands.Add(ingest);

Func<ParseResult, CancellationToken, Task<int>> action = async (parse, cancellationToken) =>
{
    var settings = (
        from p in Ints(parse.GetValue(partitions)!)
        from b in Ints(parse.GetValue(maxBatch)!)
        from f in Ints(parse.GetValue(prefetch)!)
        from n in Ints(parse.GetValue(instances)!)
        from q in parse.GetValue(queueTypes) is { } types ? types.Split(',', StringSplitOptions.TrimEntries).Select(t => (string?)t) : [null]
        select new IngestionSettings(p, b, f, Instances: n, QueueType: q)).ToList();
    if (parse.GetValue(compare) is { } other)
    {
        var c = Ints(parse.GetValue(compareSettings)!).ToArray();
        settings.Add(new IngestionSettings(c[0], c[1], c[2], "compared build", Path.GetFullPath(other)));
    }
    var extra = (parse.GetValue(set) ?? []).Select(s => s.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "");
    var env = BenchEnvironment.FromEnvironment(parse.GetValue(service), extra);
    var count = parse.GetValue(runs);
    var windowSize = parse.GetValue(window);
    // One workload per item-9 share; the first is the ceiling's and the poison's. Same seeds: only item 9 differs.
    var variants = parse.GetValue(item9Positive)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
        .Select(v => v == "uniform" ? (int?)null : int.Parse(v, CultureInfo.InvariantCulture))
        .Select(p => (Workload: Phq9Workload.Create("bench", parse.GetValue(patients), parse.GetValue(perPatient), seed: 42, p),
            Warmup: Phq9Workload.Create("warmup", parse.GetValue(warmupPatients), parse.GetValue(perPatient), seed: 7, p)))
        .ToList();
    var (workload, warmup) = variants[0];
    var poisoned = workload.WithPoison(parse.GetValue(poison), seed: 11);

    Console.WriteLine($"## Ingestion run {DateTimeOffset.Now:yyyy-MM-dd HH:mm zzz}");
    Console.WriteLine();
    Console.WriteLine($"- machine: {BenchEnvironment.Machine()}");
    Console.WriteLine($"- build: {BenchEnvironment.Configuration}; service: {env.ServiceDll}");
    Console.WriteLine($"- service runtime settings (the Dockerfile's, unless set here): {ServiceProcess.DescribeRuntimeSettings()}");
    Console.WriteLine($"- workload: {workload.Count:N0} PHQ-9 messages over {workload.Patients:N0} patients ({workload.AssessmentsPerPatient} each), " +
        $"{workload.Messages.Average(m => m.Body.Length):0} B average body, clinical order; warm-up {warmup.Count} messages before each timed run; " +
        $"item 9 positive in {string.Join(" / ", variants.Select(v => v.Workload.Item9PositiveShare.ToString("P0", CultureInfo.InvariantCulture)))} of assessments");
    Console.WriteLine($"- publish window {windowSize}; load average before: {File.ReadAllText("/proc/loadavg").Trim()}");
    foreach (var compared in settings.Where(s => s.ServiceDll is not null))
        Console.WriteLine($"- compared build: {compared.ServiceDll}");
    if (extra.Count > 0) Console.WriteLine($"- extra service settings: {string.Join(", ", extra.Select(kv => $"{kv.Key}={kv.Value}"))}");
    Console.WriteLine();
    Console.WriteLine(IngestionReport.RunHeader);

    var results = new List<RunResult>();
    for (var round = 1; round <= count; round++)
    {
        if (!parse.GetValue(skipCeiling))
        {
            foreach (var queueType in parse.GetValue(ceilingQueues)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                Report(round, await RawCeiling.Run(env.RabbitMq, warmup, workload, windowSize, settings[0].PrefetchCount, 0, cancellationToken, queueType));
            if (parse.GetValue(holdVariant) is > 0 and var hold)
                Report(round, await RawCeiling.Run(env.RabbitMq, warmup, workload, windowSize, settings[0].PrefetchCount, hold, cancellationToken));
        }
        foreach (var setting in settings)
        {
            // Clean and poisoned in turn, the order swapped every round, so that a change in load falls on both alike.
            var pair = poisoned == workload ? [workload] : round % 2 == 1 ? new[] { workload, poisoned } : [poisoned, workload];
            foreach (var load in pair)
                Report(round, await EndToEnd.Run(env, setting, warmup, load, windowSize, parse.GetValue(keep), cancellationToken));
            foreach (var (variant, variantWarmup) in variants.Skip(1))
            {
                var run = await EndToEnd.Run(env, setting, variantWarmup, variant, windowSize, parse.GetValue(keep), cancellationToken);
                Report(round, run with { Kind = $"{run.Kind}, item 9 positive {variant.Item9PositiveShare.ToString("P0", CultureInfo.InvariantCulture)}" });
            }
        }
    }

    Console.WriteLine();
    Console.WriteLine($"- load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
    Console.WriteLine();
    Console.WriteLine(IngestionReport.Summary(results));
    if (poisoned != workload)
        Console.WriteLine(IngestionReport.PoisonSummary(results, poisoned.PoisonCount));
    return results.All(r => r.Exact) ? 0 : 2;

    void Report(int round, RunResult result)
    {
        results.Add(result);
        Console.WriteLine(IngestionReport.RunRow(round, result));
        if (!result.Exact) Console.Error.WriteLine($"round {round}, {result.Label}: {result.Check}");
    }
};
root.SetAction(action);
ingest.SetAction(action);

var courses = new Option<int>("--courses") { Description = "Courses (one per patient)", DefaultValueFactory = _ => 300_000 };
var seed = new Option<long>("--seed") { Description = "Seed of the demo cohort", DefaultValueFactory = _ => 42 };
var output = new Option<string>("--out") { Description = "NDJSON file for `outcomes load`", Required = true };
var mTier = new Command("m-tier", "Write the report benchmark's M tier (demo cohort, about 10 PHQ-9 per course) as a bulk-upload file")
{
    courses, seed, output,
};
mTier.SetAction(parse =>
{
    var started = System.Diagnostics.Stopwatch.StartNew();
    long lines;
    using (var file = new BufferedStream(File.Create(parse.GetValue(output)!), 1 << 16))
        lines = Outcomes.Cli.Demo.DryRunFile.WriteForBulkLoad(file, MTierFeed.Messages(parse.GetValue(courses), parse.GetValue(seed)));
    Console.WriteLine($"wrote {lines:N0} messages for {parse.GetValue(courses):N0} courses to {parse.GetValue(output)} in {started.Elapsed.TotalSeconds:F0} s");
    return 0;
});
root.Subcommands.Add(mTier);

var backfillFile = new Option<FileInfo>("--file") { Description = "Bulk-upload NDJSON file to backfill (written first with m-tier --courses if missing)", Required = true };
var backfillCourses = new Option<int>("--courses") { Description = "Courses of the M-tier file written when --file is missing", DefaultValueFactory = _ => 300_000 };
var backfillSchema = new Option<string>("--schema") { Description = "Event-store schema of the run (dropped after unless --keep)", DefaultValueFactory = _ => "bench_backfill_m" };
var backfill = new Command("backfill", "Backfill: a bulk-upload file (the M tier) through POST /api/v1/ingestion/backfill into a fresh schema, " +
    "against a raw binary COPY FROM of the same event rows into a table with mt_events' three indexes (the ceiling), in the same run")
{
    backfillFile, backfillCourses, backfillSchema,
};
backfill.SetAction(async (parse, cancellationToken) =>
{
    var file = parse.GetValue(backfillFile)!;
    if (!file.Exists)
    {
        using var stream = new BufferedStream(File.Create(file.FullName), 1 << 16);
        Outcomes.Cli.Demo.DryRunFile.WriteForBulkLoad(stream, MTierFeed.Messages(parse.GetValue(backfillCourses), 42));
    }
    file.Refresh();
    var extra = (parse.GetValue(set) ?? []).Select(s => s.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "");
    var env = BenchEnvironment.FromEnvironment(parse.GetValue(service), extra);
    Console.WriteLine($"## Backfill run {DateTimeOffset.Now:yyyy-MM-dd HH:mm zzz}");
    Console.WriteLine();
    Console.WriteLine($"- machine: {BenchEnvironment.Machine()}; service runtime settings: {ServiceProcess.DescribeRuntimeSettings()}");
    Console.WriteLine($"- file: {file.FullName} ({file.Length / 1e9:0.00} GB); service: {env.ServiceDll}" +
        (extra.Count > 0 ? $"; settings: {string.Join(", ", extra.Select(kv => $"{kv.Key}={kv.Value}"))}" : ""));
    Console.WriteLine();
    Console.WriteLine("| round | lines | stored | rejected | backfill (s) | facts/s | service peak RSS (MB) | service CPU (s) | PostgreSQL CPU (s, all) | load before / after | " +
        "COPY, 3 indexes (s) | rows/s | COPY, no index (s) | rows/s | backfill vs indexed COPY | load during COPY |");
    Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |");
    for (var round = 1; round <= parse.GetValue(runs); round++)
    {
        var r = await BackfillBench.Run(env, file, parse.GetValue(backfillSchema)!, parse.GetValue(keep), extra, cancellationToken);
        var rate = r.Stored / r.Seconds;
        var indexedRate = r.CeilingRows / r.CeilingIndexedSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {round} | {r.Lines:N0} | {r.Stored:N0} | {r.Rejected:N0} | {r.Seconds:F1} | {rate:N0} | {r.PeakRssMb:N0} | {r.Cpu.Service:F0} | {r.Cpu.Postgres:F0} | " +
            $"{r.LoadBefore} / {r.LoadAfter} | {r.CeilingIndexedSeconds:F1} | {indexedRate:N0} | {r.CeilingBareSeconds:F1} | {r.CeilingRows / r.CeilingBareSeconds:N0} | " +
            $"{rate / indexedRate:P0} | {r.CeilingLoad} |"));
    }
    return 0;
});
root.Subcommands.Add(backfill);

var lChunks = new Option<int>("--chunks") { Description = "Chunks of --courses each (10 x 300,000: the L tier)", DefaultValueFactory = _ => 10 };
var lFrom = new Option<int>("--from-chunk") { Description = "First chunk to load (those before are already stored)", DefaultValueFactory = _ => 0 };
var lCourses = new Option<int>("--courses") { Description = "Courses per chunk", DefaultValueFactory = _ => 300_000 };
var lSchema = new Option<string>("--schema") { Description = "Event-store schema, kept for the reports bench", DefaultValueFactory = _ => "bench_l" };
var lDirectory = new Option<string>("--dir") { Description = "Where each chunk's file is written (and deleted after its upload)", DefaultValueFactory = _ => Path.GetTempPath() };
var lTier = new Command("l-tier", "Load the L tier (3 M courses, ~50 M facts) into a kept schema through the backfill, chunk by chunk, so only one chunk's file is on disk at a time")
{
    lChunks, lFrom, lCourses, lSchema, lDirectory,
};
lTier.SetAction(async (parse, cancellationToken) =>
{
    var extra = (parse.GetValue(set) ?? []).Select(s => s.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "");
    var env = BenchEnvironment.FromEnvironment(parse.GetValue(service), extra);
    return await LTierLoad.Run(env, parse.GetValue(lSchema)!, parse.GetValue(lChunks), parse.GetValue(lFrom), parse.GetValue(lCourses),
        parse.GetValue(lDirectory)!, extra, cancellationToken);
});
root.Subcommands.Add(lTier);

var probes = new Option<int>("--probes") { Description = "Signal-raising PHQ-9s the probe sends during each run", DefaultValueFactory = _ => 200 };
var probeInterval = new Option<int>("--probe-interval-ms") { Description = "Pause between probe messages", DefaultValueFactory = _ => 50 };
var rate = new Option<double?>("--rate") { Description = "Publish the workload at this steady rate (msg/s) instead of as fast as confirms allow" };
var signals = new Command("signals", "Safety-signal latency: confirmed publish of a PHQ-9 with item 9 positive -> its signal delivered, under the ingestion workload")
{
    probes, probeInterval, rate,
};
signals.SetAction(async (parse, cancellationToken) =>
{
    var env = BenchEnvironment.FromEnvironment(parse.GetValue(service), new Dictionary<string, string>());
    var workload = Phq9Workload.Create("bench", parse.GetValue(patients), parse.GetValue(perPatient), seed: 42);
    var warmup = Phq9Workload.Create("warmup", parse.GetValue(warmupPatients), parse.GetValue(perPatient), seed: 7);
    var setting = new IngestionSettings(1, 250, 500);
    Console.WriteLine($"## Safety-signal latency {DateTimeOffset.Now:yyyy-MM-dd HH:mm zzz}");
    Console.WriteLine($"- machine: {BenchEnvironment.Machine()}; load average before: {File.ReadAllText("/proc/loadavg").Trim()}");
    Console.WriteLine($"- workload: {workload.Count:N0} PHQ-9 over {workload.Patients:N0} patients (random items: most raise an item-9 signal too); " +
        $"probe: {parse.GetValue(probes)} PHQ-9s with item 9 = 2, one every {parse.GetValue(probeInterval)} ms, each awaited until confirmed; " +
        (parse.GetValue(rate) is { } r ? $"workload paced at {r:0} msg/s" : "workload published as fast as confirms allow (a backlog: the probe waits behind it)"));
    Console.WriteLine();
    Console.WriteLine("| round | rate (msg/s) | probes | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | missing |");
    Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    var all = new List<double>();
    for (var round = 1; round <= parse.GetValue(runs); round++)
    {
        var latency = new SignalLatency(env.RabbitMq, parse.GetValue(probes), TimeSpan.FromMilliseconds(parse.GetValue(probeInterval)));
        var result = await EndToEnd.Run(env, setting, warmup, workload, parse.GetValue(window), false, cancellationToken, latency.Run,
            parse.GetValue(rate));
        var ms = latency.Milliseconds;
        all.AddRange(ms);
        Console.WriteLine($"| {round} | {result.Rate:0} | {ms.Count} | {SignalLatency.Percentile(ms, 0.5):0} | " +
            $"{SignalLatency.Percentile(ms, 0.95):0} | {SignalLatency.Percentile(ms, 0.99):0} | {(ms.Count == 0 ? double.NaN : ms.Max()):0} | {latency.Missing} |");
    }
    Console.WriteLine();
    Console.WriteLine($"- all rounds: {all.Count} signals, p50 {SignalLatency.Percentile(all, 0.5):0} ms, p99 {SignalLatency.Percentile(all, 0.99):0} ms; " +
        $"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
    return 0;
});
root.Subcommands.Add(signals);
return await root.Parse(args).InvokeAsync();

static IEnumerable<int> Ints(string list) =>
    list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => int.Parse(v, CultureInfo.InvariantCulture));
