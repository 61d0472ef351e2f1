using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Outcomes.Cli.Backfill;
using Outcomes.Cli.Loading;
using Outcomes.Cli.Tokens;

namespace Outcomes.Bench.Ingestion;

/// The backfill of a bulk-upload file (the M tier) into a fresh schema through the real service, request to answer, and
/// in the same run the ceiling: a raw binary `COPY FROM` of the same event rows (read back from the backfilled store)
/// into a table with mt_events' three indexes, and into one without indexes.
public static class BackfillBench
{
    public sealed record Result(long Lines, long Stored, long Rejected, double Seconds, double PeakRssMb, CpuUse Cpu, string LoadBefore,
        string LoadAfter, double CeilingIndexedSeconds, double CeilingBareSeconds, long CeilingRows, string CeilingLoad);

    public static async Task<Result> Run(BenchEnvironment env, FileInfo file, string schema, bool keep, IReadOnlyDictionary<string, string> settings,
        CancellationToken cancellationToken)
    {
        var (configuration, token) = ServiceConfiguration(env, schema, settings);
        var logFile = Path.Combine(env.LogDirectory, $"service-{schema}.log");

        try
        {
            LoadSummary summary;
            double seconds, peakMb;
            CpuUse cpu;
            string loadBefore, loadAfter;
            await using (var service = await ServiceProcess.StartAsync(env.ServiceDll, configuration, logFile, cancellationToken))
            {
                using var client = new HttpClient { BaseAddress = service.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
                loadBefore = LoadAverage();
                var sampler = CpuSampler.Start(service.Pid);
                var clock = Stopwatch.StartNew();
                var (answer, failure) = await LoadCommand.Upload(client, file, token, new LoadPlan(BackfillCommand.DefaultLinesPerPart,
                    Path: BackfillCommand.BackfillPath), _ => { }, cancellationToken);
                seconds = clock.Elapsed.TotalSeconds;
                cpu = sampler.Stop();
                loadAfter = LoadAverage();
                if (failure is not null) throw new InvalidOperationException(failure);
                summary = answer!;
                peakMb = PeakRssMb(service.Pid);
            }

            var (indexed, bare, rows, ceilingLoad) = await Ceiling(env.PostgresConnection, schema, cancellationToken);
            return new Result(summary.Lines, summary.Stored, summary.Rejected, seconds, peakMb, cpu, loadBefore, loadAfter, indexed, bare, rows,
                ceilingLoad);
        }
        finally
        {
            if (!keep)
            {
                await using var database = NpgsqlDataSource.Create(env.PostgresConnection);
                await using var drop = database.CreateCommand($"drop schema if exists {schema} cascade; drop schema if exists {schema}_ceiling cascade");
                await drop.ExecuteNonQueryAsync(CancellationToken.None);
            }
        }
    }

    /// The backfilled event rows, exported once in COPY's binary format to a file, then loaded with `COPY FROM STDIN` into
    /// a copy of mt_events with its three indexes (primary key on seq_id, unique event id, unique stream and version)
    /// and into one with none; no foreign key, no course documents, no read models, no validation: the floor of the work.
    private static async Task<(double Indexed, double Bare, long Rows, string Load)> Ceiling(string connectionString, string schema,
        CancellationToken cancellationToken)
    {
        const string columns = "seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived, causation_id, correlation_id, headers";
        var ceiling = $"{schema}_ceiling";
        var rowsFile = Path.Combine(Path.GetTempPath(), $"{schema}-events.bin");
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await Execute(connection, $"drop schema if exists {ceiling} cascade; create schema {ceiling}; " +
            $"create table {ceiling}.indexed (like {schema}.mt_events including defaults); " +
            $"alter table {ceiling}.indexed add primary key (seq_id); " +
            $"create unique index on {ceiling}.indexed (id); create unique index on {ceiling}.indexed (stream_id, version); " +
            $"create table {ceiling}.bare (like {schema}.mt_events including defaults)", cancellationToken);
        try
        {
            await using (var output = File.Create(rowsFile))
            await using (var export = await connection.BeginRawBinaryCopyAsync(
                $"copy (select {columns} from {schema}.mt_events order by seq_id) to stdout (format binary)", cancellationToken))
                await export.CopyToAsync(output, cancellationToken);

            var load = LoadAverage();
            var indexed = await Load(connection, $"{ceiling}.indexed", columns, rowsFile, cancellationToken);
            var bare = await Load(connection, $"{ceiling}.bare", columns, rowsFile, cancellationToken);
            await using var count = new NpgsqlCommand($"select count(*) from {ceiling}.indexed", connection);
            var rows = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
            return (indexed, bare, rows, $"{load} / {LoadAverage()}");
        }
        finally
        {
            File.Delete(rowsFile);
        }
    }

    private static async Task<double> Load(NpgsqlConnection connection, string table, string columns, string rowsFile, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await using (var input = File.OpenRead(rowsFile))
        await using (var copy = await connection.BeginRawBinaryCopyAsync($"copy {table} ({columns}) from stdin (format binary)", cancellationToken))
            await input.CopyToAsync(copy, cancellationToken);
        return clock.Elapsed.TotalSeconds;
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// The service's settings for a backfill into <paramref name="schema"/> (its own exchange and queues, so a run beside
    /// others shares nothing with them) and an admin token for every clinic, signed with the run's key.
    public static (Dictionary<string, string> Configuration, string Token) ServiceConfiguration(BenchEnvironment env, string schema,
        IReadOnlyDictionary<string, string> settings)
    {
        var signingKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
        var configuration = new Dictionary<string, string>
        {
            ["ConnectionStrings__Outcomes"] = env.PostgresConnection,
            ["ConnectionStrings__RabbitMq"] = env.RabbitMq.ToString(),
            ["EventStore__Schema"] = schema,
            ["Ingestion__Exchange"] = $"outcomes.{schema}",
            ["Ingestion__Queue"] = $"outcomes-{schema}",
            ["Ingestion__EnvelopeQueue"] = $"outcomes-envelope-{schema}",
            ["Safety__Exchange"] = $"outcomes.{schema}-signals",
            ["Auth__SigningKey"] = signingKey,
            ["Auth__AllowSigningKeyOutsideDevelopment"] = "true",
        };
        foreach (var (key, value) in settings)
            configuration[key] = value;
        var token = new TokenRequest { Subject = "backfill-bench", Roles = ["admin"], Clinics = ["*"] }.Issue(signingKey, DateTimeOffset.UtcNow);
        return (configuration, token);
    }

    /// The process's peak resident set (VmHWM), read before it stops.
    public static double PeakRssMb(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }

    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}
