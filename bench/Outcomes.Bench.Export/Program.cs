using System.CommandLine;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using Npgsql;
using Outcomes.Bench.Export;
using Outcomes.Service.Exports;

var schema = new Option<string>("--schema") { Description = "Event-store schema already loaded (EventStore__Schema of the service that loaded it)", Required = true, Recursive = true };
var runs = new Option<int>("--runs") { Description = "Rounds; each times both COPY ceilings and both export formats once", DefaultValueFactory = _ => 3, Recursive = true };
var formats = new Option<string>("--formats") { Description = "Export formats to time, comma-separated", DefaultValueFactory = _ => "csv,parquet", Recursive = true };
var noPeak = new Option<bool>("--no-peak") { Description = "Skip the peak-memory child runs", Recursive = true };
var noEvents = new Option<bool>("--no-events") { Description = "Skip the export that replays the events (an export at an earlier position)", Recursive = true };
var format = new Option<string>("--format") { Description = "csv or parquet", DefaultValueFactory = _ => "csv" };

var root = new RootCommand("Research export benchmark: the assessments export against a raw COPY of the same rows, in one run") { schema, runs, formats, noPeak, noEvents };
var once = new Command("export-once", "One export in this process; prints rows, seconds and this process's VmHWM (for the peak-memory run)") { format };
root.Subcommands.Add(once);

// Events stored after the position of the re-export run.
const long recentEvents = 50_000;

var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__Outcomes")
    ?? throw new InvalidOperationException("set ConnectionStrings__Outcomes (e.g. `. .run/services.env`)");

root.SetAction(async (parse, cancellationToken) =>
{
    var schemaName = parse.GetValue(schema)!;
    var exportFormats = parse.GetValue(formats)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    await using var database = NpgsqlDataSource.Create(connectionString);
    await using var run = new ExportRun(connectionString, schemaName, null);
    long position, scores, courses, events;
    await using (var command = database.CreateCommand(
        $"select coalesce(max(seq_id), 0), count(*) filter (where type = 'phq_9_completed' and stream_id like '%/%/%'), " +
        $"count(distinct stream_id) filter (where stream_id like '%/%/%'), count(*) from {schemaName}.mt_events"))
    {
        // No timeout: at the L tier this scans 50 M events (a minute or two).
        command.CommandTimeout = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        (position, scores, courses, events) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }

    Console.WriteLine($"## Research export run {DateTimeOffset.Now:yyyy-MM-dd HH:mm zzz}");
    Console.WriteLine();
    Console.WriteLine($"- machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}; " +
        $"build {typeof(ExportRun).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "Configuration")?.Value}");
    Console.WriteLine($"- data: schema {schemaName}, position {position:N0}: {events:N0} events, {courses:N0} courses, {scores:N0} PHQ-9 events");
    Console.WriteLine($"- ceiling: COPY ({CopyCeiling.Query(schemaName, position)}) TO STDOUT, text and binary, read to the end");
    var state = await run.CheckReadModel(cancellationToken);
    Console.WriteLine($"- outcome read model: {(state.IsCurrent ? "current" : $"NOT current ({state.CurrentRows:N0} of {state.Courses:N0} rows): every export replays the events; run rebuild-outcomes")}");
    Console.WriteLine($"- load average before: {File.ReadAllText("/proc/loadavg").Trim()}");
    Console.WriteLine();

    // Untimed warm-up: JIT, connection pools, and the table in PostgreSQL's cache for both sides alike.
    await CopyCeiling.Binary(database, schemaName, position, scores, cancellationToken);
    await run.Export(exportFormats[0], false, cancellationToken);

    var timings = new Dictionary<string, List<Timed>>();
    void Add(string label, Timed timed)
    {
        if (!timings.TryGetValue(label, out var list)) timings[label] = list = [];
        list.Add(timed);
        Console.WriteLine($"| {list.Count} | {label} | {timed.Rows:N0} | {timed.Elapsed.TotalSeconds:F2} | {timed.RowsPerSecond:N0} |");
    }
    Console.WriteLine("| round | what | rows | seconds | rows/s |");
    Console.WriteLine("|---|---|---:|---:|---:|");
    for (var round = 1; round <= parse.GetValue(runs); round++)
    {
        Add("COPY text", await CopyCeiling.Text(database, schemaName, position, cancellationToken));
        Add("COPY binary", await CopyCeiling.Binary(database, schemaName, position, scores, cancellationToken));
        foreach (var f in exportFormats)
        {
            var export = await run.Export(f, false, cancellationToken);
            Add($"export {f}", export.Assessments);
        }
        if (!parse.GetValue(noEvents))
        {
            Add($"export {exportFormats[0]}, replaying events", (await run.Export(exportFormats[0], true, cancellationToken)).Assessments);
            // A re-export from a manifest after more facts arrived: the courses changed since are replayed.
            var earlier = Math.Max(0, position - recentEvents);
            Add($"export {exportFormats[0]} at position - {recentEvents:N0}", (await run.Export(exportFormats[0], false, cancellationToken, earlier)).Assessments);
        }
        var (read, derive) = await run.Phases(false, cancellationToken);
        Add("pass 1 read only", read);
        Add("pass 1 read + derive", derive);
    }

    Console.WriteLine();
    Console.WriteLine("| what | median rows/s | median s | vs COPY binary | vs COPY text |");
    Console.WriteLine("|---|---:|---:|---:|---:|");
    var binary = Median(timings["COPY binary"]);
    var text = Median(timings["COPY text"]);
    foreach (var (label, list) in timings)
    {
        var m = Median(list);
        Console.WriteLine($"| {label} | {m.RowsPerSecond:N0} | {m.Elapsed.TotalSeconds:F2} | {m.RowsPerSecond / binary.RowsPerSecond:P0} | {m.RowsPerSecond / text.RowsPerSecond:P0} |");
    }

    if (!parse.GetValue(noPeak))
    {
        Console.WriteLine();
        foreach (var f in exportFormats)
        {
            var (peak, output) = await PeakMemory.ExportOnce(schemaName, f, cancellationToken);
            Console.WriteLine($"- peak RSS, export {f} in a fresh process (/usr/bin/time -v): {peak / 1024.0:F0} MB; {output}");
        }
    }
    Console.WriteLine();
    Console.WriteLine($"- load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
    return 0;
});

once.SetAction(async (parse, cancellationToken) =>
{
    await using var run = new ExportRun(connectionString, parse.GetValue(schema)!, null);
    await run.CheckReadModel(cancellationToken);
    var export = await run.Export(parse.GetValue(format)!, false, cancellationToken);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{export.Assessments.Rows} assessment rows ({export.AllRows} rows in all, {export.ArchiveBytes / 1048576.0:F1} MB zip) in " +
        $"{export.Assessments.Elapsed.TotalSeconds:F2} s, VmHWM {PeakMemory.OwnPeakKib() / 1024.0:F0} MB"));
    return 0;
});

return await root.Parse(args).InvokeAsync();

static Timed Median(List<Timed> list) => list.OrderBy(t => t.Elapsed).ElementAt(list.Count / 2);
