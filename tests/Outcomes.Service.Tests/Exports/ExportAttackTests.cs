using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Outcomes.Contracts;
using Outcomes.Domain.Exports;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.Exports;

/// The export attacks of issue 11 over the real service, PostgreSQL and RabbitMQ. Each shows first that the attack
/// works on the unprotected data (the own-clinics tier's exact report, or the facts the test sent), then that it fails
/// on what the export publishes.
[Collection(IngestionCollection.Name)]
public sealed class ExportAttackTests(IngestionFixture fixture)
{
    private static string NewClinic() => "clinic-e" + Guid.NewGuid().ToString("N")[..8];

    private sealed record Patient(CourseFeed Feed, List<WireMessage> Messages, (int Day, int Total)[] Series);

    /// A course with the given enrolment attributes and PHQ-9 totals at days 3, 7, 10, 14 and 17 (after a baseline of 24).
    private static Patient Course(string clinic, string ageBand = "35-44", string diagnosis = "treatment-resistant-depression", int[]? totals = null)
    {
        var feed = CourseFeed.ForNewPatient(clinic);
        var enrolment = feed.Enrolment(CourseFeed.Start.AddDays(-3));
        enrolment["ageBand"] = ageBand;
        enrolment["diagnosisGroup"] = diagnosis;
        var messages = new List<WireMessage>
        {
            CourseFeed.Message("patient-enrolled", enrolment),
            CourseFeed.Message("phq9-completed", feed.Phq9Total(CourseFeed.Start.AddDays(-1), 24)),
        };
        foreach (var day in new[] { 0, 3, 7, 10, 14, 17 })
            messages.Add(CourseFeed.Message("treatment-session-given", feed.Session(CourseFeed.Start.AddDays(day))));
        totals ??= [20, 16, 12, 10, 8];
        int[] days = [3, 7, 10, 14, 17];
        for (var i = 0; i < days.Length; i++)
            messages.Add(CourseFeed.Message("phq9-completed", feed.Phq9Total(CourseFeed.Start.AddDays(days[i]).AddHours(2), totals[i])));
        return new Patient(feed, messages, [(-1, 24), .. days.Zip(totals)]);
    }

    private async Task Send(IReadOnlyList<Patient> patients)
    {
        await fixture.Publisher.PublishAll(patients.SelectMany(p => p.Messages));
        foreach (var p in patients) await fixture.CourseWith(p.Feed, p.Messages.Count);
    }

    private async Task<int> CutRelease()
    {
        var response = await fixture.Client.PostAsync("/api/v1/releases", null);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return (int)JsonNode.Parse(text)!["id"]!;
    }

    private sealed record Export(ExportManifest Manifest, string[] Header, List<string[]> Subjects, List<string[]> Assessments, List<string> SubjectLines);

    private static async Task<Export> ExportOf(HttpClient client, object body)
    {
        var response = await client.PostAsJsonAsync("/api/v1/exports", body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync()));
        string Text(string name)
        {
            using var reader = new StreamReader(zip.GetEntry(name)!.Open(), Encoding.UTF8);
            return reader.ReadToEnd();
        }
        var subjectLines = Text("subjects.csv").Split("\r\n", StringSplitOptions.RemoveEmptyEntries).ToList();
        var assessments = Text("assessments.csv").Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')).ToList();
        return new Export(ExportManifest.FromJson(Text("manifest.json")), subjectLines[0].Split(','),
            subjectLines.Skip(1).Select(l => l.Split(',')).ToList(), assessments, subjectLines.Skip(1).ToList());
    }

    /// The own-clinics tier's exact count of the clinic's courses in the given age bands: the unprotected computation.
    private async Task<int> ExactCount(string clinic, params string[] bands)
    {
        var definition = new JsonObject
        {
            ["name"] = "attack", ["version"] = "1", ["title"] = "attack",
            ["filter"] = new JsonObject { ["clinic"] = new JsonArray(clinic), ["ageBand"] = new JsonArray(bands.Select(b => (JsonNode)b).ToArray()) },
            ["options"] = new JsonObject { ["sections"] = new JsonArray("counts") },
        };
        var response = await fixture.Client.PostAsJsonAsync("/api/v1/reports/cohort", definition);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return (int)JsonNode.Parse(text)!["overall"]!["counts"]!["enrolled"]!["value"]!;
    }

    [Fact]
    public async Task FilteredExport_IsASubsetOfTheRelease_NeitherFinerNorReleasingRemovedSubjects()
    {
        var clinic = NewClinic();
        var patients = Enumerable.Range(0, 12).Select(_ => Course(clinic, "35-44"))
            .Concat(Enumerable.Range(0, 12).Select(_ => Course(clinic, "45-54")))
            .Concat(Enumerable.Range(0, 6).Select(_ => Course(clinic, "18-24")))
            .Concat(Enumerable.Range(0, 6).Select(_ => Course(clinic, "25-34"))).ToList();
        await Send(patients);
        var release = await CutRelease();
        var researcher = fixture.ClientFor(AccessToken.Roles.Researcher, clinic);

        // Unprotected: six courses are 18-24; a filter on stored values would export them, each pinned to 18-24.
        Assert.Equal(6, await ExactCount(clinic, "18-24"));
        var all = await ExportOf(researcher, new { report = "overview", format = "csv", release });
        var young = await ExportOf(researcher, new { filter = new { ageBand = new[] { "18-24" } }, format = "csv", release });
        var middle = await ExportOf(researcher, new { filter = new { ageBand = new[] { "35-44" } }, format = "csv", release });

        var age = Array.IndexOf(all.Header, "age_band");
        // The release shows the twelve youngest as 18-34 (each band alone is below k): the filter cannot pin them to 18-24.
        Assert.Equal(12, all.Subjects.Count(r => r[age] == "18-34"));
        Assert.Empty(young.Subjects);
        // A filter on a value the release kept selects whole rows of the release's table, byte for byte.
        Assert.Equal(12, middle.Subjects.Count);
        Assert.All(middle.SubjectLines, line => Assert.Contains(line, all.SubjectLines));
        Assert.Equal(all.Manifest.Seed, middle.Manifest.Seed);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(all.Manifest.Deidentification.Release),
            System.Text.Json.JsonSerializer.Serialize(middle.Manifest.Deidentification.Release));
    }

    [Theory]
    [InlineData("2026-Q1", "2026-Q1", "filter.firstSessionTo")]
    [InlineData("2026-Q2", "2026-Q4", "filter.firstSessionFrom")]
    public async Task QuarterFilter_FinerThanTheRelease_400NamingTheField(string from, string to, string field)
    {
        var clinic = NewClinic();
        await Send([Course(clinic)]);
        var release = await CutRelease();

        var response = await fixture.ClientFor(AccessToken.Roles.Researcher, clinic)
            .PostAsJsonAsync("/api/v1/exports", new { filter = new { firstSessionFrom = from, firstSessionTo = to }, format = "csv", release });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"{field}: an export releases first-session years, not quarters", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task KAnonymity_HoldsOnEveryExportedQuasiIdentifier_IncludingDiagnosisGroup()
    {
        var clinic = NewClinic();
        var patients = Enumerable.Range(0, 10).Select(_ => Course(clinic))
            .Concat(Enumerable.Range(0, 2).Select(_ => Course(clinic, diagnosis: "major-depressive-disorder"))).ToList();
        await Send(patients);
        var release = await CutRelease();

        var export = await ExportOf(fixture.ClientFor(AccessToken.Roles.Researcher, clinic), new { report = "overview", format = "csv", release });

        // Unprotected: over the stored values the two MDD courses form a class of 2 (the old release ignored diagnosis).
        Assert.Equal(2, patients.Count(p => p.Messages[0].Json.Contains("major-depressive-disorder", StringComparison.Ordinal)));
        var columns = ExportDatasets.Attributes.Select(c => Array.IndexOf(export.Header, c.Name)).ToArray();
        var classes = export.Subjects.GroupBy(r => string.Join('|', columns.Select(c => r[c]))).ToList();
        Assert.Equal(12, export.Subjects.Count);
        Assert.All(classes, c => Assert.True(c.Count() >= 11, $"class {c.Key} of {c.Count()}"));
        Assert.All(export.Subjects, r => Assert.Equal(Release.Withheld, r[Array.IndexOf(export.Header, "diagnosis_group")]));
        Assert.All(export.Subjects, r => Assert.Equal("iv-ketamine", r[Array.IndexOf(export.Header, "modality")]));
        Assert.True(export.Manifest.Deidentification.Release.Risk.HighestRisk <= 1.0 / 11);
        Assert.Contains(export.Manifest.Deidentification.Export.GeneralisedColumns, c => c is { Column: "diagnosis_group", Subjects: 12 });
    }

    [Fact]
    public async Task ExportsOfTwoReleases_DoNotLinkByDayAndTotalSequences()
    {
        var clinic = NewClinic();
        var random = new Random(17);
        var patients = Enumerable.Range(0, 15).Select(_ => Course(clinic, totals: Enumerable.Range(0, 5).Select(_ => random.Next(0, 28)).ToArray())).ToList();
        await Send(patients);
        var researcher = fixture.ClientFor(AccessToken.Roles.Researcher, clinic);
        var first = await ExportOf(researcher, new { report = "overview", format = "csv", release = await CutRelease() });
        var second = await ExportOf(researcher, new { report = "overview", format = "csv", release = await CutRelease() });

        // Unprotected: exports that carried each stored course's true (day since the first session, total) sequence
        // would carry the same sequences in every release; read from the stored facts, they link every course.
        var stored = new List<string>();
        foreach (var p in patients)
        {
            var course = (await fixture.Course(p.Feed))!;
            var start = course.Sessions.Min(session => session.GivenAt);
            stored.Add(string.Join(';', course.Phq9Scores.OrderBy(score => score.CompletedAt)
                .Select(score => $"({(int)Math.Floor((score.CompletedAt - start).TotalDays)}, {score.Total})")));
        }
        Assert.Equal(15, Linked(stored, stored));

        // Protected: new subject ids, and sequences that match exactly for at most the stated residual (1 of 15, under
        // 10 %: analytics/methods/exports.md).
        var day = Array.IndexOf(ExportDatasets.Assessments.Columns.Select(c => c.Name).ToArray(), "day");
        var total = Array.IndexOf(ExportDatasets.Assessments.Columns.Select(c => c.Name).ToArray(), "total");
        Dictionary<string, string> Sequences(Export e) => e.Assessments.GroupBy(r => r[0])
            .ToDictionary(g => g.Key, g => string.Join(';', g.Select(r => $"({r[day]}, {r[total]})")));
        var a = Sequences(first);
        var b = Sequences(second);
        Assert.Equal(15, a.Count);
        Assert.Empty(a.Keys.Intersect(b.Keys));
        // The exports hold the same assessments (totals are kept; only days move, by at most one).
        Assert.Equal(first.Assessments.Select(r => r[total]).Order(), second.Assessments.Select(r => r[total]).Order());
        var linked = Linked(a.Values.ToList(), b.Values.ToList());
        Assert.True(linked <= 1, $"{linked} of 15 subjects linked by their exact (day, total) sequences");
    }

    /// How many sequences of one export match exactly one sequence of the other: subjects an attacker links for sure.
    private static int Linked(IReadOnlyList<string> first, IReadOnlyList<string> second) =>
        first.Count(sequence => second.Count(other => other == sequence) == 1);
}
