using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Outcomes.Contracts;
using Outcomes.Service.Ingestion;
using Outcomes.Service.Tests.Fixtures;
using Roles = Outcomes.Contracts.AccessToken.Roles;

namespace Outcomes.Service.Tests.Security;

/// Clinic A's callers never read clinic B's data, by any route; unknown-clinic rejections only for
/// an administrator of every clinic.
[Collection(IngestionCollection.Name)]
public sealed class ClinicScopeTests(IngestionFixture fixture) : IAsyncLifetime
{
    // Clinic ids of this test class alone, so the other tests' data in the shared schema cannot blur the counts.
    private readonly string _a = "scope-a-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _b = "scope-b-" + Guid.NewGuid().ToString("N")[..8];
    private CourseFeed _patientA = null!;
    private CourseFeed _patientB = null!;
    private Guid _rejectedA;
    private Guid _rejectedB;
    private Guid _rejectedUnknown;

    public async Task InitializeAsync()
    {
        _patientA = CourseFeed.ForNewPatient(_a);
        _patientB = CourseFeed.ForNewPatient(_b);
        var badA = _patientA.Phq9Total(CourseFeed.Start, 28);
        var badB = _patientB.Phq9Total(CourseFeed.Start, 28);
        var noClinic = _patientB.Phq9Total(CourseFeed.Start, 5);
        noClinic.Remove("clinicId");
        (_rejectedA, _rejectedB, _rejectedUnknown) = (EventId(badA), EventId(badB), EventId(noClinic));

        await fixture.Publisher.PublishAll(
        [
            CourseFeed.Message("phq9-completed", _patientA.Phq9Total(CourseFeed.Start, 20)),
            CourseFeed.Message("phq9-completed", _patientB.Phq9Total(CourseFeed.Start, 21)),
            CourseFeed.Message("phq9-completed", badA),
            CourseFeed.Message("phq9-completed", badB),
            CourseFeed.Message("phq9-completed", noClinic),
        ]);
        await fixture.CourseWith(_patientA, 1);
        await fixture.CourseWith(_patientB, 1);
        await Eventually.Until(() => fixture.Rejections(), list => new[] { _rejectedA, _rejectedB, _rejectedUnknown }
            .All(id => list.Any(r => r.EventId == id)), "the three rejections");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static Guid EventId(JsonObject body) => Guid.Parse((string)body["eventId"]!);

    private static string PatientRoute(CourseFeed feed) => $"/api/v1/patients/{feed.ClinicId}/{feed.PatientKey}";

    [Theory]
    [InlineData(Roles.Quality)]
    [InlineData(Roles.Admin)]
    public async Task OwnClinicsPatient_Readable_OtherClinicsPatient403(string role)
    {
        var client = fixture.ClientFor(role, _a);

        var own = await client.GetAsync(PatientRoute(_patientA));
        var other = await client.GetAsync(PatientRoute(_patientB));

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(_patientA.PatientKey, (await own.Content.ReadFromJsonAsync<JsonObject>())!["patientKey"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        Assert.DoesNotContain(_patientB.PatientKey, await other.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task OtherClinic_SameAnswerWhetherOrNotThePatientExists()
    {
        var client = fixture.ClientFor(Roles.Quality, _a);

        var existing = await client.GetAsync(PatientRoute(_patientB));
        var missing = await client.GetAsync(PatientRoute(CourseFeed.ForNewPatient(_b)));
        var missingCourse = await client.GetAsync(PatientRoute(_patientB) + "?course=2");

        Assert.Equal(HttpStatusCode.Forbidden, existing.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, missingCourse.StatusCode);
        Assert.Equal(await Title(existing), await Title(missing));
        // In scope, a missing patient is simply not found.
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(PatientRoute(CourseFeed.ForNewPatient(_a)))).StatusCode);
    }

    [Fact]
    public async Task SeveralClinicsInToken_EachReadable()
    {
        var client = fixture.ClientFor(Roles.Quality, _a, _b);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(PatientRoute(_patientA))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(PatientRoute(_patientB))).StatusCode);
    }

    [Theory]
    [InlineData(Roles.Quality)]
    [InlineData(Roles.Researcher)]
    [InlineData(Roles.Integration)]
    public async Task EveryClinicsStar_WithoutAdminRole_GrantsNothing(string role)
    {
        var client = fixture.ClientFor(role, AccessToken.AllClinics);

        if (role == Roles.Integration)
            Assert.Empty(Ours(await List(client)));
        else
            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync(PatientRoute(_patientA))).StatusCode);
    }

    [Fact]
    public async Task IntegrationUser_SeesOnlyItsClinicsRejections()
    {
        var client = fixture.ClientFor(Roles.Integration, _a);

        var listed = await List(client);

        Assert.Equal([_rejectedA], Ours(listed));
        Assert.All(listed, r => Assert.Equal(_a, r.ClinicId));
        Assert.Equal([_rejectedA], Ours(await List(client, $"&clinicId={_a}")));
    }

    [Fact]
    public async Task IntegrationUser_AsksForOtherClinicsRejections_403()
    {
        var response = await fixture.ClientFor(Roles.Integration, _a).GetAsync($"/api/v1/ingestion/rejections?clinicId={_b}");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task TwoClinicsInToken_BothClinicsRejectionsButNotUnknownClinic()
    {
        var listed = await List(fixture.ClientFor(Roles.Integration, _a, _b));

        Assert.Equal(new[] { _rejectedA, _rejectedB }.Order(), Ours(listed).Order());
        Assert.DoesNotContain(listed, r => r.ClinicId is null);
    }

    [Fact]
    public async Task AdminOfEveryClinic_SeesAllRejectionsIncludingUnknownClinic()
    {
        var listed = await List(fixture.ClientFor(Roles.Admin, AccessToken.AllClinics));

        Assert.Equal(new[] { _rejectedA, _rejectedB, _rejectedUnknown }.Order(), Ours(listed).Order());
        Assert.Null(listed.Single(r => r.EventId == _rejectedUnknown).ClinicId);
    }

    [Fact]
    public async Task AdminOfOneClinic_ScopedLikeAnyoneElse()
    {
        var client = fixture.ClientFor(Roles.Admin, _a);

        Assert.Equal([_rejectedA], Ours(await List(client)));
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync(PatientRoute(_patientB))).StatusCode);
    }

    private static async Task<List<IngestionRejection>> List(HttpClient client, string query = "") =>
        (await client.GetFromJsonAsync<List<IngestionRejection>>("/api/v1/ingestion/rejections?limit=1000" + query, IngestionFixture.ApiJson))!;

    private Guid[] Ours(IEnumerable<IngestionRejection> listed) =>
        listed.Where(r => r.EventId == _rejectedA || r.EventId == _rejectedB || r.EventId == _rejectedUnknown).Select(r => r.EventId!.Value).ToArray();

    private static async Task<string?> Title(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonObject>())?["title"]?.GetValue<string>();
}
