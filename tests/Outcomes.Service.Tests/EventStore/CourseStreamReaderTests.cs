using System.Security.Claims;
using System.Text.Json;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Outcomes.Contracts;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Courses;
using Outcomes.Service.Cohorts;
using Outcomes.Service.Disclosure;
using Outcomes.Service.EventStore;
using Outcomes.Service.Security;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.EventStore;

[Collection(IngestionCollection.Name)]
public sealed class CourseStreamReaderTests(IngestionFixture fixture)
{
    private static string NewClinic() => "clinic-s" + Guid.NewGuid().ToString("N")[..8];

    private async Task<List<CourseFeed>> Feed(string clinic, int patients)
    {
        var feeds = Enumerable.Range(0, patients).Select(_ => CourseFeed.ForNewPatient(clinic)).ToList();
        await fixture.Publisher.PublishAll(feeds.SelectMany(f => f.Induction()));
        foreach (var feed in feeds)
            await fixture.CourseWith(feed, feed.Induction().Count);
        return feeds;
    }

    private CourseStreamReader Reader => fixture.Host.Services.GetRequiredService<CourseStreamReader>();

    private async Task<(long Position, List<PatientCourse> Courses)> Read(IReadOnlyCollection<string>? clinics, long? position = null)
    {
        await using var connection = await fixture.Host.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        var (latest, _) = await EventStorePosition.LatestAsync(connection, transaction, Reader.Schema, CancellationToken.None);
        var at = position ?? latest;
        var courses = new List<PatientCourse>();
        await foreach (var course in Reader.ReadAsync(connection, transaction, clinics, at))
            courses.Add(course);
        return (at, courses);
    }

    [Fact]
    public async Task ReplayedCourses_AreTheCoursesTheirSentFactsBuild_OfTheAskedClinicsOnly()
    {
        var (mine, other) = (NewClinic(), NewClinic());
        var feeds = Enumerable.Range(0, 3).Select(_ => CourseFeed.ForNewPatient(mine)).ToList();
        var sent = feeds.ToDictionary(f => $"{mine}/{f.PatientKey}/1", f => f.Induction());
        await fixture.Publisher.PublishAll(sent.Values.SelectMany(m => m));
        foreach (var feed in feeds)
            await fixture.CourseWith(feed, sent[$"{mine}/{feed.PatientKey}/1"].Count);
        await Feed(other, 2);

        var (_, courses) = await Read([mine]);

        // One course model: the state a replay of the stored stream builds is, byte for byte, the state the facts as sent
        // build in memory (the course the endpoints show and the writer holds are built the same way).
        Assert.Equal(sent.Keys.Order(StringComparer.Ordinal), courses.Select(c => c.Id));
        foreach (var course in courses)
        {
            var expected = PatientCourse.Open(CourseKey.Parse(course.Id));
            foreach (var message in sent[course.Id])
            {
                var fact = Outcomes.Service.Ingestion.ClinicEventReader.Read(message.RoutingKey,
                    System.Text.Encoding.UTF8.GetBytes(message.Json), DateTimeOffset.UtcNow).Fact!;
                expected.Apply(fact.EventId, fact.Event);
            }
            Assert.Equal(JsonSerializer.Serialize(expected), JsonSerializer.Serialize(course));
        }
    }

    [Fact]
    public async Task EarlierPosition_OnlyTheFactsStoredUpToIt()
    {
        var clinic = NewClinic();
        var feed = CourseFeed.ForNewPatient(clinic);
        var induction = feed.Induction();
        await fixture.Publisher.PublishAll(induction.Take(2));
        await fixture.CourseWith(feed, 2);
        var (position, before) = await Read([clinic]);
        await fixture.Publisher.PublishAll(induction.Skip(2));
        await fixture.CourseWith(feed, induction.Count);

        var (_, then) = await Read([clinic], position);
        var (_, now) = await Read([clinic]);

        Assert.Equal(2, Assert.Single(then).FactCount);
        Assert.Equal(JsonSerializer.Serialize(Assert.Single(before)), JsonSerializer.Serialize(then[0]));
        Assert.Equal(induction.Count, Assert.Single(now).FactCount);
    }

    /// As of an earlier position, the courses nothing was stored for since come from their read-model rows and the
    /// others are replayed; the members are exactly those a replay of every course gives.
    [Fact]
    public async Task AsOfAPosition_RowsAndReplayTogether_TheMembersOfAFullReplay()
    {
        var clinic = NewClinic();
        await Feed(clinic, 2);
        var growing = CourseFeed.ForNewPatient(clinic);
        var induction = growing.Induction();
        await fixture.Publisher.PublishAll(induction.Take(3));
        await fixture.CourseWith(growing, 3);
        var (position, _) = await Read([clinic]);
        await fixture.Publisher.PublishAll(induction.Skip(3));
        await fixture.CourseWith(growing, induction.Count);
        await Feed(clinic, 1);
        var readModel = fixture.Host.Services.GetRequiredService<Outcomes.Service.CourseOutcomes.OutcomeReadModel>();

        using var mixed = await readModel.ReadAsOf(position, [clinic], rowsCurrent: true, CancellationToken.None);
        using var replayed = await readModel.ReadAsOf(position, [clinic], rowsCurrent: false, CancellationToken.None);

        Assert.Equal(3, mixed.Members.Count);
        Assert.Equal(replayed.StoreTime, mixed.StoreTime);
        Assert.Equal(JsonSerializer.Serialize(replayed.Members), JsonSerializer.Serialize(mixed.Members));
    }

    private static ClaimsPrincipal Quality(params string[] clinics) => new(new ClaimsIdentity(
        clinics.Select(c => new Claim(AccessToken.ClinicsClaim, c)).Append(new Claim(ClaimTypes.Role, AccessToken.Roles.Quality)), "test"));

    /// The scope is the service's to check, for the API and the dashboard alike: asked directly, without any endpoint in
    /// front, it refuses a clinic outside the caller's scope, whether named as clinicId or in the definition's filter,
    /// and answers the same request for a caller whose scope holds the clinic.
    [Fact]
    public async Task ReportService_RefusesAClinicOutsideTheScope_WithNoEndpointInFront()
    {
        var clinic = NewClinic();
        await Feed(clinic, 2);
        var reports = fixture.Host.Services.GetRequiredService<CohortReportService>();
        var definition = fixture.Host.Services.GetRequiredService<ReportCatalog>().Find("overview")!;
        var filtered = definition with { Filter = definition.Filter with { Clinic = [clinic] } };
        var options = new DisclosureOptions();
        var insider = Quality(clinic);
        var outsider = Quality(NewClinic());

        var allowed = await reports.Run(definition, ClinicScope.Of(insider), ReportAudience.Of(insider, false, options), clinic, null, CancellationToken.None);
        var byClinicId = await reports.Run(definition, ClinicScope.Of(outsider), ReportAudience.Of(outsider, false, options), clinic, null, CancellationToken.None);
        var byFilter = await reports.Run(filtered, ClinicScope.Of(outsider), ReportAudience.Of(outsider, false, options), null, null, CancellationToken.None);

        Assert.NotNull(allowed.Report);
        Assert.Equal(2, allowed.Report.Overall.Counts!.Enrolled.Value);
        foreach (var refused in new[] { byClinicId, byFilter })
        {
            Assert.Null(refused.Report);
            Assert.Equal(ReportRefusal.OutOfScope, refused.Refusal);
            Assert.Equal(clinic, refused.OutOfScopeClinic);
        }
    }
}
