using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Outcomes.Contracts;
using Outcomes.Service.Cohorts;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.Scaling;

/// A real streaming standby of the test PostgreSQL: the one named by ConnectionStrings__OutcomesRead, else one this
/// fixture starts with `scripts/services.sh standby up` (and stops again at the end).
public sealed class ReplicaFixture : IAsyncLifetime
{
    public const string ReadVariable = "ConnectionStrings__OutcomesRead";

    public ServicesFixture Services { get; } = new();
    public string ReplicaConnection { get; private set; } = "";
    private bool _started;

    public async Task InitializeAsync()
    {
        await Services.InitializeAsync();
        if (Environment.GetEnvironmentVariable(ReadVariable) is { Length: > 0 } read)
        {
            ReplicaConnection = read;
            return;
        }
        var (code, output) = await Scripts.Run("standby", "up");
        if (code != 0) throw new InvalidOperationException($"scripts/services.sh standby up failed ({code}):\n{output}");
        _started = !output.Contains("already running", StringComparison.Ordinal);
        ReplicaConnection = Scripts.EnvValue(ReadVariable)
            ?? throw new InvalidOperationException($"standby up wrote no {ReadVariable} to .run/services.env:\n{output}");
    }

    public async Task DisposeAsync()
    {
        if (_started) await Scripts.Run("standby", "down");
        await Services.DisposeAsync();
    }

    /// Stops (or resumes) the standby's replay of the WAL it receives: a replica that has fallen behind, on demand.
    public async Task PauseReplay(bool paused)
    {
        await using var connection = new NpgsqlConnection(ReplicaConnection);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(paused ? "select pg_wal_replay_pause()" : "select pg_wal_replay_resume()", connection);
        await command.ExecuteNonQueryAsync();
        if (!paused) return;
        // pg_wal_replay_pause only asks: the startup process stops at its next record. Until it has, WAL written after
        // this call (the test's next step) may still be replayed in part, e.g. a lock taken without the commit that
        // releases it, and a read on the replica then waits for a replay that never comes.
        await Eventually.Until(async () =>
        {
            await using var state = new NpgsqlCommand("select pg_get_wal_replay_pause_state()", connection);
            return (string?)await state.ExecuteScalarAsync();
        }, s => s == "paused", "the replica's replay paused");
    }
}

/// scripts/services.sh, run from the checkout the tests were built in.
public static class Scripts
{
    public static string Repository { get; } = FindRepository();

    private static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "scripts", "services.sh"))) return dir.FullName;
        throw new InvalidOperationException("scripts/services.sh not found above " + AppContext.BaseDirectory);
    }

    public static Task<(int Code, string Output)> Run(params string[] arguments) => RunIn(Repository, arguments);

    /// scripts/services.sh of another checkout of the project (the one that started a machine-wide service).
    public static async Task<(int Code, string Output)> RunIn(string repository, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = repository, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(repository, "scripts", "services.sh"));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        // The script may wait its turn for the machine-wide services lock (up to 10 minutes) before it starts anything.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    /// A value exported by .run/services.env.
    public static string? EnvValue(string name)
    {
        var file = Path.Combine(Repository, ".run", "services.env");
        if (!File.Exists(file)) return null;
        var prefix = $"export {name}=";
        return File.ReadLines(file).Where(l => l.StartsWith(prefix, StringComparison.Ordinal))
            .Select(l => l[prefix.Length..].Trim('"')).LastOrDefault();
    }
}

[CollectionDefinition(Name)]
public sealed class ReplicaCollection : ICollectionFixture<ReplicaFixture>
{
    public const string Name = "read-replica";
}

[Collection(ReplicaCollection.Name)]
[Trait("Category", "Slow")]
public sealed class ReadReplicaTests(ReplicaFixture replica) : IAsyncLifetime
{
    private readonly IsolatedNames _names = IsolatedNames.New();
    private OutcomesHost _host = null!;
    private HttpClient _client = null!;
    private AmqpPublisher _publisher = null!;

    public async Task InitializeAsync()
    {
        _host = new OutcomesHost(replica.Services, _names, new Dictionary<string, string>
        {
            ["ConnectionStrings:OutcomesRead"] = replica.ReplicaConnection,
            ["ReadReplica:WaitFor"] = "00:00:00.500",
        });
        _client = _host.Start();
        _publisher = await AmqpPublisher.Connect(replica.Services.RabbitMqUri, _names.Exchange);
    }

    public async Task DisposeAsync()
    {
        await replica.PauseReplay(false);
        await _publisher.DisposeAsync();
        await _host.DisposeAsync();
        await _names.Delete(replica.Services);
    }

    private async Task Feed(string clinic, int patients)
    {
        var feeds = Enumerable.Range(0, patients).Select(_ => CourseFeed.ForNewPatient(clinic)).ToList();
        await _publisher.PublishAll(feeds.SelectMany(f => f.Induction()));
        foreach (var feed in feeds)
            await Eventually.Until(() => IngestionFixture.CourseOf(_client, feed), c => c?.FactCount >= 12, "the course stored on the primary");
    }

    private async Task<(HttpResponseMessage Response, JsonNode Body)> Report(string query = "")
    {
        var response = await _client.GetAsync("/api/v1/reports/overview" + query);
        return (response, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private static long Position(JsonNode report) => (long)report["provenance"]!["eventStorePosition"]!;

    private static long ReplicaHeader(HttpResponseMessage response) =>
        long.Parse(response.Headers.GetValues(CohortReportsApi.ReplicaPositionHeader).Single(), System.Globalization.CultureInfo.InvariantCulture);

    private static int Enrolled(JsonNode report) => (int)report["overall"]!["counts"]!["enrolled"]!["value"]!;

    [Fact]
    public async Task ReplicaBehind_LatestStatesItsPosition_AsOfBeyondIt409ThenAnsweredOnceReplayed()
    {
        var clinic = "clinic-rr" + Guid.NewGuid().ToString("N")[..6];
        await Feed(clinic, 3);
        // The replica catches up within moments: the latest report from it then counts the three courses.
        var (caughtUp, first) = await Eventually.Until(() => Report(), r => r.Response.IsSuccessStatusCode && Enrolled(r.Body) == 3,
            "the replica to replay three courses");
        var replayed = Position(first);
        Assert.Equal(replayed, ReplicaHeader(caughtUp));

        await replica.PauseReplay(true);
        await Feed(clinic, 2);
        // The primary has five courses; the replica, paused, still three: the latest report says so and where it stands.
        var (behind, stale) = await Report();
        Assert.Equal(HttpStatusCode.OK, behind.StatusCode);
        Assert.Equal(3, Enrolled(stale));
        Assert.Equal(replayed, Position(stale));
        Assert.Equal(replayed, ReplicaHeader(behind));

        // Without a replica the service answers the primary's latest position at once (the path a replica must not fake)...
        await using (var direct = new OutcomesHost(replica.Services, _names))
        {
            var body = JsonNode.Parse(await direct.Start().GetStringAsync("/api/v1/reports/overview"))!;
            Assert.Equal(5, Enrolled(body));
            var primaryPosition = Position(body);
            Assert.True(primaryPosition > replayed);

            // ...while the replica refuses it with its own position, after a bounded wait.
            var clock = Stopwatch.StartNew();
            var (refused, problem) = await Report($"?asOfPosition={primaryPosition}");
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.4), TimeSpan.FromSeconds(30));
            Assert.Equal(replayed, (long)problem["replicaPosition"]!);
            Assert.Contains($"replayed up to position {replayed}", (string)problem["title"]!, StringComparison.Ordinal);
            Assert.Equal(replayed, ReplicaHeader(refused));
            // An earlier position it has replayed is answered from it.
            var (earlier, _) = await Report($"?asOfPosition={replayed}");
            Assert.Equal(HttpStatusCode.OK, earlier.StatusCode);
            // Beyond the primary's latest is still the caller's error, not the replica's.
            Assert.Equal(HttpStatusCode.BadRequest, (await Report($"?asOfPosition={primaryPosition + 1000}")).Item1.StatusCode);

            await replica.PauseReplay(false);
            var (answered, report) = await Eventually.Until(() => Report($"?asOfPosition={primaryPosition}"),
                r => r.Response.StatusCode != HttpStatusCode.Conflict, "the replica to replay the asked position");
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
            Assert.Equal(5, Enrolled(report));
            Assert.Equal(primaryPosition, Position(report));
        }
    }

    [Fact]
    public async Task ReleaseNotYetOnReplica_ProtectedReport409_ThenAnswered()
    {
        await Feed("clinic-rp" + Guid.NewGuid().ToString("N")[..6], 2);
        await Eventually.Until(() => Report(), r => r.Response.IsSuccessStatusCode && Enrolled(r.Body) == 2, "the replica to catch up");
        await replica.PauseReplay(true);
        var cut = await _client.PostAsync("/api/v1/releases", null);
        Assert.True(cut.IsSuccessStatusCode, await cut.Content.ReadAsStringAsync());

        var researcher = _host.ClientFor(AccessToken.Roles.Researcher, "clinic-elsewhere");
        var refused = await researcher.GetAsync("/api/v1/reports/overview?coverage=network");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("has not yet replayed release", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await replica.PauseReplay(false);
        var answered = await Eventually.Until(() => researcher.GetAsync("/api/v1/reports/overview?coverage=network"),
            r => r.StatusCode != HttpStatusCode.Conflict, "the replica to replay the release");
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal("protected", (string)JsonNode.Parse(await answered.Content.ReadAsStringAsync())!["disclosure"]!["tier"]!);
    }

    private async Task<long> PrimaryPosition()
    {
        await using var database = NpgsqlDataSource.Create(replica.Services.PostgresConnection);
        await using var command = database.CreateCommand($"select coalesce(max(seq_id), 0) from {_names.Schema}.mt_events");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task ExportOfAReleaseTheReplicaHasNotReplayed_409ThenAnsweredAtTheRelease()
    {
        var clinic = "clinic-re" + Guid.NewGuid().ToString("N")[..6];
        await Feed(clinic, 2);
        await Eventually.Until(() => Report($"?clinicId={clinic}"), r => r.Response.IsSuccessStatusCode && Enrolled(r.Body) == 2,
            "the replica to replay two courses");
        await replica.PauseReplay(true);
        await Feed(clinic, 1);
        // Exports are subsets of a release: cut one now, on the primary, at a position the paused replica has not replayed.
        var cut = await _client.PostAsync("/api/v1/releases", null);
        Assert.True(cut.IsSuccessStatusCode, await cut.Content.ReadAsStringAsync());
        var primary = await PrimaryPosition();

        var researcher = _host.ClientFor(AccessToken.Roles.Researcher, clinic);
        var refused = await researcher.PostAsJsonAsync("/api/v1/exports", new { report = "overview", format = "csv" });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var replayed = ReplicaHeader(refused);
        Assert.True(replayed < primary, $"the replica ({replayed}) should stand behind the primary ({primary})");
        Assert.Contains($"replayed up to position {replayed}", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await replica.PauseReplay(false);
        var answered = await Eventually.Until(() => researcher.PostAsJsonAsync("/api/v1/exports", new { report = "overview", format = "csv" }),
            r => r.StatusCode != HttpStatusCode.Conflict, "the replica to replay the release");
        Assert.True(answered.IsSuccessStatusCode, await answered.Content.ReadAsStringAsync());
        using var zip = new ZipArchive(new MemoryStream(await answered.Content.ReadAsByteArrayAsync()));
        using var reader = new StreamReader(zip.GetEntry("manifest.json")!.Open());
        var manifest = JsonNode.Parse(await reader.ReadToEndAsync())!;
        Assert.Equal(primary, (long)manifest["eventStorePosition"]!);
    }
}
