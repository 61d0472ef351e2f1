using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using JasperFx.Events;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Outcomes.Cli.Backfill;
using Outcomes.Cli.Loading;
using Outcomes.Contracts;
using Outcomes.Service.Tests.Fixtures;
using Outcomes.Service.Tests.Ingestion;

namespace Outcomes.Service.Tests.Backfill;

/// Two services, each with a schema of its own: one takes files through the backfill, the other through the bulk upload
/// (the normal path). Backfill batches are small here (Backfill:Batch 1,000), so that a file takes several. The bulk
/// upload's batches are larger than the test files: safety signals are raised as facts arrive (the first state that
/// raises one is kept), so the two paths raise the same signals when each course arrives whole: the backfill keeps a
/// course's facts in one batch when the file gives them together, as a history exported course by course does.
public sealed class BackfillFixture : IAsyncLifetime
{
    public ServicesFixture Services { get; } = new();
    public IsolatedNames BackfillNames { get; } = IsolatedNames.New();
    public IsolatedNames NormalNames { get; } = IsolatedNames.New();
    public OutcomesHost Backfill { get; private set; } = null!;
    public OutcomesHost Normal { get; private set; } = null!;
    public AmqpPublisher LivePublisher { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Services.InitializeAsync();
        Backfill = new OutcomesHost(Services, BackfillNames, new Dictionary<string, string> { ["Backfill:Batch"] = "1000" });
        Normal = new OutcomesHost(Services, NormalNames, new Dictionary<string, string> { ["Ingestion:BulkBatch"] = "50000" });
        Backfill.Start();
        Normal.Start();
        LivePublisher = await AmqpPublisher.Connect(Services.RabbitMqUri, BackfillNames.Exchange);
    }

    public async Task DisposeAsync()
    {
        await LivePublisher.DisposeAsync();
        await Backfill.DisposeAsync();
        await Normal.DisposeAsync();
        await BackfillNames.Delete(Services);
        await NormalNames.Delete(Services);
        await Services.DisposeAsync();
    }

    public string AdminToken(OutcomesHost host) => host.Token([AccessToken.Roles.Admin], [AccessToken.AllClinics]);
}

public sealed class BackfillTests(BackfillFixture fixture) : IClassFixture<BackfillFixture>
{
    private static LoadPlan BackfillPlan(int linesPerPart = BackfillCommand.DefaultLinesPerPart) =>
        new(linesPerPart, Path: BackfillCommand.BackfillPath);

    private async Task<LoadSummary> Send(OutcomesHost host, FileInfo file, LoadPlan plan)
    {
        var (summary, failure) = await LoadCommand.Upload(host.CreateClient(), file, fixture.AdminToken(host), plan, _ => { }, CancellationToken.None);
        Assert.Null(failure);
        return summary!;
    }

    private static async Task<T> WithFile<T>(IEnumerable<string> lines, Func<FileInfo, Task<T>> use)
    {
        var file = new FileInfo(Path.GetTempFileName());
        try
        {
            await File.WriteAllLinesAsync(file.FullName, lines);
            return await use(file);
        }
        finally
        {
            file.Delete();
        }
    }

    /// The demo feed as a clinic's history export gives it: course by course (the feed itself interleaves patients in time).
    private static IEnumerable<string> DemoLinesByCourse(Cli.Demo.DemoSettings settings)
    {
        using var stream = new MemoryStream();
        Cli.Demo.DryRunFile.WriteForBulkLoad(stream, Cli.Demo.DemoFeed.ForBulkLoad(settings));
        return System.Text.Encoding.UTF8.GetString(stream.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .GroupBy(CourseOf, StringComparer.Ordinal).SelectMany(g => g);
    }

    private static string CourseOf(string line)
    {
        try
        {
            return JsonNode.Parse(line) is JsonObject { } o && o["body"] is JsonObject body
                ? $"{body["clinicId"]}/{body["patientKey"]}/{body["course"]}"
                : "";
        }
        catch (System.Text.Json.JsonException)
        {
            return "";
        }
    }

    [Fact]
    public async Task DemoHistory_BackfillStoresWhatTheNormalPathStores_EventsOutcomesSignalsAndReport()
    {
        // The demo's clinics (clinic-a ...) are this test's alone in both schemas; the other tests use their own clinics.
        var lines = DemoLinesByCourse(new Cli.Demo.DemoSettings { Patients = 300, Seed = 2026, Invalid = 0.03 }).ToList();

        var (backfilled, normal) = await WithFile(lines, async file =>
            (await Send(fixture.Backfill, file, BackfillPlan()), await Send(fixture.Normal, file, new LoadPlan())));

        Assert.Equal((normal.Lines, normal.Stored, normal.Duplicates, normal.Rejected), (backfilled.Lines, backfilled.Stored, backfilled.Duplicates, backfilled.Rejected));
        Assert.True(normal.Rejected > 0 && normal.Stored > 1000);
        Assert.Equal(normal.Rejections.Select(r => (r.Line, r.Field, r.Rule)), backfilled.Rejections.Select(r => (r.Line, r.Field, r.Rule)));

        foreach (var sql in new[]
        {
            "select course_key, clinic_id, definitions, facts, outcome, course_facts from {0}.course_outcomes where clinic_id like 'clinic-_' order by course_key",
            "select id, clinic_id, patient_key, course, signal, assessment_at, day, sessions_received, total, item9, baseline_total, status " +
                "from {0}.safety_signals where clinic_id like 'clinic-_' order by id",
            "select id, coalesce(type, '-'), version, tenant_id, compacted_version, is_archived from {0}.mt_streams where id like 'clinic-_/%' order by id",
            "select stream_id, version, id, type, mt_dotnet_type, data::text, headers::text, correlation_id, causation_id, tenant_id, is_archived, bdata is null " +
                "from {0}.mt_events where stream_id like 'clinic-_/%' order by stream_id, version",
        })
        {
            var expected = await Rows(string.Format(System.Globalization.CultureInfo.InvariantCulture, sql, fixture.NormalNames.Schema));
            var actual = await Rows(string.Format(System.Globalization.CultureInfo.InvariantCulture, sql, fixture.BackfillNames.Schema));
            Assert.True(expected.Count > 0, sql);
            Assert.True(expected.SequenceEqual(actual), $"{sql}\nonly the normal path: {string.Join("\n", expected.Except(actual).Take(5))}" +
                $"\nonly the backfill: {string.Join("\n", actual.Except(expected).Take(5))}");
        }

        // The append time (not compared above: the two paths append at different moments) is this run's, as PostgreSQL reads
        // the backfill's binary rows.
        Assert.Equal(0L, await Scalar($"select count(*) from {fixture.BackfillNames.Schema}.mt_events where stream_id like 'clinic-_/%' " +
            "and timestamp not between now() - interval '15 minutes' and now()"));

        // Marten reads the backfilled streams back as its own.
        var normalStore = fixture.Normal.Services.GetRequiredService<IDocumentStore>();
        var backfillStore = fixture.Backfill.Services.GetRequiredService<IDocumentStore>();
        await using var n = normalStore.QuerySession();
        await using var b = backfillStore.QuerySession();
        foreach (var stream in (await Rows($"select id from {fixture.NormalNames.Schema}.mt_streams where id like 'clinic-_/%' order by id")).Take(40))
        {
            Assert.Equal(Describe(normalStore, await n.Events.FetchStreamAsync(stream)), Describe(backfillStore, await b.Events.FetchStreamAsync(stream)));
            var state = (await b.Events.FetchStreamStateAsync(stream))!;
            var course = (await fixture.Backfill.Services.GetRequiredService<Outcomes.Service.EventStore.CourseStreamReader>().CourseAsync(
                fixture.Backfill.Services.GetRequiredService<Npgsql.NpgsqlDataSource>(), Outcomes.Domain.Courses.CourseKey.Parse(stream),
                CancellationToken.None))!;
            Assert.Equal(state.Version, course.FactCount);
        }

        foreach (var clinic in new[] { "clinic-a", "clinic-b" })
            Assert.Equal(await Report(fixture.Normal, clinic), await Report(fixture.Backfill, clinic));
    }

    private static IReadOnlyList<string> Describe(IDocumentStore store, IReadOnlyList<IEvent> events) =>
        events.Select(e => string.Join(" | ", e.Id, e.StreamKey, e.Version, e.EventTypeName, e.DotNetTypeName, e.TenantId, e.CorrelationId,
            e.CausationId, e.IsArchived, store.Options.Serializer().ToJson(e.Data),
            string.Join(",", (e.Headers ?? []).OrderBy(h => h.Key).Select(h => $"{h.Key}={h.Value}")))).ToList();

    /// The report without what differs between two stores by construction: the event-store position and the times.
    private async Task<string> Report(OutcomesHost host, string clinic)
    {
        var client = host.ClientWith(fixture.AdminToken(host));
        var response = await client.GetAsync($"/api/v1/reports/outcomes-by-modality?clinicId={clinic}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Strip(report);
        return report.ToJsonString();
    }

    private static void Strip(JsonNode node)
    {
        if (node is JsonObject o)
        {
            foreach (var key in o.Select(kv => kv.Key).ToList())
            {
                if (key.Contains("position", StringComparison.OrdinalIgnoreCase) || key is "asOf" or "computedAt" or "generatedAt" or "storeTime")
                    o.Remove(key);
                else if (o[key] is { } child)
                    Strip(child);
            }
        }
        else if (node is JsonArray a)
        {
            foreach (var child in a)
                if (child is not null) Strip(child);
        }
    }

    private async Task<List<string>> Rows(string sql)
    {
        await using var connection = new NpgsqlConnection(fixture.Services.PostgresConnection);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
            rows.Add(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetValue(i) switch
            {
                byte[] bytes => Convert.ToHexString(bytes),
                DateTime t => t.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                var v => v.ToString(),
            })));
        return rows;
    }

    private async Task<long> Scalar(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(fixture.Services.PostgresConnection);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task BadLine_RefusedNamingFieldAndRule_AndTheRestStored()
    {
        var feed = CourseFeed.ForNewPatient("clinic-bfbad");
        var messages = feed.Induction();
        var lines = messages.Select(BulkUploadTests.Line).ToList();
        lines.Insert(3, BulkUploadTests.Line(CourseFeed.Message("phq9-completed", feed.Phq9(CourseFeed.Start.AddDays(1), 4, 0, 0, 0, 0, 0, 0, 0, 0))));

        var summary = await WithFile(lines, file => Send(fixture.Backfill, file, BackfillPlan()));

        Assert.Equal((messages.Count, 0L, 1L), (summary.Stored, summary.Duplicates, summary.Rejected));
        var rejection = Assert.Single(summary.Rejections);
        Assert.Equal((4L, "items[0]"), (rejection.Line, rejection.Field));
        Assert.Contains("0-3", rejection.Rule, StringComparison.Ordinal);
        var course = (await IngestionFixture.CourseOf(fixture.Backfill.ClientWith(fixture.AdminToken(fixture.Backfill)), feed))!;
        Assert.Equal(messages.Count, course.FactCount);
        Assert.Equal([18, 13, 7, 4], course.Phq9Scores.Select(s => s.Total));
        var logged = await fixture.Backfill.ClientWith(fixture.AdminToken(fixture.Backfill))
            .GetFromJsonAsync<List<Outcomes.Service.Ingestion.IngestionRejection>>($"/api/v1/ingestion/rejections?uploadId={summary.UploadId}", IngestionFixture.ApiJson);
        Assert.Equal(("bulk", 4L, "items[0]"), (logged!.Single().ReceivedVia, logged!.Single().Line, logged!.Single().Field));
    }

    [Fact]
    public async Task SameBackfillTwice_NothingStoredTwice_AndAReusedEventIdWithOtherContentRefused()
    {
        var feeds = Enumerable.Range(0, 40).Select(_ => CourseFeed.ForNewPatient("clinic-bfagain")).ToList();
        var histories = feeds.Select(f => f.Induction()).ToList();
        var lines = histories.SelectMany(h => h).Select(BulkUploadTests.Line).ToList();
        var schema = fixture.BackfillNames.Schema;

        var (first, second) = await WithFile(lines, async file =>
            (await Send(fixture.Backfill, file, BackfillPlan(linesPerPart: 150)), await Send(fixture.Backfill, file, BackfillPlan(linesPerPart: 150))));

        Assert.Equal((lines.Count, 0L, 0L), (first.Stored, first.Duplicates, first.Rejected));
        Assert.Equal((0L, lines.Count, 0L), (second.Stored, second.Duplicates, second.Rejected));
        Assert.Equal(lines.Count, await Scalar($"select count(*) from {schema}.mt_events where stream_id like 'clinic-bfagain/%'"));
        Assert.Equal(lines.Count, await Scalar($"select sum(version) from {schema}.mt_streams where id like 'clinic-bfagain/%'"));
        Assert.Equal(lines.Count, await Scalar($"select sum(facts) from {schema}.course_outcomes where clinic_id = 'clinic-bfagain'"));

        // The first PHQ-9's event id again, with another score: refused by its own rule, never stored.
        var original = JsonNode.Parse(histories[0][1].Json)!.AsObject();
        Assert.Equal("v1.phq9-completed", histories[0][1].RoutingKey);
        var changed = feeds[0].Phq9(CourseFeed.Start.AddDays(3), 1, 1, 1, 1, 1, 1, 1, 1, 1);
        changed["eventId"] = original["eventId"]!.GetValue<string>();
        var reused = await WithFile([BulkUploadTests.Line(CourseFeed.Message("phq9-completed", changed))], file => Send(fixture.Backfill, file, BackfillPlan()));
        Assert.Equal((0L, 0L, 1L), (reused.Stored, reused.Duplicates, reused.Rejected));
        Assert.Equal("eventId", reused.Rejections.Single().Field);
        Assert.Equal(lines.Count, await Scalar($"select count(*) from {schema}.mt_events where stream_id like 'clinic-bfagain/%'"));
    }

    /// The backfill writes new courses without looking up which event ids are stored; an event id stored under another
    /// course is refused by the unique index, and the batch is written again, looked up: the reused id is refused as a
    /// conflict naming eventId, every other fact of the batch is stored, the course holding the id keeps its fact.
    [Fact]
    public async Task ReusedEventIdOnANewCourse_RefusedAsAConflict_TheRestOfItsBatchStored()
    {
        var first = CourseFeed.ForNewPatient("clinic-bfreuse");
        var firstHistory = first.Induction();
        var stored = await WithFile(firstHistory.Select(BulkUploadTests.Line), file => Send(fixture.Backfill, file, BackfillPlan()));
        Assert.Equal((firstHistory.Count, 0L), (stored.Stored, stored.Rejected));

        // Three new courses; the second's first PHQ-9 carries the event id of the first course's first PHQ-9.
        var others = Enumerable.Range(0, 3).Select(_ => CourseFeed.ForNewPatient("clinic-bfreuse")).ToList();
        var histories = others.Select(f => f.Induction().ToList()).ToList();
        var reusedId = JsonNode.Parse(firstHistory[1].Json)!["eventId"]!.GetValue<string>();
        var phq9 = histories[1].FindIndex(m => m.RoutingKey == "v1.phq9-completed");
        var body = JsonNode.Parse(histories[1][phq9].Json)!.AsObject();
        body["eventId"] = reusedId;
        histories[1][phq9] = histories[1][phq9] with { Json = body.ToJsonString() };
        var lines = histories.SelectMany(h => h).Select(BulkUploadTests.Line).ToList();

        var second = await WithFile(lines, file => Send(fixture.Backfill, file, BackfillPlan()));

        Assert.Equal((lines.Count - 1L, 0L, 1L), (second.Stored, second.Duplicates, second.Rejected));
        Assert.Equal("eventId", second.Rejections.Single().Field);
        var schema = fixture.BackfillNames.Schema;
        string Stream(CourseFeed feed) => $"{feed.ClinicId}/{feed.PatientKey}/{Outcomes.Contracts.ContractLimits.FirstCourse}";
        Assert.Equal(1L, await Scalar($"select count(*) from {schema}.mt_events where id = '{reusedId}' and stream_id = $1", Stream(first)));
        Assert.Equal(histories[1].Count - 1L, await Scalar($"select count(*) from {schema}.mt_events where stream_id = $1", Stream(others[1])));
        Assert.Equal(histories[0].Count + histories[2].Count,
            await Scalar($"select count(*) from {schema}.mt_events where stream_id in ($1, $2)", Stream(others[0]), Stream(others[2])));
    }

    [Fact]
    public async Task LiveFactsDuringABackfill_EachStoredExactlyOnce_OnTopOfTheHistory()
    {
        // 300 courses in 3 requests of 1,000-fact batches, while the live path takes a new PHQ-9 for every course and a
        // redelivery of one of each course's backfilled facts: some arrive before their course's batch, some during,
        // some after.
        var feeds = Enumerable.Range(0, 300).Select(_ => CourseFeed.ForNewPatient("clinic-bflive")).ToList();
        var history = feeds.Select(f => f.Induction()).ToList();
        var lines = history.SelectMany(h => h).Select(BulkUploadTests.Line).ToList();
        var live = feeds.Select(f => CourseFeed.Message("phq9-completed", f.Phq9Total(CourseFeed.Start.AddDays(40), 6))).ToList();
        var redelivered = history.Select(h => h[2]).ToList();
        var schema = fixture.BackfillNames.Schema;

        var summary = await WithFile(lines, async file =>
        {
            var backfill = Send(fixture.Backfill, file, BackfillPlan(linesPerPart: 1200));
            for (var i = 0; i < feeds.Count; i++)
            {
                await fixture.LivePublisher.Publish(live[i]);
                await fixture.LivePublisher.Publish(redelivered[i]);
                if (i % 20 == 0) await Task.Yield();
            }
            return await backfill;
        });

        var expected = lines.Count + live.Count;
        await Eventually.Until(() => Scalar($"select count(*) from {schema}.mt_events where stream_id like 'clinic-bflive/%'"), c => c >= expected,
            $"{expected} events of the live and backfilled facts");
        Assert.Equal(0, summary.Rejected);
        Assert.Equal(lines.Count, summary.Stored + summary.Duplicates);
        Assert.Equal(expected, await Scalar($"select count(*) from {schema}.mt_events where stream_id like 'clinic-bflive/%'"));
        Assert.Equal(expected, await Scalar($"select count(distinct id) from {schema}.mt_events where stream_id like 'clinic-bflive/%'"));
        // Every course: one stream, versions 1..n without a gap, and an outcome row counting all n facts (derived from the
        // course state the live writer held or rebuilt after the backfill).
        Assert.Equal(0, await Scalar(
            $"select count(*) from {schema}.mt_streams s where s.id like 'clinic-bflive/%' and (s.version <> (select count(*) from {schema}.mt_events e where e.stream_id = s.id) " +
            $"or s.version <> (select max(version) from {schema}.mt_events e where e.stream_id = s.id) " +
            $"or s.version <> (select o.facts from {schema}.course_outcomes o where o.course_key = s.id))"));
        Assert.Equal(feeds.Count, await Scalar($"select count(*) from {schema}.mt_streams where id like 'clinic-bflive/%'"));
        Assert.Equal(feeds.Count * (history[0].Count + 1L), await Scalar($"select sum(version) from {schema}.mt_streams where id like 'clinic-bflive/%'"));
    }

    [Fact]
    public async Task Backfill_RequiresTheAdminRole()
    {
        var client = fixture.Backfill.ClientFor(AccessToken.Roles.Integration, "clinic-bfrole");
        var response = await client.PostAsync("/api/v1/ingestion/backfill",
            BulkUploadTests.Ndjson(CourseFeed.ForNewPatient("clinic-bfrole").Induction().Select(BulkUploadTests.Line)));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var upload = await client.PostAsync("/api/v1/ingestion/batches",
            BulkUploadTests.Ndjson(CourseFeed.ForNewPatient("clinic-bfrole").Induction().Select(BulkUploadTests.Line)));
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
    }
}
