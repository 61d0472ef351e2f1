using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Outcomes.Cli.Exports;
using Outcomes.Contracts;
using Outcomes.Domain.Exports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Outcomes;
using Npgsql;
using Outcomes.Service.CourseOutcomes;
using Outcomes.Service.EventStore;
using Outcomes.Service.Exports;
using Outcomes.Service.Tests.Fixtures;
using Parquet;

namespace Outcomes.Service.Tests.Exports;

[Collection(IngestionCollection.Name)]
public sealed class ExportsTests(IngestionFixture fixture)
{
    private static string NewClinic() => "clinic-x" + Guid.NewGuid().ToString("N")[..8];

    private async Task Feed(string clinic, int patients)
    {
        var feeds = Enumerable.Range(0, patients).Select(_ => CourseFeed.ForNewPatient(clinic)).ToList();
        await fixture.Publisher.PublishAll(feeds.SelectMany(f => f.Induction()));
        foreach (var feed in feeds) await fixture.CourseWith(feed, feed.Induction().Count);
    }

    /// Cuts a release point now (as an administrator) and returns its id: every export is a subset of a release.
    private async Task<int> CutRelease()
    {
        var response = await fixture.Client.PostAsync("/api/v1/releases", null);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return (int)JsonNode.Parse(text)!["id"]!;
    }

    private static ExportManifest ManifestOf(Dictionary<string, byte[]> entries) =>
        ExportManifest.FromJson(System.Text.Encoding.UTF8.GetString(entries["manifest.json"]));

    private async Task<JsonNode> AuditOf(string archiveSha256) => (await Eventually.Until(async () =>
    {
        var list = await fixture.Client.GetFromJsonAsync<JsonArray>("/api/v1/exports");
        return list!.LastOrDefault(e => (string?)e!["archiveSha256"] == archiveSha256);
    }, found => found is not null, "the export in the audit list"))!;

    private static async Task<(byte[] Zip, Dictionary<string, byte[]> Entries)> Export(HttpClient client, object body)
    {
        var response = await client.PostAsJsonAsync("/api/v1/exports", body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var zip = await response.Content.ReadAsByteArrayAsync();
        using var archive = new ZipArchive(new MemoryStream(zip));
        var entries = archive.Entries.ToDictionary(e => e.FullName, e =>
        {
            using var s = e.Open();
            var m = new MemoryStream();
            s.CopyTo(m);
            return m.ToArray();
        });
        return (zip, entries);
    }

    [Fact]
    public async Task ResearcherCsvExport_IsDeidentifiedDocumentedAndAudited()
    {
        var clinic = NewClinic();
        await Feed(clinic, 12);
        var release = await CutRelease();

        var (_, entries) = await Export(fixture.ClientFor(AccessToken.Roles.Researcher, clinic), new { report = "overview", format = "csv", release });

        Assert.Equal(["subjects.csv", "assessments.csv", "sessions.csv", "data-dictionary.json", "data-dictionary.md", "manifest.json"], entries.Keys);
        var manifest = ManifestOf(entries);
        Assert.Equal(12, manifest.Files.Single(f => f.Name == "subjects.csv").Rows);
        Assert.Equal(ExportManifest.Codes, manifest.ClinicIdentifiers);
        Assert.Equal(release, manifest.Release!.Id);
        Assert.Equal(manifest.Release.EventStorePosition, manifest.EventStorePosition);
        Assert.Equal(0, manifest.Deidentification.Export.SuppressedInScope);
        Assert.Equal(ReleaseParameters.DefaultOrder, manifest.Deidentification.GeneralisationOrder);
        Assert.True(manifest.Deidentification.Release.Risk.HighestRisk <= 1.0 / 11);
        Assert.True(manifest.Deidentification.Release.Population >= 12);
        var everything = string.Concat(entries.Values.Select(System.Text.Encoding.UTF8.GetString));
        Assert.DoesNotContain(clinic, everything);
        Assert.DoesNotContain("2026-03", everything);
        var subjects = System.Text.Encoding.UTF8.GetString(entries["subjects.csv"]).Split("\r\n");
        Assert.StartsWith("subject_id,clinic,age_band,", subjects[0]);
        var codes = subjects.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')[1]).Distinct().ToList();
        Assert.Matches("^C[0-9]+$", Assert.Single(codes));

        var audit = await Eventually.Until(async () =>
        {
            var list = await fixture.Client.GetFromJsonAsync<JsonArray>("/api/v1/exports");
            return list!.FirstOrDefault(e => (string?)e!["seed"] == manifest.Seed && (int)e["releaseId"]! == release);
        }, found => found is not null, "the export in the audit list");
        Assert.True((bool)audit!["delivered"]!);
        Assert.Equal("test-researcher", (string)audit["subject"]!);
        foreach (var file in audit["files"]!.AsArray())
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(entries[(string)file!["name"]!])), (string)file["sha256"]!);
    }

    [Fact]
    public async Task ReexportWithManifest_IsByteIdentical_AfterMoreEvents_AndAuditedAsAReproduction()
    {
        var clinic = NewClinic();
        await Feed(clinic, 11);
        var release = await CutRelease();
        var researcher = fixture.ClientFor(AccessToken.Roles.Researcher, clinic);
        var (first, entries) = await Export(researcher, new { report = "overview", format = "parquet", release });

        await Feed(clinic, 2);
        var manifest = JsonNode.Parse(entries["manifest.json"]);
        var (again, _) = await Export(researcher, new { manifest });
        var next = await CutRelease();
        var (later, laterEntries) = await Export(researcher, new { report = "overview", format = "parquet", release = next });

        Assert.Equal(first, again);
        Assert.NotEqual(first, later);
        await using var parquet = await ParquetReader.CreateAsync(new MemoryStream(entries["subjects.parquet"]));
        Assert.Equal(11, parquet.RowGroups.Sum(g => g.RowCount));
        // The next release is another table: new subject ids and seed.
        Assert.NotEqual(ManifestOf(entries).Seed, ManifestOf(laterEntries).Seed);
        var firstSha = Convert.ToHexStringLower(SHA256.HashData(first));
        var reproduced = await Eventually.Until(async () =>
        {
            var list = await fixture.Client.GetFromJsonAsync<JsonArray>("/api/v1/exports");
            return list!.Where(e => (string?)e!["archiveSha256"] == firstSha).ToList();
        }, found => found.Count >= 2, "both exports in the audit list");
        Assert.False((bool)reproduced[0]!["reproduction"]!);
        Assert.True((bool)reproduced[1]!["reproduction"]!);
        Assert.Equal((string)reproduced[0]!["exportId"]!, (string)reproduced[1]!["reproduces"]!);
    }

    [Fact]
    public async Task ReexportWithAChangedFilter_IsANewAuditedExport_NeverAReproduction()
    {
        var clinic = NewClinic();
        await Feed(clinic, 12);
        var release = await CutRelease();
        var researcher = fixture.ClientFor(AccessToken.Roles.Researcher, clinic);
        var (first, entries) = await Export(researcher, new { report = "overview", format = "csv", release });

        // The attack rides on the reproduction path: a manifest sent back is audited as a reproduction when it gives the
        // audited archive again, as the unchanged one does here.
        var (again, _) = await Export(researcher, new { manifest = JsonNode.Parse(entries["manifest.json"]) });
        Assert.Equal(first, again);
        var sha = Convert.ToHexStringLower(SHA256.HashData(first));
        var audited = await Eventually.Until(async () =>
            (await fixture.Client.GetFromJsonAsync<JsonArray>("/api/v1/exports"))!.Where(e => (string?)e!["archiveSha256"] == sha).ToList(),
            found => found.Count >= 2, "the export and its reproduction in the audit list");
        Assert.True((bool)audited[1]!["reproduction"]!);
        // The same manifest with its filter changed selects other subjects: a different archive, so calling it a
        // reproduction would vouch for data the audited export never held.
        var manifest = JsonNode.Parse(entries["manifest.json"])!;
        manifest["filter"] = new JsonObject { ["sex"] = new JsonArray("male") };

        var (changed, changedEntries) = await Export(researcher, new { manifest });

        Assert.NotEqual(first, changed);
        Assert.Equal(12, ManifestOf(entries).Files.Single(f => f.Name == "subjects.csv").Rows);
        Assert.Equal(0, ManifestOf(changedEntries).Files.Single(f => f.Name == "subjects.csv").Rows);
        var audit = await AuditOf(Convert.ToHexStringLower(SHA256.HashData(changed)));
        Assert.False((bool)audit["reproduction"]!);
        Assert.Null(audit["reproduces"]);
        Assert.Equal("male", (string)audit["filter"]!["sex"]![0]!);
    }

    [Fact]
    public async Task ManifestNamingAClinicOutsideTheCallersScope_Forbidden()
    {
        var own = NewClinic();
        var other = NewClinic();
        await Feed(own, 1);
        await Feed(other, 11);
        var release = await CutRelease();
        // The clinic the manifest will name holds courses (11: a class of k, released whole): a caller whose scope
        // includes it gets its rows.
        var both = fixture.ClientFor(AccessToken.Roles.Researcher, own, other);
        var (_, inScope) = await Export(both, new { filter = new { clinic = new[] { other } }, format = "csv", release });
        Assert.Equal(11, ManifestOf(inScope).Files.Single(f => f.Name == "subjects.csv").Rows);
        var researcher = fixture.ClientFor(AccessToken.Roles.Researcher, own);
        var (_, entries) = await Export(researcher, new { report = "overview", format = "csv", release });
        var manifest = JsonNode.Parse(entries["manifest.json"])!;
        manifest["filter"] = new JsonObject { ["clinic"] = new JsonArray(other) };

        var response = await researcher.PostAsJsonAsync("/api/v1/exports", new { manifest });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains(other, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("csv")]
    [InlineData("parquet")]
    public async Task ExportFromReport_EqualsTheServiceReportAtItsPosition(string format)
    {
        // Every test course shares its attributes, so each clinic's class is at least k: nothing is generalised
        // or suppressed, the one case where equality can hold.
        var clinic = NewClinic();
        await Feed(clinic, 14);
        var release = await CutRelease();
        var (_, entries) = await Export(fixture.ClientFor(AccessToken.Roles.Researcher, clinic), new { report = "onset-by-modality", format, release });
        var folder = Directory.CreateTempSubdirectory("outcomes-export-test").FullName;
        foreach (var (name, bytes) in entries) await File.WriteAllBytesAsync(Path.Combine(folder, name), bytes);
        var manifest = ExportManifest.FromJson(await File.ReadAllTextAsync(Path.Combine(folder, "manifest.json")));

        var offline = JsonSerializer.Serialize(OfflineReport.FromDirectory(folder, null, TextWriter.Null), OfflineReport.ApiJson);
        var service = await fixture.Client.GetStringAsync(
            $"/api/v1/reports/onset-by-modality?clinicId={clinic}&asOfPosition={manifest.EventStorePosition}");

        Assert.Equal(format, manifest.Format);
        Assert.True(File.Exists(Path.Combine(folder, $"assessments.{format}")));
        Assert.Equal(0, manifest.Deidentification.Export.SuppressedInScope);
        Assert.Equal(0, manifest.Deidentification.Export.GeneralisedSubjects);
        // Same figures; each states its own disclosure (the service's own-clinics tier, the export's released microdata).
        Assert.Contains("released-microdata", offline);
        Outcomes.Domain.Tests.Exports.ReportJson.AssertEquivalent(WithoutDisclosure(service), WithoutDisclosure(offline));
        Directory.Delete(folder, true);
    }

    private static string WithoutDisclosure(string report)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(report)!.AsObject();
        node.Remove("disclosure");
        return node.ToJsonString();
    }

    [Theory]
    [InlineData(AccessToken.Roles.Quality, HttpStatusCode.Forbidden)]
    [InlineData(AccessToken.Roles.Integration, HttpStatusCode.Forbidden)]
    [InlineData(AccessToken.Roles.Admin, HttpStatusCode.Forbidden)]
    public async Task OnlyResearchers_MayExport(string role, HttpStatusCode expected)
    {
        var response = await fixture.ClientFor(role, "clinic-a").PostAsJsonAsync("/api/v1/exports", new { report = "overview", format = "csv" });

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task WithoutToken_Unauthorized()
    {
        var response = await fixture.Host.CreateClient().PostAsJsonAsync("/api/v1/exports", new { report = "overview", format = "csv" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task AuditList_IsForAdminsOnly()
    {
        var response = await fixture.ClientFor(AccessToken.Roles.Researcher, "clinic-a").GetAsync("/api/v1/exports");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task FilterOnAnotherClinic_Forbidden()
    {
        var response = await fixture.ClientFor(AccessToken.Roles.Researcher, "clinic-a")
            .PostAsJsonAsync("/api/v1/exports", new { filter = new { clinic = new[] { "clinic-b" } }, format = "csv" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Theory]
    [InlineData(-1L, "manifest.eventStorePosition: must be release")]
    [InlineData(long.MaxValue, "manifest.eventStorePosition: must be release")]
    public async Task ManifestPositionOtherThanItsRelease_400NamingTheField(long position, string rule)
    {
        var clinic = NewClinic();
        await Feed(clinic, 1);
        var release = await CutRelease();
        var researcher = fixture.ClientFor(AccessToken.Roles.Researcher, clinic);
        var (_, entries) = await Export(researcher, new { report = "overview", format = "csv", release });
        var manifest = JsonNode.Parse(entries["manifest.json"])!;
        manifest["eventStorePosition"] = position;

        var response = await researcher.PostAsJsonAsync("/api/v1/exports", new { manifest });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(rule, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("k", "manifest.deidentification.k: must be release")]
    [InlineData("generalisationOrder", "manifest.deidentification.generalisationOrder: must be release")]
    [InlineData("seed", "manifest.seed: must be release")]
    [InlineData("release", "manifest.release: must be release")]
    public async Task ManifestAskingForAnotherAnonymisationOfItsRelease_400NamingTheField(string field, string rule)
    {
        // A release is one table: a manifest cannot ask for it with another k, order or seed (a second table of the same
        // courses would be a second, differently generalised view of each subject).
        var clinic = NewClinic();
        await Feed(clinic, 1);
        var release = await CutRelease();
        var researcher = fixture.ClientFor(AccessToken.Roles.Researcher, clinic);
        var (_, entries) = await Export(researcher, new { report = "overview", format = "csv", release });
        var manifest = JsonNode.Parse(entries["manifest.json"])!;
        var deidentification = manifest["deidentification"]!;
        switch (field)
        {
            case "k": deidentification["k"] = 12; break;
            case "generalisationOrder":
                deidentification["generalisationOrder"] = new JsonArray(ReleaseParameters.DefaultOrder.Reverse().Select(s => (JsonNode)s).ToArray());
                break;
            case "seed": manifest["seed"] = new string('0', 32); break;
            default: manifest["release"]!["cutAt"] = "2000-01-01T00:00:00+00:00"; break;
        }

        var response = await researcher.PostAsJsonAsync("/api/v1/exports", new { manifest });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(rule, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryClinicCaller_ReexportsItsManifest_AfterANewClinicJoins()
    {
        // A researcher-administrator over every clinic ('*'): the manifest's scope is '*', not the clinics listed at the
        // time, so a clinic joining later does not make the manifest another scope's.
        var clinic = NewClinic();
        await Feed(clinic, 11);
        var release = await CutRelease();
        var everything = fixture.Host.ClientWith(fixture.Host.Token([AccessToken.Roles.Researcher, AccessToken.Roles.Admin], [AccessToken.AllClinics]));
        var (first, entries) = await Export(everything, new { filter = new { clinic = new[] { clinic } }, format = "csv", release });

        await Feed(NewClinic(), 1);
        var (again, _) = await Export(everything, new { manifest = JsonNode.Parse(entries["manifest.json"]) });

        Assert.Equal(ExportManifest.Ids, ManifestOf(entries).ClinicIdentifiers);
        Assert.Equal(first, again);
    }

    [Fact]
    public async Task ManifestOfTheFirstFormat_400NamingTheFormatVersion()
    {
        // An export anonymised on its own (the leaking path, format v1) cannot be reproduced: its manifest has no release.
        var clinic = NewClinic();
        await Feed(clinic, 1);
        var researcher = fixture.ClientFor(AccessToken.Roles.Researcher, clinic);
        var (_, entries) = await Export(researcher, new { report = "overview", format = "csv", release = await CutRelease() });
        var manifest = JsonNode.Parse(entries["manifest.json"])!.AsObject();
        manifest["formatVersion"] = "outcomes-export-v1";
        manifest.Remove("release");
        manifest["deidentification"] = JsonNode.Parse("""{"k": 11, "generalisations": [], "suppressedSubjects": 0, "releasedSubjects": 1}""");

        var response = await researcher.PostAsJsonAsync("/api/v1/exports", new { manifest });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("manifest.formatVersion: must be outcomes-export-v2, got 'outcomes-export-v1'", await response.Content.ReadAsStringAsync(),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManifestFromAnotherScope_Forbidden()
    {
        var clinic = NewClinic();
        await Feed(clinic, 1);
        var release = await CutRelease();
        var (_, entries) = await Export(fixture.ClientFor(AccessToken.Roles.Researcher, clinic), new { report = "overview", format = "csv", release });

        var response = await fixture.ClientFor(AccessToken.Roles.Researcher, clinic, "clinic-other")
            .PostAsJsonAsync("/api/v1/exports", new { manifest = JsonNode.Parse(entries["manifest.json"]) });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task ReleaseSnapshotAndEventReplay_GiveTheSameArchive_AfterLaterFacts()
    {
        // An export of a release reads the facts its snapshot copied, however many events came after; replaying the
        // store at the release's position must give the same bytes.
        var clinic = NewClinic();
        var feeds = Enumerable.Range(0, 12).Select(_ => CourseFeed.ForNewPatient(clinic)).ToList();
        await fixture.Publisher.PublishAll(feeds.SelectMany(f => f.Induction()));
        foreach (var feed in feeds) await fixture.CourseWith(feed, feed.Induction().Count);
        var id = await CutRelease();
        var release = (await fixture.Client.GetFromJsonAsync<JsonArray>("/api/v1/releases"))!.Single(r => (int)r!["id"]! == id)!;
        await fixture.Publisher.PublishAll([CourseFeed.Message("phq9-completed", feeds[0].Phq9Total(CourseFeed.Start.AddDays(19), 2))]);
        await fixture.CourseWith(feeds[0], feeds[0].Induction().Count + 1);

        var services = fixture.Host.Services;
        var readModel = services.GetRequiredService<OutcomeReadModel>();
        var status = services.GetRequiredService<OutcomeReadModelStatus>();
        var options = services.GetRequiredService<IOptions<ExportsOptions>>().Value;
        var snapshot = new EventStoreCourses(services.GetRequiredService<NpgsqlDataSource>(), services.GetRequiredService<CourseStreamReader>(), readModel, status);
        var replayed = new EventStoreCourses(services.GetRequiredService<NpgsqlDataSource>(), services.GetRequiredService<CourseStreamReader>(), readModel, status) { PreferReadModel = false };
        var point = new ExportRelease(id, (long)release["eventStorePosition"]!, (DateTimeOffset)release["cutAt"]!);
        var plan = new ExportPlan(null, CohortFilter.All, OutcomeDefinitions.Default, OutcomeDefinitions.Default.InductionWindowDays,
            ExportFormats.Csv.Name, point, ExportKeys.ReleaseSeed(options.Key(), point.Id, point.EventStorePosition, point.CutAt),
            ReleaseParameters.Default, 0.05, false, [clinic], [clinic]);

        await using (var source = await snapshot.OpenReleaseAsync(id, [clinic], point.EventStorePosition, CancellationToken.None))
            Assert.Equal(CourseSource.ReleaseSnapshot, source.Source);
        await using (var source = await snapshot.OpenReleaseAsync(id, [clinic], point.EventStorePosition - 1, CancellationToken.None))
            Assert.NotEqual(CourseSource.ReleaseSnapshot, source.Source);
        var fromSnapshot = await new ExportArchive(snapshot, options).BuildAsync(plan, CancellationToken.None);
        var fromEvents = await new ExportArchive(replayed, options).BuildAsync(plan, CancellationToken.None);

        Assert.Equal(12, fromSnapshot.Manifest.Files.Single(f => f.Name == "subjects.csv").Rows);
        Assert.Equal(fromEvents.ArchiveSha256, fromSnapshot.ArchiveSha256);
        File.Delete(fromSnapshot.ArchivePath);
        File.Delete(fromEvents.ArchivePath);
    }

    [Fact]
    public async Task StoredFactsAndEventReplay_GiveTheSameArchive_AlsoAfterLateFacts()
    {
        // Courses of every shape the stored facts must carry exactly: times with offsets, doses with trailing zeros,
        // total-only scores, a second enrolment, courses ended and not, facts arriving out of time order.
        var clinic = NewClinic();
        var feeds = Enumerable.Range(0, 13).Select(_ => CourseFeed.ForNewPatient(clinic)).ToList();
        var random = new Random(11);
        var messages = new List<(CourseFeed Feed, WireMessage Message)>();
        foreach (var (feed, i) in feeds.Select((f, i) => (f, i)))
        {
            var start = CourseFeed.Start.ToOffset(TimeSpan.FromMinutes(i % 3 == 0 ? 330 : -300 * (i % 2)));
            messages.Add((feed, CourseFeed.Message("patient-enrolled", feed.Enrolment(start.AddDays(-3)))));
            if (i % 4 == 1) messages.Add((feed, CourseFeed.Message("patient-enrolled", feed.Enrolment(start.AddDays(-1)))));
            messages.Add((feed, CourseFeed.Message("phq9-completed", feed.Phq9Total(start.AddDays(-1), 18 + i % 8))));
            foreach (var day in new[] { 0, 3, 7, 10 })
            {
                var session = feed.Session(start.AddDays(day).AddMinutes(i));
                session["dose"] = JsonNode.Parse(i % 2 == 0 ? "0.50" : "0.7500");
                messages.Add((feed, CourseFeed.Message("treatment-session-given", session)));
                var items = Enumerable.Range(0, 9).Select(_ => random.Next(0, 3)).ToArray();
                messages.Add((feed, i % 5 == 2 && day == 3
                    ? CourseFeed.Message("phq9-completed", feed.Phq9Total(start.AddDays(day).AddHours(4), random.Next(0, 28)))
                    : CourseFeed.Message("phq9-completed", feed.Phq9(start.AddDays(day).AddHours(4), items))));
            }
            if (i % 3 != 2) messages.Add((feed, CourseFeed.Message("course-ended", feed.Ended(start.AddDays(12), i % 2 == 0 ? "completed" : "lost-to-follow-up"))));
        }
        await fixture.Publisher.PublishAll(messages.Select(m => m.Message).OrderBy(_ => random.Next()));
        foreach (var feed in feeds) await fixture.CourseWith(feed, messages.Count(m => m.Feed == feed));

        var services = fixture.Host.Services;
        var readModel = services.GetRequiredService<OutcomeReadModel>();
        var status = services.GetRequiredService<OutcomeReadModelStatus>();
        await Eventually.Until(() => Task.FromResult(status.IsCurrent), current => current, "the outcome read model checked at start-up");
        var options = services.GetRequiredService<IOptions<ExportsOptions>>().Value;
        var stored = new EventStoreCourses(services.GetRequiredService<NpgsqlDataSource>(), services.GetRequiredService<CourseStreamReader>(), readModel, status);
        var replayed = new EventStoreCourses(services.GetRequiredService<NpgsqlDataSource>(), services.GetRequiredService<CourseStreamReader>(), readModel, status) { PreferReadModel = false };
        var latestPosition = await stored.LatestPositionAsync(CancellationToken.None);
        ExportPlan At(long position) => new(null, CohortFilter.All, OutcomeDefinitions.Default, OutcomeDefinitions.Default.InductionWindowDays,
            ExportFormats.Csv.Name, new ExportRelease(1, position, CourseFeed.Start), Enumerable.Range(0, ExportKeys.SeedBytes).Select(b => (byte)b).ToArray(),
            ReleaseParameters.Default, 0.05, false, [clinic], [clinic]);
        var plan = At(latestPosition);

        await using (var source = await stored.OpenAsync([clinic], latestPosition, CancellationToken.None))
            Assert.NotEqual(CourseSource.Events, source.Source);
        var fromStored = await new ExportArchive(stored, options).BuildAsync(plan, CancellationToken.None);
        var fromEvents = await new ExportArchive(replayed, options).BuildAsync(plan, CancellationToken.None);

        Assert.Equal(13, fromStored.Manifest.Files.Single(f => f.Name == "subjects.csv").Rows);
        Assert.Equal(fromEvents.Manifest.ToJson(), fromStored.Manifest.ToJson());
        Assert.Equal(fromEvents.ArchiveSha256, fromStored.ArchiveSha256);

        // Later: a late PHQ-9 for one course, a session for another, a new course. A re-export at the first position
        // reads the unchanged courses' stored facts and replays the changed ones; it must equal the first export.
        var newcomer = CourseFeed.ForNewPatient(clinic);
        var late = new List<(CourseFeed Feed, WireMessage Message)>
        {
            (feeds[0], CourseFeed.Message("phq9-completed", feeds[0].Phq9Total(CourseFeed.Start.AddDays(5), 3))),
            (feeds[1], CourseFeed.Message("treatment-session-given", feeds[1].Session(CourseFeed.Start.AddDays(11)))),
        };
        late.AddRange(newcomer.Induction().Select(m => (newcomer, m)));
        await fixture.Publisher.PublishAll(late.Select(m => m.Message));
        await fixture.CourseWith(feeds[0], messages.Count(m => m.Feed == feeds[0]) + 1);
        await fixture.CourseWith(feeds[1], messages.Count(m => m.Feed == feeds[1]) + 1);
        await fixture.CourseWith(newcomer, newcomer.Induction().Count);
        await using (var source = await stored.OpenAsync([clinic], plan.Release.EventStorePosition, CancellationToken.None))
            Assert.Equal(CourseSource.StoredFactsAndEvents, source.Source);
        var mixed = await new ExportArchive(stored, options).BuildAsync(plan, CancellationToken.None);
        var latest = await new ExportArchive(stored, options).BuildAsync(At(await stored.LatestPositionAsync(CancellationToken.None)), CancellationToken.None);

        Assert.Equal(fromStored.ArchiveSha256, mixed.ArchiveSha256);
        Assert.NotEqual(fromStored.ArchiveSha256, latest.ArchiveSha256);
        Assert.Equal(14, latest.Manifest.Files.Single(f => f.Name == "subjects.csv").Rows);
        foreach (var archive in new[] { fromStored, fromEvents, mixed, latest }) File.Delete(archive.ArchivePath);
    }
}
