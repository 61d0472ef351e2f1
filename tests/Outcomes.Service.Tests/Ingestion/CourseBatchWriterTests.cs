using System.Text;
using System.Text.Json.Nodes;
using JasperFx.Events;
using Marten;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Outcomes.Domain.Courses;
using Outcomes.Service.EventStore;
using Outcomes.Service.Ingestion;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.Ingestion;

/// Two services, each with a schema of its own: one stores through the set-based writer, the other
/// through Marten's own append path and inline projection, fed the same batches.
public sealed class WriterPairFixture : IAsyncLifetime
{
    public ServicesFixture Services { get; } = new();
    public IsolatedNames SetBasedNames { get; } = IsolatedNames.New();
    public IsolatedNames MartenNames { get; } = IsolatedNames.New();
    private OutcomesHost _setBasedHost = null!;
    public WebApplicationFactory<Program> SetBased { get; private set; } = null!;
    public OutcomesHost Marten { get; private set; } = null!;
    public RecordingObserver Observer { get; } = new();

    public async Task InitializeAsync()
    {
        await Services.InitializeAsync();
        Observer.Schema = SetBasedNames.Schema;
        _setBasedHost = new OutcomesHost(Services, SetBasedNames);
        SetBased = _setBasedHost.WithWebHostBuilder(builder =>
            builder.ConfigureTestServices(services => services.AddSingleton<ICourseChangeObserver>(Observer)));
        Marten = new OutcomesHost(Services, MartenNames);
        SetBased.CreateClient();
        Marten.Start();
    }

    public async Task DisposeAsync()
    {
        await SetBased.DisposeAsync();
        await _setBasedHost.DisposeAsync();
        await Marten.DisposeAsync();
        await SetBasedNames.Delete(Services);
        await MartenNames.Delete(Services);
        await Services.DisposeAsync();
    }
}

/// Keeps what the writer reported, and fails the batch's transaction when told to.
public sealed class RecordingObserver : ICourseChangeObserver
{
    public string Schema { get; set; } = "";
    public List<IReadOnlyList<ChangedCourse>> Calls { get; } = [];
    /// Per call, the events of the first changed course that the observer's connection sees.
    public List<long> EventsVisible { get; } = [];
    public Exception? FailWith { get; set; }

    public async Task OnCoursesChanged(IReadOnlyList<ChangedCourse> changed, ICourseChangeTransaction transaction, CancellationToken cancellationToken)
    {
        var command = new NpgsqlBatchCommand($"select count(*) from {Schema}.mt_events where stream_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = changed[0].Course.Id });
        var visible = (long)(await transaction.ScalarAsync(command, cancellationToken))!;
        // Foreign batches (see SameFeed_...) arrive on the appender's thread while the test appends its own.
        lock (Calls)
        {
            EventsVisible.Add(visible);
            // Copies: the writer's courses are its working state, which its next batch changes (ICourseChangeObserver).
            Calls.Add(changed.Select(c => new ChangedCourse(
                System.Text.Json.JsonSerializer.Deserialize<PatientCourse>(System.Text.Json.JsonSerializer.Serialize(c.Course))!,
                c.LastSequence, c.Retracted, c.CarriedOver)).ToList());
        }
        if (FailWith is { } failure) throw failure;
    }
}

public sealed class CourseBatchWriterTests(WriterPairFixture pair) : IClassFixture<WriterPairFixture>
{
    private static PendingFact Fact(WireMessage message, string? correlationId, string? causationId, string via = "amqp-json")
    {
        var (fact, rejection) = ClinicEventReader.Read(message.RoutingKey, Encoding.UTF8.GetBytes(message.Json), DateTimeOffset.UtcNow);
        Assert.Null(rejection);
        return new PendingFact(fact!, new FactMetadata(correlationId, causationId, via));
    }

    /// Three courses over three batches: facts out of clinical order, a fact repeated inside a batch and
    /// across batches, a later batch appending to streams that exist, a course that starts in the last batch.
    private static IReadOnlyList<IReadOnlyList<PendingFact>> Feed()
    {
        var a = new CourseFeed("clinic-eq", "pkequiv0001a");
        var b = new CourseFeed("clinic-eq", "pkequiv0002b");
        var c = new CourseFeed("clinic-eq2", "pkequiv0003c");
        var aFacts = a.Induction().Reverse().Select((m, i) => Fact(m, $"corr-a-{i}", i % 2 == 0 ? null : $"cause-{i}")).ToList();
        var bFacts = b.Induction().Select((m, i) => Fact(m, null, null, "bulk")).ToList();
        var secondCourse = new JsonObject(b.Enrolment(CourseFeed.Start.AddDays(60)).Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone())))
        {
            ["course"] = 2,
        };
        var bSecondCourse = Fact(CourseFeed.Message("patient-enrolled", secondCourse), "corr-b2", null);
        var cFacts = c.Induction().Take(4).Select(m => Fact(m, "corr-c", "cause-c", "masstransit-envelope")).ToList();

        IReadOnlyList<PendingFact> first = [.. aFacts.Take(5), .. bFacts.Take(3), aFacts[1]];
        IReadOnlyList<PendingFact> second = [bFacts[2], .. bFacts.Skip(3), .. aFacts.Skip(5), aFacts[0], bSecondCourse];
        IReadOnlyList<PendingFact> third = [.. cFacts, bSecondCourse, cFacts[0], .. cFacts.Skip(1)];
        return [first, second, third];
    }

    [Fact]
    public async Task SameFeed_SetBasedWriterStoresExactlyWhatMartensAppendStores()
    {
        var setBased = pair.SetBased.Services.GetRequiredService<CourseBatchWriter>();
        var marten = pair.Marten.Services.GetRequiredService<CourseBatchWriter>();
        var outcomesSetBased = new List<AppendOutcome>();
        var outcomesMarten = new List<AppendOutcome>();

        foreach (var batch in Feed())
        {
            outcomesSetBased.AddRange(await setBased.Append(batch));
            outcomesMarten.AddRange(await marten.AppendThroughMarten(batch));
        }

        Assert.Equal(outcomesMarten, outcomesSetBased);
        Assert.Equal(8, outcomesSetBased.Count(o => o == AppendOutcome.Duplicate));

        var storeS = pair.SetBased.Services.GetRequiredService<IDocumentStore>();
        var storeM = pair.Marten.Services.GetRequiredService<IDocumentStore>();
        await using var s = storeS.QuerySession();
        await using var m = storeM.QuerySession();

        // Only this feed's streams: the schemas are shared with the other tests of their hosts.
        var eventsS = Ours(await s.Events.QueryAllRawEvents().OrderBy(e => e.Sequence).ToListAsync());
        var eventsM = Ours(await m.Events.QueryAllRawEvents().OrderBy(e => e.Sequence).ToListAsync());
        Assert.Equal(Describe(storeM, eventsM), Describe(storeS, eventsS));
        Assert.Equal(outcomesSetBased.Count(o => o == AppendOutcome.Stored), eventsS.Count);

        var streams = eventsM.Select(e => e.StreamKey!).Distinct().ToList();
        Assert.Equal(4, streams.Count);
        foreach (var stream in streams)
        {
            Assert.Equal(Describe(storeM, await m.Events.FetchStreamAsync(stream)), Describe(storeS, await s.Events.FetchStreamAsync(stream)));
            var stateS = await s.Events.FetchStreamStateAsync(stream);
            var stateM = await m.Events.FetchStreamStateAsync(stream);
            Assert.Equal((stateM!.Version, stateM.Key, stateM.IsArchived), (stateS!.Version, stateS.Key, stateS.IsArchived));
            // The course the set-based writer held and told its observers after its last batch, against the course built
            // from the stream Marten's own append stored.
            var courseS = pair.Observer.Calls.Last(c => c.Any(x => x.Course.Id == stream)).Single(x => x.Course.Id == stream).Course;
            var courseM = await pair.Marten.Services.GetRequiredService<CourseStreamReader>().CourseAsync(
                pair.Marten.Services.GetRequiredService<NpgsqlDataSource>(), CourseKey.Parse(stream), CancellationToken.None);
            Assert.Equal(storeM.Options.Serializer().ToJson(courseM!), storeS.Options.Serializer().ToJson(courseS));
        }

        var statistics = await storeS.Advanced.FetchEventStoreStatistics();
        Assert.True(statistics.EventCount >= eventsS.Count && statistics.StreamCount >= streams.Count
            && statistics.EventSequenceNumber >= eventsS[^1].Sequence);
        Assert.Equal(await Rows(pair.MartenNames.Schema, streams), await Rows(pair.SetBasedNames.Schema, streams));
    }

    private static List<IEvent> Ours(IEnumerable<IEvent> events) =>
        events.Where(e => e.StreamKey!.StartsWith("clinic-eq", StringComparison.Ordinal)).ToList();

    /// Sequence numbers as their order within the list: foreign events may take numbers in between.
    private static IReadOnlyList<string> Describe(IDocumentStore store, IReadOnlyList<IEvent> events) =>
        events.Select(e => string.Join(" | ", events.Count(o => o.Sequence < e.Sequence), e.Id, e.StreamKey, e.Version, e.EventTypeName, e.DotNetTypeName, e.TenantId,
            e.CorrelationId, e.CausationId, e.IsArchived, store.Options.Serializer().ToJson(e.Data),
            string.Join(",", (e.Headers ?? []).OrderBy(h => h.Key).Select(h => $"{h.Key}={h.Value}")))).ToList();

    /// The columns Marten reads back that the APIs above do not show, straight from the tables.
    private async Task<IReadOnlyList<string>> Rows(string schema, IReadOnlyList<string> streams)
    {
        await using var connection = new NpgsqlConnection(pair.Services.PostgresConnection);
        await connection.OpenAsync();
        var rows = new List<string>();
        foreach (var sql in new[]
        {
            $"select id, coalesce(type, '-'), version, tenant_id, compacted_version, is_archived from {schema}.mt_streams where id = any($1) order by id",
            $"select stream_id, version, bdata is null, headers::text, data::text, tenant_id, is_archived from {schema}.mt_events where stream_id = any($1) order by seq_id",
        })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = streams.ToArray() });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                rows.Add(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetValue(i).ToString())));
        }
        return rows;
    }

    [Fact]
    public async Task CourseAppendedByAnotherInstance_IsRebuiltFromItsStream_NotTakenStaleFromTheCache()
    {
        var services = pair.SetBased.Services;
        var first = services.GetRequiredService<CourseBatchWriter>();
        // Another service instance on the same store: its own writer, its own cache.
        var other = new CourseBatchWriter(services.GetRequiredService<IDocumentStore>(), services.GetRequiredService<NpgsqlDataSource>(),
            services.GetServices<ICourseChangeObserver>(), Microsoft.Extensions.Logging.Abstractions.NullLogger<CourseBatchWriter>.Instance,
            services.GetRequiredService<CourseStreamReader>(), services.GetRequiredService<EventTables>(),
            services.GetRequiredService<Microsoft.Extensions.Options.IOptions<IngestionOptions>>());
        var feed = new CourseFeed("clinic-cache", "pkcache0001x");
        var key = "clinic-cache/pkcache0001x/1";
        var facts = feed.Induction().Select(m => Fact(m, null, null)).ToList();

        await first.Append(facts.Take(4).ToList());
        await other.Append(facts.Skip(4).Take(4).ToList());

        // The first writer still holds the course as it left it: a copy that misses the other instance's four facts, which a
        // cache trusted without the stream's version would build on (4 + the last batch's facts, not all of them).
        Assert.Equal(4L, first.Cache.VersionOf(key));
        Assert.Equal(8L, other.Cache.VersionOf(key));

        await first.Append(facts.Skip(8).ToList());
        var told = pair.Observer.Calls.Last(c => c.Any(x => x.Course.Id == key)).Single(x => x.Course.Id == key);
        Assert.Equal(facts.Count, told.Course.FactCount);
        Assert.Equal(facts.Count, told.Course.Phq9Scores.Count + told.Course.Sessions.Count + (told.Course.Enrolment is null ? 0 : 1)
            + (told.Course.Ended is null ? 0 : 1));
        Assert.Equal((long)facts.Count, first.Cache.VersionOf(key));
    }

    [Fact]
    public async Task SignalsOverSeveralBatches_EachStoredOnce_ACachedCourseCarryingWhatItsLastBatchRaised()
    {
        var writer = pair.SetBased.Services.GetRequiredService<CourseBatchWriter>();
        var feed = new CourseFeed("clinic-sig", "pksignal001x");
        var key = "clinic-sig/pksignal001x/1";
        var start = CourseFeed.Start;
        var batches = new[]
        {
            // Baseline total 14 with item 9 at 0: nothing raised.
            new[] { CourseFeed.Message("patient-enrolled", feed.Enrolment(start.AddDays(-3))),
                CourseFeed.Message("phq9-completed", feed.Phq9(start.AddDays(-1), 2, 2, 2, 2, 2, 2, 1, 1, 0)) },
            // Item 9 at 2 and 6 points up: item 9 positive, new positive, worsening.
            [CourseFeed.Message("treatment-session-given", feed.Session(start)),
                CourseFeed.Message("phq9-completed", feed.Phq9(start.AddDays(1), 3, 3, 3, 2, 2, 2, 2, 1, 2))],
            // Item 9 at 1 again: one more item 9 positive; the three before are not new.
            [CourseFeed.Message("treatment-session-given", feed.Session(start.AddDays(3))),
                CourseFeed.Message("phq9-completed", feed.Phq9(start.AddDays(4), 2, 2, 2, 2, 2, 2, 2, 1, 1))],
        };
        foreach (var batch in batches)
            await writer.Append(batch.Select(m => Fact(m, null, null)).ToList());

        var calls = pair.Observer.Calls.Where(c => c.Any(x => x.Course.Id == key)).Select(c => c.Single(x => x.Course.Id == key)).ToList();
        Assert.Equal(3, calls.Count);
        // A new course carries nothing; the next batches get what the one before them raised, from this process's cache.
        Assert.Null(calls[0].Carried<Outcomes.Service.Safety.RaisedSignals>());
        Assert.Empty(calls[1].Carried<Outcomes.Service.Safety.RaisedSignals>()!.Ids);
        Assert.Equal(3, calls[2].Carried<Outcomes.Service.Safety.RaisedSignals>()!.Ids.Count);

        await using var connection = new NpgsqlConnection(pair.Services.PostgresConnection);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"select signal, count(*) from {pair.SetBasedNames.Schema}.safety_signals where patient_key = 'pksignal001x' group by signal order by signal",
            connection);
        var stored = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                stored.Add($"{reader.GetString(0)} {reader.GetInt64(1)}");
        Assert.Equal(["item9-new-positive 1", "item9-positive 2", "worsening 1"], stored);
    }

    [Fact]
    public async Task Observer_SeesPostBatchCoursesAndLastSequences_AndItsFailureRollsTheBatchBack()
    {
        var writer = pair.SetBased.Services.GetRequiredService<CourseBatchWriter>();
        var store = pair.SetBased.Services.GetRequiredService<IDocumentStore>();
        var feed = new CourseFeed("clinic-obs", "pkobserve01x");
        var facts = feed.Induction().Select(m => Fact(m, null, null)).ToList();

        await writer.Append(facts.Take(4).ToList());
        pair.Observer.FailWith = new InvalidOperationException("read model refused");
        await Assert.ThrowsAsync<InvalidOperationException>(() => writer.Append(facts.Skip(4).ToList()));
        pair.Observer.FailWith = null;
        await writer.Append([facts[0], .. facts.Skip(4)]);

        await using var session = store.QuerySession();
        var stream = await session.Events.FetchStreamAsync("clinic-obs/pkobserve01x/1");
        var last = pair.Observer.Calls.Last(c => c.Any(x => x.Course.Id == "clinic-obs/pkobserve01x/1")).Single();
        Assert.Equal(facts.Count, stream.Count);
        Assert.Equal(facts.Count, last.Course.FactCount);
        Assert.Equal(stream[^1].Sequence, last.LastSequence);
        var calls = pair.Observer.Calls.Select((c, i) => (Changed: c, Visible: pair.Observer.EventsVisible[i]))
            .Where(c => c.Changed[0].Course.Id == "clinic-obs/pkobserve01x/1").ToList();
        // The failing batch saw its 12 events inside its transaction on each of the writer's 5 attempts, and each was
        // rolled back: otherwise the last batch would have stored nothing new and told the observer nothing.
        Assert.Equal([4L, 12, 12, 12, 12, 12, 12], calls.Select(c => c.Visible));
        Assert.Equal([4, 12, 12, 12, 12, 12, 12], calls.Select(c => c.Changed[0].Course.FactCount));
    }
}
