using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.CourseOutcomes;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.CourseOutcomes;

[Collection(IngestionCollection.Name)]
public sealed class OutcomeReadModelTests(IngestionFixture fixture)
{
    private static string NewClinic() => "clinic-o" + Guid.NewGuid().ToString("N")[..8];

    private OutcomeReadModel ReadModel => fixture.Host.Services.GetRequiredService<OutcomeReadModel>();

    /// Baseline 20, sessions from day 0, then scores on the given days; no response unless a score is <= 10.
    private static List<WireMessage> Course(CourseFeed feed, params (int Day, int Total)[] scores)
    {
        var start = CourseFeed.Start;
        var messages = new List<WireMessage>
        {
            CourseFeed.Message("patient-enrolled", feed.Enrolment(start.AddDays(-3))),
            CourseFeed.Message("phq9-completed", feed.Phq9Total(start.AddDays(-1), 20)),
        };
        foreach (var day in new[] { 0, 3, 7, 10, 14, 17 })
            messages.Add(CourseFeed.Message("treatment-session-given", feed.Session(start.AddDays(day))));
        foreach (var (day, total) in scores)
            messages.Add(CourseFeed.Message("phq9-completed", feed.Phq9Total(start.AddDays(day).AddHours(3), total)));
        return messages;
    }

    private async Task<CohortMember> StoredMember(CourseFeed feed)
    {
        var read = await ReadModel.ReadLatest([feed.ClinicId], CancellationToken.None);
        return Assert.Single(read.Members, m => m.Course.PatientKey == feed.PatientKey);
    }

    [Fact]
    public async Task LatePhq9_UpdatesTheStoredOutcome()
    {
        var feed = CourseFeed.ForNewPatient(NewClinic());
        var course = Course(feed, (10, 18), (17, 16));
        await fixture.Publisher.PublishAll(course);
        await fixture.CourseWith(feed, course.Count);
        Assert.Null((await StoredMember(feed)).Outcome.FirstResponse);

        // A score from day 4 arrives after the later ones: the course responded on day 4, after 2 sessions.
        await fixture.Publisher.Publish(CourseFeed.Message("phq9-completed", feed.Phq9Total(CourseFeed.Start.AddDays(4), 9)));
        await fixture.CourseWith(feed, course.Count + 1);

        var member = await StoredMember(feed);
        Assert.Equal(new Milestone(4, 2, 9), member.Outcome.FirstResponse);
        Assert.Equal(20, member.Outcome.Baseline?.Total);
        Assert.Equal(Modality.IvKetamine, member.Attributes?.Modality);
    }

    [Fact]
    public async Task StoredOutcomes_EqualDerivationFromTheEvents()
    {
        var clinic = NewClinic();
        var feeds = Enumerable.Range(0, 6).Select(_ => CourseFeed.ForNewPatient(clinic)).ToList();
        var courses = new[]
        {
            Course(feeds[0], (3, 9), (10, 12), (17, 15)),
            Course(feeds[1], (7, 19), (14, 18)),
            Course(feeds[2], (3, 4), (10, 3), (17, 2)),
            Course(feeds[3]),
            Course(feeds[4], (10, 10), (24, 21), (31, 22)),
            Course(feeds[5], (3, 15), (10, 9)),
        };
        // Arrival order scrambled across courses and within them.
        var random = new Random(7);
        await fixture.Publisher.PublishAll(courses.SelectMany(c => c).OrderBy(_ => random.Next()));
        for (var i = 0; i < feeds.Count; i++)
            await fixture.CourseWith(feeds[i], courses[i].Count);

        var read = await ReadModel.ReadLatest([clinic], CancellationToken.None);
        var store = fixture.Host.Services.GetRequiredService<IDocumentStore>();
        await using var session = store.QuerySession();
        foreach (var member in read.Members)
        {
            var events = await session.Events.FetchStreamAsync(member.Course.ToString());
            var expected = CohortMember.AtPosition(member.Course, CourseFacts.From(events.Select(e => e.Data)), OutcomeDefinitions.Default, read.StoreTime);
            Assert.Equal(Json(expected), Json(member));
        }
        Assert.Equal(6, read.Members.Count);
        Assert.Equal(4, read.Members.Count(m => m.Outcome.FirstResponse is not null));
    }

    [Fact]
    public async Task Rebuild_RestoresEveryRowExactly()
    {
        var clinic = NewClinic();
        var feeds = Enumerable.Range(0, 4).Select(_ => CourseFeed.ForNewPatient(clinic)).ToList();
        var courses = feeds.Select((f, i) => Course(f, (7, 10 + i), (14, 8 + 2 * i))).ToList();
        await fixture.Publisher.PublishAll(courses.SelectMany(c => c));
        for (var i = 0; i < feeds.Count; i++)
            await fixture.CourseWith(feeds[i], courses[i].Count);
        var before = await Rows(clinic);
        Assert.Equal(4, before.Count);

        await Execute($"delete from {ReadModel.Table.QualifiedName} where clinic_id = $1", clinic);
        Assert.Empty(await Rows(clinic));
        var progress = new List<RebuildProgress>();
        var result = await ReadModel.Rebuild(new SynchronousProgress(progress), CancellationToken.None);

        Assert.Equal(before, await Rows(clinic));
        Assert.True(result.CoursesDone >= 4);
        Assert.Equal(result.CoursesTotal, result.CoursesDone);
        Assert.Equal(result, progress[^1]);
        Assert.True((await ReadModel.State(CancellationToken.None)).IsCurrent);
    }

    [Fact]
    public async Task RowsWithoutStoredFacts_AreBehind_UntilRebuilt()
    {
        // A table from before the course_facts column: Marten adds the column empty, and those rows must not be
        // read by exports until a rebuild has filled them.
        var clinic = NewClinic();
        var feeds = Enumerable.Range(0, 2).Select(_ => CourseFeed.ForNewPatient(clinic)).ToList();
        var courses = feeds.Select((f, i) => Course(f, (7, 9 + i))).ToList();
        await fixture.Publisher.PublishAll(courses.SelectMany(c => c));
        for (var i = 0; i < feeds.Count; i++)
            await fixture.CourseWith(feeds[i], courses[i].Count);
        var before = await Rows(clinic);
        Assert.All(before.Values, row => Assert.DoesNotContain("/none", row, StringComparison.Ordinal));

        await Execute($"update {ReadModel.Table.QualifiedName} set course_facts = null where clinic_id = $1", clinic);
        var behind = await ReadModel.State(CancellationToken.None);
        await ReadModel.Rebuild(null, CancellationToken.None);

        Assert.False(behind.IsCurrent);
        Assert.Equal(behind.Courses - 2, behind.CurrentRows);
        Assert.Equal(before, await Rows(clinic));
        Assert.True((await ReadModel.State(CancellationToken.None)).IsCurrent);
    }

    [Fact]
    public async Task RowsThatCannotBeDecoded_ReportedNotHung()
    {
        // Enough 1 kB rows of an unknown layout to fill more blocks than the reader may queue ahead of the decoder.
        var clinic = NewClinic();
        await Execute($"insert into {ReadModel.Table.QualifiedName} (course_key, clinic_id, definitions, facts, outcome) " +
            $"select $1 || '/pk' || g || 'zz/1', $1, '{CourseOutcomeTable.DefinitionsKey(OutcomeDefinitions.Default)}', 1, " +
            "decode(repeat('09', 1000), 'hex') from generate_series(1, 8000) g", clinic);
        try
        {
            var reading = ReadModel.ReadLatest([clinic], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

            var error = await Assert.ThrowsAsync<InvalidDataException>(() => reading);
            Assert.Contains("rebuild", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await Execute($"delete from {ReadModel.Table.QualifiedName} where clinic_id = $1", clinic);
        }
    }

    private sealed class SynchronousProgress(List<RebuildProgress> seen) : IProgress<RebuildProgress>
    {
        public void Report(RebuildProgress value) => seen.Add(value);
    }

    private async Task<Dictionary<string, string>> Rows(string clinic)
    {
        var database = fixture.Host.Services.GetRequiredService<NpgsqlDataSource>();
        await using var command = database.CreateCommand(
            $"select course_key, facts, encode(outcome, 'hex') || '/' || coalesce(encode(course_facts, 'hex'), 'none') from {ReadModel.Table.QualifiedName} where clinic_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = clinic });
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new Dictionary<string, string>();
        while (await reader.ReadAsync())
            rows[reader.GetString(0)] = $"{reader.GetInt32(1)}:{reader.GetString(2)}";
        return rows;
    }

    private async Task Execute(string sql, string parameter)
    {
        var database = fixture.Host.Services.GetRequiredService<NpgsqlDataSource>();
        await using var command = database.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        await command.ExecuteNonQueryAsync();
    }

    /// At the L tier the start-up check takes seconds and replaying the events minutes: a report asked in between must
    /// wait for the check's answer. The unguarded read (IsCurrent) says "not current" until then, which sent such a
    /// report to replay every event.
    [Fact]
    public async Task AReportAskedBeforeTheStartupCheckAnswers_WaitsForTheAnswer_InsteadOfReplayingEveryEvent()
    {
        var status = new OutcomeReadModelStatus();
        var asking = status.IsCurrentAsync(CancellationToken.None).AsTask();

        Assert.False(status.IsCurrent);
        Assert.False(asking.IsCompleted);
        status.Set(true);
        Assert.True(await asking.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(await status.IsCurrentAsync(CancellationToken.None));
    }

    private static string Json(CohortMember member) =>
        System.Text.Json.JsonSerializer.Serialize(member, IngestionFixture.ApiJson);
}
