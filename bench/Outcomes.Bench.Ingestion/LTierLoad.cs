using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Outcomes.Cli.Backfill;
using Outcomes.Cli.Loading;

namespace Outcomes.Bench.Ingestion;

/// The L tier (3 M courses) loaded into a kept schema through the service's backfill, in chunks of the M tier's
/// generator with a seed per chunk (its own patients' keys and event ids): each chunk is written to a file, uploaded,
/// and deleted before the next, so the disk holds the store and one chunk's file (~1.8 GB), not a 18 GB file beside
/// it. One service process takes every chunk, as a network's clinics backfilling one after another would. A chunk
/// already stored is skipped when asked to start later (`--from-chunk`); an interrupted chunk can be sent again:
/// the backfill stores nothing twice.
public static class LTierLoad
{
    public sealed record Chunk(int Index, long Lines, long Stored, long Rejected, double Seconds, double GenerateSeconds, double EventsGb,
        double ReadModelGb, double DiskFreeGb, string Load);

    /// Stop before a chunk when less than this is free: PostgreSQL stops on a full disk, and the WAL needs room.
    private const double MinimumFreeGb = 8;

    public static async Task<int> Run(BenchEnvironment env, string schema, int chunks, int fromChunk, int coursesPerChunk, string directory,
        IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken)
    {
        var (configuration, token) = BackfillBench.ServiceConfiguration(env, schema, settings);
        var logFile = Path.Combine(env.LogDirectory, $"service-{schema}.log");
        Console.WriteLine($"## L tier load {DateTimeOffset.Now:yyyy-MM-dd HH:mm zzz}");
        Console.WriteLine();
        Console.WriteLine($"- machine: {BenchEnvironment.Machine()}; schema {schema} (kept); {chunks} chunks of {coursesPerChunk:N0} courses, " +
            $"seeds 42..{42 + chunks - 1}; service: {env.ServiceDll}");
        Console.WriteLine();
        Console.WriteLine("| chunk | lines | stored | rejected | write file (s) | backfill (s) | facts/s | mt_events (GB) | course_outcomes (GB) | disk free (GB) | load after |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        var total = Stopwatch.StartNew();
        long stored = 0;
        await using var service = await ServiceProcess.StartAsync(env.ServiceDll, configuration, logFile, cancellationToken);
        using var client = new HttpClient { BaseAddress = service.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        await using var database = NpgsqlDataSource.Create(env.PostgresConnection);
        for (var index = fromChunk; index < chunks; index++)
        {
            if (DiskFreeGb(directory) < MinimumFreeGb)
            {
                Console.Error.WriteLine($"stopped before chunk {index}: {DiskFreeGb(directory):0.0} GB free, less than {MinimumFreeGb} GB");
                return 3;
            }
            var file = new FileInfo(Path.Combine(directory, $"{schema}-chunk-{index}.ndjson"));
            try
            {
                var writing = Stopwatch.StartNew();
                using (var stream = new BufferedStream(File.Create(file.FullName), 1 << 16))
                    Outcomes.Cli.Demo.DryRunFile.WriteForBulkLoad(stream, MTierFeed.Messages(coursesPerChunk, 42 + index));
                var generateSeconds = writing.Elapsed.TotalSeconds;
                file.Refresh();
                var clock = Stopwatch.StartNew();
                var (answer, failure) = await LoadCommand.Upload(client, file, token, new LoadPlan(BackfillCommand.DefaultLinesPerPart,
                    Path: BackfillCommand.BackfillPath), _ => { }, cancellationToken);
                var seconds = clock.Elapsed.TotalSeconds;
                if (failure is not null) throw new InvalidOperationException("chunk " + index.ToString(CultureInfo.InvariantCulture) + ": " + failure);
                stored += answer!.Stored;
                var chunk = new Chunk(index, answer.Lines, answer.Stored, answer.Rejected, seconds, generateSeconds,
                    await SizeGb(database, $"{schema}.mt_events", cancellationToken), await SizeGb(database, $"{schema}.course_outcomes", cancellationToken),
                    DiskFreeGb(directory), BackfillBench.LoadAverage());
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {chunk.Index} | {chunk.Lines:N0} | {chunk.Stored:N0} | {chunk.Rejected:N0} | {chunk.GenerateSeconds:F0} | {chunk.Seconds:F1} | " +
                    $"{chunk.Stored / chunk.Seconds:N0} | {chunk.EventsGb:F1} | {chunk.ReadModelGb:F2} | {chunk.DiskFreeGb:F0} | {chunk.Load} |"));
            }
            finally
            {
                file.Delete();
            }
        }
        var courses = await CountAsync(database, $"{schema}.course_outcomes", cancellationToken);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"- stored {stored:N0} facts in {total.Elapsed.TotalMinutes:F1} min (file writing included); service peak RSS " +
            $"{BackfillBench.PeakRssMb(service.Pid):N0} MB; courses in the read model: {courses:N0}"));
        return 0;
    }

    private static async Task<double> SizeGb(NpgsqlDataSource database, string table, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"select pg_total_relation_size('{table}')");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! / 1e9;
    }

    private static async Task<long> CountAsync(NpgsqlDataSource database, string table, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"select count(*) from {table}");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static double DiskFreeGb(string directory) => new DriveInfo(Path.GetFullPath(directory)).AvailableFreeSpace / 1e9;
}
