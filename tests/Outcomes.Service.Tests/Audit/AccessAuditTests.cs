using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Outcomes.Cli.Tokens;
using Outcomes.Contracts;
using Outcomes.Service.Audit;
using Outcomes.Service.Tests.Fixtures;
using Roles = Outcomes.Contracts.AccessToken.Roles;

namespace Outcomes.Service.Tests.Audit;

/// Every read of course-level data leaves exactly one record; administrators list and export them; nobody rewrites them.
[Collection(IngestionCollection.Name)]
public sealed class AccessAuditTests(IngestionFixture fixture)
{
    /// Operations of the API that read no course-level data: aggregates, ingestion, administration. A new operation
    /// must be either marked with AuditsCourseAccess or named here, so none escapes the audit by being forgotten.
    private static readonly HashSet<string> NotCourseLevel =
    [
        "GET /api/v1/ingestion/rejections", "GET /api/v1/ingestion/rejections/counts", "POST /api/v1/ingestion/batches", "POST /api/v1/ingestion/backfill",
        "GET /api/v1/reports", "GET /api/v1/reports/{name}", "POST /api/v1/reports/cohort",
        "GET /api/v1/releases", "POST /api/v1/releases",
        "GET /api/v1/exports",
        "GET /api/v1/audit", "GET /api/v1/audit/fhir",
    ];

    private static string NewClinic() => "clinic-u" + Guid.NewGuid().ToString("N")[..8];

    /// A caller of its own name, so its records are told apart from every other test's.
    private (HttpClient Client, string Subject) Caller(string role, params string[] clinics)
    {
        var subject = $"audit-{role}-{Guid.NewGuid():N}"[..30];
        var token = new TokenRequest { Subject = subject, Roles = [role], Clinics = clinics }.Issue(fixture.Host.SigningKey, DateTimeOffset.UtcNow);
        return (fixture.Host.ClientWith(token), subject);
    }

    private async Task<CourseFeed> StoredCourse(string clinic)
    {
        var feed = CourseFeed.ForNewPatient(clinic);
        await fixture.Publisher.PublishAll(feed.Induction());
        await fixture.CourseWith(feed, feed.Induction().Count);
        return feed;
    }

    private async Task<List<CourseAccess>> RecordsOf(string subject) =>
        (await fixture.Client.GetFromJsonAsync<List<CourseAccess>>($"/api/v1/audit?subject={subject}", IngestionFixture.ApiJson))!;

    /// An open signal of the clinic (a typical course's baseline item 9 of 1 raises one), read by the fixture's administrator.
    private async Task<string> SignalOf(string clinic)
    {
        var open = await Eventually.Until(
            async () => JsonNode.Parse(await fixture.Client.GetStringAsync($"/api/v1/safety/signals?clinicId={clinic}&status=open"))!.AsArray(),
            list => list.Count > 0, $"an open signal of {clinic}", TimeSpan.FromSeconds(30));
        return (string)open[0]!["id"]!;
    }

    private async Task<JsonObject> OpenApi() => JsonNode.Parse(await fixture.Host.CreateClient().GetStringAsync("/openapi/v1.json"))!.AsObject();

    [Fact]
    public async Task PatientCourseRead_OneRecordNamingWhoWhichCourseAndWhen()
    {
        var clinic = NewClinic();
        var feed = await StoredCourse(clinic);
        var (quality, subject) = Caller(Roles.Quality, clinic);
        var before = DateTimeOffset.UtcNow;

        Assert.Equal(HttpStatusCode.OK, (await quality.GetAsync($"/api/v1/patients/{clinic}/{feed.PatientKey}")).StatusCode);

        var record = Assert.Single(await RecordsOf(subject));
        Assert.Equal($"{clinic}/{feed.PatientKey}/1", record.CourseKey);
        Assert.Equal([clinic], record.Clinics);
        Assert.Equal([Roles.Quality], record.Roles);
        Assert.Equal(CourseAccessKinds.PatientCourse, record.What);
        Assert.InRange(record.At, before.AddSeconds(-5), DateTimeOffset.UtcNow.AddSeconds(5));
    }

    [Fact]
    public async Task RefusedOrMissingCourse_NoRecord()
    {
        var clinic = NewClinic();
        var feed = await StoredCourse(clinic);
        var (outsider, outsiderSubject) = Caller(Roles.Quality, NewClinic());
        var (insider, insiderSubject) = Caller(Roles.Quality, clinic);

        Assert.Equal(HttpStatusCode.Forbidden, (await outsider.GetAsync($"/api/v1/patients/{clinic}/{feed.PatientKey}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await insider.GetAsync($"/api/v1/patients/{clinic}/{CourseFeed.NewPatientKey()}")).StatusCode);
        // The same insider's successful read, for contrast: the route is audited, the refusals simply read nothing.
        Assert.Equal(HttpStatusCode.OK, (await insider.GetAsync($"/api/v1/patients/{clinic}/{feed.PatientKey}")).StatusCode);

        Assert.Empty(await RecordsOf(outsiderSubject));
        Assert.Single(await RecordsOf(insiderSubject));
    }

    [Fact]
    public async Task EveryAuditedRouteInTheOpenApiDocument_EachReadMakesExactlyOneRecord()
    {
        var clinic = NewClinic();
        var feed = await StoredCourse(clinic);
        await StoredCourse(clinic);   // a second course, so acknowledging and resolving each have an open signal
        // How to read each audited operation once, successfully. A newly marked operation fails here until it is added.
        var reads = new Dictionary<string, Func<Task<(HttpResponseMessage, string)>>>
        {
            ["GET /api/v1/patients/{clinicId}/{patientKey}"] = async () =>
            {
                var (client, subject) = Caller(Roles.Quality, clinic);
                return (await client.GetAsync($"/api/v1/patients/{clinic}/{feed.PatientKey}"), subject);
            },
            ["POST /api/v1/exports"] = async () =>
            {
                // Exports are subsets of a release: cut one that holds this test's course.
                Assert.True((await fixture.Client.PostAsync("/api/v1/releases", null)).IsSuccessStatusCode);
                var (client, subject) = Caller(Roles.Researcher, clinic);
                return (await client.PostAsJsonAsync("/api/v1/exports", new { report = "overview", format = "csv" }), subject);
            },
            ["GET /api/v1/safety/signals"] = async () =>
            {
                var (client, subject) = Caller(Roles.Quality, clinic);
                return (await client.GetAsync($"/api/v1/safety/signals?clinicId={clinic}"), subject);
            },
            ["POST /api/v1/safety/signals/{id}/acknowledge"] = async () =>
            {
                var (client, subject) = Caller(Roles.Quality, clinic);
                return (await client.PostAsJsonAsync($"/api/v1/safety/signals/{await SignalOf(clinic)}/acknowledge", new { reason = "seen-by-clinician" }), subject);
            },
            ["POST /api/v1/safety/signals/{id}/resolve"] = async () =>
            {
                var (client, subject) = Caller(Roles.Quality, clinic);
                return (await client.PostAsJsonAsync($"/api/v1/safety/signals/{await SignalOf(clinic)}/resolve", new { reason = "safety-plan-updated" }), subject);
            },
        };

        var audited = Operations(await OpenApi()).Where(o => o.Audited).Select(o => o.Name).ToList();

        Assert.Equal(reads.Keys.Order(StringComparer.Ordinal), audited.Order(StringComparer.Ordinal));
        foreach (var operation in audited)
        {
            var (response, subject) = await reads[operation]();
            Assert.True(response.IsSuccessStatusCode, $"{operation}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            var record = Assert.Single(await RecordsOf(subject));
            Assert.Contains(clinic, record.Clinics);
        }
    }

    [Fact]
    public async Task EveryApiOperation_IsAuditedOrDeclaredNotCourseLevel()
    {
        var operations = Operations(await OpenApi()).ToList();

        Assert.Contains(operations, o => o.Audited);
        var unclassified = operations.Where(o => !o.Audited && !NotCourseLevel.Contains(o.Name)).Select(o => o.Name).ToList();
        Assert.True(unclassified.Count == 0, "Course-level or not? Mark these with AuditsCourseAccess or list them in NotCourseLevel: " +
            string.Join(", ", unclassified));
        Assert.DoesNotContain(operations, o => o.Audited && NotCourseLevel.Contains(o.Name));
    }

    [Fact]
    public async Task Export_OneRecordWithTheClinicSetNotOnePerCourse()
    {
        var clinic = NewClinic();
        var other = NewClinic();
        await Task.WhenAll(StoredCourse(clinic), StoredCourse(clinic), StoredCourse(other));
        var (researcher, subject) = Caller(Roles.Researcher, clinic, other);

        var response = await researcher.PostAsJsonAsync("/api/v1/exports", new { report = "overview", format = "csv" });

        Assert.True(response.IsSuccessStatusCode);
        var record = Assert.Single(await RecordsOf(subject));
        Assert.Equal(new[] { clinic, other }.Order(StringComparer.Ordinal), record.Clinics);
        Assert.Null(record.CourseKey);
        Assert.Equal(CourseAccessKinds.ResearchExport, record.What);
    }

    [Fact]
    public async Task AuditList_FiltersByClinicSubjectAndSince_AdminsOnly()
    {
        var clinic = NewClinic();
        var feed = await StoredCourse(clinic);
        var (quality, subject) = Caller(Roles.Quality, clinic);
        await quality.GetAsync($"/api/v1/patients/{clinic}/{feed.PatientKey}");
        await quality.GetAsync($"/api/v1/patients/{clinic}/{feed.PatientKey}");

        // The fixture's own polling for the stored course was a read too, by the administrator: the clinic has more.
        var byClinic = await fixture.Client.GetFromJsonAsync<List<CourseAccess>>($"/api/v1/audit?clinicId={clinic}&subject={subject}", IngestionFixture.ApiJson);
        Assert.Equal(2, byClinic!.Count);
        Assert.Empty((await fixture.Client.GetFromJsonAsync<List<CourseAccess>>($"/api/v1/audit?clinicId={NewClinic()}&subject={subject}", IngestionFixture.ApiJson))!);
        Assert.True(byClinic[0].Id > byClinic[1].Id, "newest first");
        var since = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"));
        Assert.Empty((await fixture.Client.GetFromJsonAsync<List<CourseAccess>>($"/api/v1/audit?clinicId={clinic}&since={since}", IngestionFixture.ApiJson))!);
        Assert.Single((await fixture.Client.GetFromJsonAsync<List<CourseAccess>>($"/api/v1/audit?subject={subject}&limit=1", IngestionFixture.ApiJson))!);

        // Scoped administrators see their clinics' records only; other roles see none at all.
        var (ownAdmin, _) = Caller(Roles.Admin, clinic);
        var (otherAdmin, _) = Caller(Roles.Admin, NewClinic());
        Assert.Equal(2, (await ownAdmin.GetFromJsonAsync<List<CourseAccess>>($"/api/v1/audit?subject={subject}", IngestionFixture.ApiJson))!.Count);
        Assert.Empty((await otherAdmin.GetFromJsonAsync<List<CourseAccess>>($"/api/v1/audit?subject={subject}", IngestionFixture.ApiJson))!);
        Assert.Equal(HttpStatusCode.Forbidden, (await otherAdmin.GetAsync($"/api/v1/audit?clinicId={clinic}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await quality.GetAsync($"/api/v1/audit?clinicId={clinic}")).StatusCode);
        var bad = await fixture.Client.GetAsync("/api/v1/audit?limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("limit", await bad.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task FhirExport_OneAuditEventPerLine_NeverAPhq9Value()
    {
        var clinic = NewClinic();
        var feed = await StoredCourse(clinic);
        var (quality, subject) = Caller(Roles.Quality, clinic);
        var course = await (await quality.GetAsync($"/api/v1/patients/{clinic}/{feed.PatientKey}")).Content.ReadAsStringAsync();
        Assert.Contains("phq9Scores", course);

        var response = await fixture.Client.GetAsync($"/api/v1/audit/fhir?subject={subject}");

        Assert.Equal(FhirAuditEvent.MediaType, response.Content.Headers.ContentType!.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var resource = JsonNode.Parse(Assert.Single(lines))!;
        Assert.Equal("AuditEvent", (string)resource["resourceType"]!);
        Assert.Equal("R", (string)resource["action"]!);
        Assert.Equal(subject, (string)resource["agent"]![0]!["who"]!["identifier"]!["value"]!);
        Assert.Equal($"{clinic}/{feed.PatientKey}/1", (string)resource["entity"]![0]!["what"]!["identifier"]!["value"]!);
        foreach (var text in new[] { lines[0], await fixture.Client.GetStringAsync($"/api/v1/audit?subject={subject}") })
        {
            Assert.DoesNotContain("phq", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("items", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("total", text, StringComparison.OrdinalIgnoreCase);
        }
        // What a record can hold at all: names, keys and times, no field for a score.
        Assert.Equal(["Id", "At", "Subject", "Client", "Roles", "Clinics", "CourseKey", "What", "RemoteAddress"],
            typeof(CourseAccess).GetProperties().Select(p => p.Name));
    }

    [Fact]
    public async Task Records_CannotBeChangedOrDeleted_ExceptByRetention()
    {
        var clinic = NewClinic();
        var feed = await StoredCourse(clinic);
        var (quality, subject) = Caller(Roles.Quality, clinic);
        await quality.GetAsync($"/api/v1/patients/{clinic}/{feed.PatientKey}");
        var log = fixture.Host.Services.GetRequiredService<AccessAuditLog>();
        var old = new CourseAccess(0, DateTimeOffset.UtcNow.AddDays(-3000), subject, null, [Roles.Quality], [clinic], $"{clinic}/old/1",
            CourseAccessKinds.PatientCourse, null);
        await log.AppendAsync([old], CancellationToken.None);
        Assert.Equal(2, (await RecordsOf(subject)).Count);

        var database = fixture.Host.Services.GetRequiredService<NpgsqlDataSource>();
        var table = $"{fixture.Names.Schema}.{AccessAuditLog.Table}";
        foreach (var statement in new[] { $"update {table} set subject = 'someone-else' where subject = '{subject}'",
                     $"delete from {table} where subject = '{subject}'", $"truncate {table}" })
        {
            await using var command = database.CreateCommand(statement);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.Contains("append-only", refused.MessageText);
        }
        Assert.Equal(2, (await RecordsOf(subject)).Count);

        // The retention job (Audit:RetainDays, 6 years by default) removes only what is older than the period.
        var retention = fixture.Host.Services.GetServices<IHostedService>().OfType<AuditRetention>().Single();
        Assert.True(await retention.SweepAsync(CancellationToken.None) >= 1);
        var kept = Assert.Single(await RecordsOf(subject));
        Assert.Equal($"{clinic}/{feed.PatientKey}/1", kept.CourseKey);
    }

    private static IEnumerable<(string Name, bool Audited)> Operations(JsonObject document) =>
        document["paths"]!.AsObject().Where(p => p.Key.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(p => p.Value!.AsObject().Select(o => (
                $"{o.Key.ToUpperInvariant()} {p.Key.TrimEnd('/')}",
                o.Value!.AsObject().ContainsKey(AuditConventions.OpenApiExtension))));
}
