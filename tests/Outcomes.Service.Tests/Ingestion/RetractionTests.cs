using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Outcomes.Contracts;
using Outcomes.Domain.Cohorts;
using Npgsql;
using Outcomes.Service.CourseOutcomes;
using Outcomes.Service.EventStore;
using Outcomes.Service.Exports;
using Outcomes.Service.Ingestion;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.Ingestion;

/// v1.fact-retracted through the real broker, writer and PostgreSQL: the course, its outcome row and its safety signals
/// recomputed without the retracted fact, reports as of an earlier position unchanged, bad retractions refused by the
/// store's check (the reader alone accepts them), and a re-sent retraction stored once.
[Collection(IngestionCollection.Name)]
public sealed class RetractionTests(IngestionFixture fixture)
{
    private static string NewClinic() => "clinic-x" + Guid.NewGuid().ToString("N")[..8];

    private static readonly DateTimeOffset Start = CourseFeed.Start;

    private static WireMessage Retraction(CourseFeed feed, WireMessage retracted, int day = 30) =>
        CourseFeed.Message("fact-retracted", feed.Retraction(Start.AddDays(day), CourseFeed.EventIdOf(retracted)));

    /// Baseline 20, six sessions, then the given (day, total) scores.
    private static List<WireMessage> Course(CourseFeed feed, params (int Day, int Total)[] scores)
    {
        var messages = new List<WireMessage>
        {
            CourseFeed.Message("patient-enrolled", feed.Enrolment(Start.AddDays(-3))),
            CourseFeed.Message("phq9-completed", feed.Phq9Total(Start.AddDays(-1), 20)),
        };
        foreach (var day in new[] { 0, 3, 7, 10, 14, 17 })
            messages.Add(CourseFeed.Message("treatment-session-given", feed.Session(Start.AddDays(day))));
        foreach (var (day, total) in scores)
            messages.Add(CourseFeed.Message("phq9-completed", feed.Phq9Total(Start.AddDays(day).AddHours(3), total)));
        return messages;
    }

    private async Task<CohortMember> StoredMember(CourseFeed feed)
    {
        var read = await fixture.Host.Services.GetRequiredService<OutcomeReadModel>().ReadLatest([feed.ClinicId], CancellationToken.None);
        return Assert.Single(read.Members, m => m.Course.PatientKey == feed.PatientKey);
    }

    private static int ResponseEver(JsonNode report) => (int)report["overall"]!["response"]!["responseEver"]!["events"]!["value"]!;

    [Fact]
    public async Task RetractedScore_OutcomeRecomputedWithoutIt_ReportAsOfAnEarlierPositionStillCountsIt()
    {
        var clinic = NewClinic();
        var feed = CourseFeed.ForNewPatient(clinic);
        var course = Course(feed, (3, 9), (10, 18), (17, 16));
        var responding = course[^3];
        await fixture.Publisher.PublishAll(course);
        await fixture.CourseWith(feed, course.Count);
        Assert.Equal(3, (await StoredMember(feed)).Outcome.FirstResponse?.Day);
        var before = await fixture.Client.GetStringAsync($"/api/v1/reports/overview?clinicId={clinic}");
        var position = (long)JsonNode.Parse(before)!["provenance"]!["eventStorePosition"]!;
        Assert.Equal(1, ResponseEver(JsonNode.Parse(before)!));

        await fixture.Publisher.Publish(Retraction(feed, responding));

        var stored = await fixture.CourseWith(feed, course.Count + 1);
        Assert.Equal([20, 18, 16], stored.Phq9Scores.Select(s => s.Total));
        Assert.Equal(course.Count + 1, await IngestionFixture.StoredEventCount(fixture.Host, feed));
        var member = await Eventually.Until(() => StoredMember(feed), m => m.Outcome.FirstResponse is null, "the outcome without the day-3 score");
        Assert.Equal(3, member.Outcome.Series.Count);
        Assert.Equal(0, ResponseEver(JsonNode.Parse(await fixture.Client.GetStringAsync($"/api/v1/reports/overview?clinicId={clinic}"))!));
        // History is not rewritten: as of the position before the retraction, the report is the one given then.
        Assert.Equal(before, await fixture.Client.GetStringAsync($"/api/v1/reports/overview?clinicId={clinic}&asOfPosition={position}"));
    }

    [Fact]
    public async Task RetractionOfUnknownForeignOrRetractionEvent_AcceptedByTheReader_RefusedByTheStore_AResendStoredOnce()
    {
        var clinic = NewClinic();
        var feed = CourseFeed.ForNewPatient(clinic);
        var other = CourseFeed.ForNewPatient(clinic);
        var score = CourseFeed.Message("phq9-completed", feed.Phq9Total(Start, 14));
        var othersScore = CourseFeed.Message("phq9-completed", other.Phq9Total(Start, 12));
        await fixture.Publisher.PublishAll([score, othersScore]);
        await fixture.CourseWith(feed, 1);
        await fixture.CourseWith(other, 1);

        var unknown = CourseFeed.Message("fact-retracted", feed.Retraction(Start.AddDays(1), Guid.NewGuid()));
        var foreign = Retraction(feed, othersScore);
        var valid = Retraction(feed, score);
        var ofRetraction = Retraction(feed, valid, day: 31);
        foreach (var message in new[] { unknown, foreign, valid, ofRetraction })
        {
            var (_, rejection) = ClinicEventReader.Read(message.RoutingKey, Encoding.UTF8.GetBytes(message.Json), DateTimeOffset.UtcNow);
            Assert.Null(rejection);
        }

        await fixture.Publisher.PublishAll([unknown, foreign, valid]);
        Assert.Equal($"retractedEventId: {ClinicEventReader.RetractsUnknownRule}", await fixture.TakeFromErrorQueue(unknown.Json));
        Assert.Equal($"retractedEventId: {ClinicEventReader.RetractsUnknownRule}", await fixture.TakeFromErrorQueue(foreign.Json));
        var course = await fixture.CourseWith(feed, 2);
        Assert.Empty(course.Phq9Scores);
        Assert.Single((await fixture.Course(other))!.Phq9Scores);

        await fixture.Publisher.PublishAll([valid, ofRetraction, CourseFeed.Message("treatment-session-given", feed.Session(Start.AddDays(2)))]);
        Assert.Equal($"retractedEventId: {ClinicEventReader.RetractsRetractionRule}", await fixture.TakeFromErrorQueue(ofRetraction.Json));
        course = await fixture.CourseWith(feed, 3);
        Assert.Equal(3, course.FactCount);
        Assert.Equal(3, await IngestionFixture.StoredEventCount(fixture.Host, feed));
        var logged = await fixture.Rejections(clinic);
        Assert.Equal(3, logged.Count(r => r.Field == "retractedEventId"));
    }

    [Fact]
    public async Task BulkUpload_FactAndItsRetractionInOneFile_BothStored_UnknownRetractionRejectedByLine()
    {
        var feed = CourseFeed.ForNewPatient(NewClinic());
        var course = Course(feed, (3, 9));
        var lines = course.Select(BulkUploadTests.Line).ToList();
        lines.Add(BulkUploadTests.Line(Retraction(feed, course[^1])));
        lines.Add(BulkUploadTests.Line(CourseFeed.Message("fact-retracted", feed.Retraction(Start.AddDays(30), Guid.NewGuid()))));

        var summary = await BulkUploadTests.Upload(fixture.Client, lines);
        var again = await BulkUploadTests.Upload(fixture.Client, lines);

        Assert.Equal(((long)course.Count + 1, 1L), (summary.Stored, summary.Rejected));
        Assert.Equal([(lines.Count, "retractedEventId")], summary.Rejections.Select(r => ((int)r.Line, r.Field)));
        Assert.Equal((0L, (long)course.Count + 1), (again.Stored, again.Duplicates));
        var stored = await fixture.CourseWith(feed, course.Count + 1);
        Assert.Equal([20], stored.Phq9Scores.Select(s => s.Total));
    }

    [Fact]
    public async Task AFactRetractedTwiceUnderTwoIds_BothStored_TheCourseAsAfterTheFirst()
    {
        // What a sender that changed how it names retractions (the FHIR bridge did once) would send again: a second
        // retraction of a fact already retracted, under a new event id.
        var clinic = NewClinic();
        var feed = CourseFeed.ForNewPatient(clinic);
        var course = Course(feed, (3, 9), (10, 18));
        await fixture.Publisher.PublishAll(course);
        await fixture.CourseWith(feed, course.Count);
        await fixture.Publisher.Publish(Retraction(feed, course[^2], day: 30));
        var once = await fixture.CourseWith(feed, course.Count + 1);

        await fixture.Publisher.Publish(Retraction(feed, course[^2], day: 31));
        var twice = await fixture.CourseWith(feed, course.Count + 2);

        Assert.Equal([20, 18], once.Phq9Scores.Select(p => p.Total));
        Assert.Equal(once.Phq9Scores.Select(p => p.Total), twice.Phq9Scores.Select(p => p.Total));
        Assert.Equal(once.Sessions.Count, twice.Sessions.Count);
        Assert.Equal(course.Count + 2, await IngestionFixture.StoredEventCount(fixture.Host, feed));
    }

    [Fact]
    public async Task RetractedCourseEnd_ReopensTheCourse()
    {
        var feed = CourseFeed.ForNewPatient(NewClinic());
        var course = Course(feed, (10, 12));
        var end = CourseFeed.Message("course-ended", feed.Ended(Start.AddDays(20), "lost-to-follow-up"));
        course.Add(end);
        await fixture.Publisher.PublishAll(course);
        await fixture.CourseWith(feed, course.Count);
        Assert.True((await StoredMember(feed)).Outcome.CourseEnded);

        await fixture.Publisher.Publish(Retraction(feed, end));

        Assert.Null((await fixture.CourseWith(feed, course.Count + 1)).Ended);
        await Eventually.Until(() => StoredMember(feed), m => !m.Outcome.CourseEnded, "the course ongoing again");
    }

    [Fact]
    public async Task RetractedScore_TheSignalsItAloneRaised_ResolvedAsADataEntryError()
    {
        var clinic = NewClinic();
        var feed = CourseFeed.ForNewPatient(clinic);
        var worse = CourseFeed.Message("phq9-completed", feed.Phq9(Start.AddDays(3).AddHours(2), 3, 3, 3, 2, 2, 2, 2, 2, 2));
        await fixture.Publisher.PublishAll(
        [
            CourseFeed.Message("patient-enrolled", feed.Enrolment(Start.AddDays(-3))),
            CourseFeed.Message("phq9-completed", feed.Phq9(Start.AddDays(-1), 2, 2, 2, 2, 2, 2, 2, 1, 0)),
            CourseFeed.Message("treatment-session-given", feed.Session(Start)),
            CourseFeed.Message("treatment-session-given", feed.Session(Start.AddDays(3))),
            worse,
        ]);
        var own = fixture.ClientFor(AccessToken.Roles.Quality, clinic);
        await Eventually.Until(async () => JsonNode.Parse(await own.GetStringAsync($"/api/v1/safety/signals?clinicId={clinic}"))!.AsArray(),
            list => list.Count >= 3, "three open signals");

        await fixture.Publisher.Publish(Retraction(feed, worse));

        var resolved = await Eventually.Until(
            async () => JsonNode.Parse(await own.GetStringAsync($"/api/v1/safety/signals?clinicId={clinic}&status=resolved"))!.AsArray(),
            list => list.Count >= 3, "three signals resolved by the retraction");
        Assert.Empty(JsonNode.Parse(await own.GetStringAsync($"/api/v1/safety/signals?clinicId={clinic}"))!.AsArray());
        Assert.All(resolved, s => Assert.Equal(("fact-retracted", "data-entry-error"), ((string)s!["resolvedBy"]!, (string)s["reason"]!)));
    }

    [Fact]
    public async Task ExportReplayAndReadModelRebuild_LeaveTheRetractedFactOut_AnEarlierPositionStillHasIt()
    {
        var clinic = NewClinic();
        var feed = CourseFeed.ForNewPatient(clinic);
        var course = Course(feed, (3, 9), (10, 18));
        await fixture.Publisher.PublishAll(course);
        await fixture.CourseWith(feed, course.Count);
        var services = fixture.Host.Services;
        var readModel = services.GetRequiredService<OutcomeReadModel>();
        var status = services.GetRequiredService<OutcomeReadModelStatus>();
        var stored = new EventStoreCourses(services.GetRequiredService<NpgsqlDataSource>(), services.GetRequiredService<CourseStreamReader>(), readModel, status);
        var replayed = new EventStoreCourses(services.GetRequiredService<NpgsqlDataSource>(), services.GetRequiredService<CourseStreamReader>(), readModel, status) { PreferReadModel = false };
        var before = await stored.LatestPositionAsync(CancellationToken.None);

        await fixture.Publisher.Publish(Retraction(feed, course[^2]));
        await fixture.CourseWith(feed, course.Count + 1);

        async Task<string> Scores(EventStoreCourses courses, long? position)
        {
            await using var open = await courses.OpenAsync([clinic], position, CancellationToken.None);
            var all = new List<string>();
            await foreach (var (_, facts) in open.Courses)
                all.Add(string.Join(",", facts.InCanonicalOrder().Scores.Select(s => s.Score.Total)));
            return string.Join(";", all);
        }
        Assert.Equal("20,18", await Scores(stored, null));
        Assert.Equal("20,18", await Scores(replayed, null));
        Assert.Equal("20,9,18", await Scores(replayed, before));

        var member = System.Text.Json.JsonSerializer.Serialize(await StoredMember(feed));
        await readModel.Rebuild(null, CancellationToken.None);
        Assert.Equal(member, System.Text.Json.JsonSerializer.Serialize(await StoredMember(feed)));
    }
}
