using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Outcomes.Contracts;
using Outcomes.Service.Ingestion;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.Ingestion;

[Collection(IngestionCollection.Name)]
public sealed class BulkUploadTests(IngestionFixture fixture)
{
    public static string Line(WireMessage message) =>
        new JsonObject { ["routingKey"] = message.RoutingKey, ["body"] = JsonNode.Parse(message.Json) }.ToJsonString();

    public static HttpContent Ndjson(IEnumerable<string> lines) =>
        new StringContent(string.Join('\n', lines) + "\n", Encoding.UTF8, IngestionApi.BulkNdjson);

    public static async Task<BulkUploadSummary> Upload(HttpClient client, IEnumerable<string> lines)
    {
        var response = await client.PostAsync("/api/v1/ingestion/batches", Ndjson(lines));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<BulkUploadSummary>(IngestionFixture.ApiJson))!;
    }

    [Fact]
    public async Task ValidAndInvalidLines_ValidStoredAndProjected_InvalidRejectedWithLineFieldAndRule()
    {
        var feed = CourseFeed.ForNewPatient();
        var messages = feed.Induction();
        var badItem = CourseFeed.Message("phq9-completed", feed.Phq9(CourseFeed.Start.AddDays(1), 4, 0, 0, 0, 0, 0, 0, 0, 0));
        var lines = messages.Select(Line).ToList();
        lines.Insert(2, Line(badItem));
        lines.Insert(4, "not json at all");
        lines.Insert(5, """{"body":{}}""");
        lines.Insert(6, "");
        lines.Insert(7, new JsonObject { ["routingKey"] = "v1.phq9-completed", ["body"] = JsonNode.Parse(messages[1].Json), ["note"] = "x" }.ToJsonString());

        var summary = await Upload(fixture.Client, lines);

        Assert.Equal(messages.Count, summary.Stored);
        Assert.Equal(0, summary.Duplicates);
        Assert.Equal(4, summary.Rejected);
        Assert.Equal(lines.Count - 1, summary.Lines);
        Assert.Equal([(3L, "items[0]"), (5L, "line"), (6L, "routingKey"), (8L, "note")], summary.Rejections.Select(r => (r.Line, r.Field)));
        var course = await fixture.Course(feed);
        Assert.Equal(messages.Count, course!.FactCount);
        Assert.Equal([18, 13, 7, 4], course.Phq9Scores.Select(s => s.Total));
        Assert.Equal(6, course.Sessions.Count);
        Assert.Equal(messages.Count, await IngestionFixture.StoredEventCount(fixture.Host, feed));

        var logged = (await fixture.Rejections(feed.ClinicId)).Where(r => r.UploadId == summary.UploadId).ToList();
        var itemRejection = Assert.Single(logged);
        Assert.Equal(("bulk", 3L, "items[0]"), (itemRejection.ReceivedVia, itemRejection.Line, itemRejection.Field));
    }

    [Fact]
    public async Task InvalidUtf8Line_ThatLineRejected_NotTheWholeUpload()
    {
        // Issue 12 point 4: one such line failed the whole upload with 503 "send the file again", for ever.
        var feed = CourseFeed.ForNewPatient();
        var lines = feed.Induction().Select(Line).ToList();
        var broken = Encoding.UTF8.GetBytes(Line(CourseFeed.Message("phq9-completed", feed.Phq9Total(CourseFeed.Start.AddDays(30), 11))).Replace(feed.PatientKey, "pkQQ" + feed.PatientKey[4..]));
        broken[Encoding.UTF8.GetString(broken).IndexOf("QQ", StringComparison.Ordinal)] = 0xC3;
        var body = new List<byte>();
        for (var i = 0; i < lines.Count; i++)
        {
            if (i == 2) body.AddRange([.. broken, (byte)'\n']);
            body.AddRange(Encoding.UTF8.GetBytes(lines[i] + "\n"));
        }
        var content = new ByteArrayContent(body.ToArray());
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(IngestionApi.BulkNdjson);

        var response = await fixture.Client.PostAsync("/api/v1/ingestion/batches", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var summary = (await response.Content.ReadFromJsonAsync<BulkUploadSummary>(IngestionFixture.ApiJson))!;
        Assert.Equal(lines.Count, summary.Stored);
        var rejection = Assert.Single(summary.Rejections);
        Assert.Equal((3L, "line"), (rejection.Line, rejection.Field));
        Assert.Contains("UTF-8", rejection.Rule);
    }

    [Fact]
    public async Task EventIdReusedForOtherContent_RejectedWithItsOwnRule_SameContentIsADuplicate()
    {
        // Issue 12 point 7: a reused id was acknowledged and silently dropped.
        var feed = CourseFeed.ForNewPatient();
        var original = feed.Phq9Total(CourseFeed.Start, 20);
        var sameAgain = original.DeepClone().AsObject();
        var reused = original.DeepClone().AsObject();
        reused["total"] = 3;

        var first = await Upload(fixture.Client, [Line(CourseFeed.Message("phq9-completed", original))]);
        var second = await Upload(fixture.Client, [Line(CourseFeed.Message("phq9-completed", sameAgain)), Line(CourseFeed.Message("phq9-completed", reused))]);

        Assert.Equal(1, first.Stored);
        Assert.Equal((0L, 1L, 1L), (second.Stored, second.Duplicates, second.Rejected));
        var rejection = Assert.Single(second.Rejections);
        Assert.Equal((2L, "eventId"), (rejection.Line, rejection.Field));
        Assert.Contains("different fact", rejection.Rule);
        Assert.Equal([20], (await fixture.Course(feed))!.Phq9Scores.Select(s => s.Total));
    }

    [Fact]
    public async Task CorrelationIdNotUuid_Refused()
    {
        var feed = CourseFeed.ForNewPatient();
        var line = new JsonObject
        {
            ["routingKey"] = "v1.phq9-completed", ["body"] = feed.Phq9Total(CourseFeed.Start, 9), ["correlationId"] = "Jane Doe 1980-01-01",
        }.ToJsonString();

        var summary = await Upload(fixture.Client, [line]);

        Assert.Equal(("correlationId", 0L), (Assert.Single(summary.Rejections).Field, summary.Stored));
    }

    [Fact]
    public async Task SameFileTwiceWithRepeatsInside_EveryFactStoredOnce()
    {
        var feed = CourseFeed.ForNewPatient();
        var lines = feed.Induction().Select(Line).ToList();
        var withRepeats = lines.Concat(lines.Take(3)).ToList();

        var first = await Upload(fixture.Client, withRepeats);
        var second = await Upload(fixture.Client, withRepeats);

        Assert.Equal((lines.Count, 3L), (first.Stored, first.Duplicates));
        Assert.Equal((0L, withRepeats.Count), (second.Stored, second.Duplicates));
        Assert.Equal(lines.Count, await IngestionFixture.StoredEventCount(fixture.Host, feed));
        Assert.Equal(lines.Count, (await fixture.Course(feed))!.FactCount);
    }

    [Fact]
    public async Task LineForClinicOutsideToken_RejectedOthersStored()
    {
        var own = CourseFeed.ForNewPatient("clinic-own");
        var other = CourseFeed.ForNewPatient("clinic-other");
        var foreign = CourseFeed.Message("phq9-completed", other.Phq9Total(CourseFeed.Start, 12));
        var lines = own.Induction().Select(Line).Prepend(Line(foreign)).ToList();
        var integration = fixture.ClientFor(AccessToken.Roles.Integration, "clinic-own");

        var summary = await Upload(integration, lines);

        Assert.Equal(lines.Count - 1, summary.Stored);
        var rejection = Assert.Single(summary.Rejections);
        Assert.Equal((1L, "clinicId"), (rejection.Line, rejection.Field));
        Assert.Null(await fixture.Course(other));
        Assert.Equal(lines.Count - 1, (await fixture.Course(own))!.FactCount);
        // The refusal is the uploader's to read, not the named clinic's.
        var otherClinic = fixture.ClientFor(AccessToken.Roles.Integration, "clinic-other");
        var seenByOther = await otherClinic.GetStringAsync("/api/v1/ingestion/rejections?limit=1000");
        Assert.DoesNotContain(rejection.EventId?.ToString() ?? "-", seenByOther, StringComparison.Ordinal);
        Assert.Contains((await fixture.Rejections("clinic-own")), r => r.Field == "clinicId" && r.Line == 1);
    }

    [Fact]
    public async Task FileSentInParts_RejectionsNameTheFilesLinesUnderOneUpload()
    {
        var feed = CourseFeed.ForNewPatient();
        var messages = feed.Induction();
        var lines = messages.Select(Line).ToList();
        lines.Insert(1, "not json at all");
        lines.Insert(7, """{"body":{}}""");
        var uploadId = Guid.NewGuid();
        var started = DateTimeOffset.UtcNow.AddMinutes(-1);

        // Lines 1-5 of the file, then lines 6 to the end, as `outcomes load` sends a large file.
        var parts = new List<BulkUploadSummary>();
        foreach (var (from, count) in new[] { (1, 5), (6, lines.Count - 5) })
        {
            var response = await fixture.Client.PostAsync($"/api/v1/ingestion/batches?uploadId={uploadId}&firstLine={from}",
                Ndjson(lines.Skip(from - 1).Take(count)));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            parts.Add((await response.Content.ReadFromJsonAsync<BulkUploadSummary>(IngestionFixture.ApiJson))!);
        }

        Assert.All(parts, p => Assert.Equal(uploadId, p.UploadId));
        Assert.Equal([(2L, "line"), (8L, "routingKey")], parts.SelectMany(p => p.Rejections).Select(r => (r.Line, r.Field)));
        Assert.Equal(messages.Count, parts.Sum(p => p.Stored));
        Assert.Equal(messages.Count, (await fixture.CourseWith(feed, messages.Count)).FactCount);
        var since = Uri.EscapeDataString(started.ToString("O"));
        var recent = await fixture.Client.GetFromJsonAsync<List<IngestionRejection>>($"/api/v1/ingestion/rejections?limit=1000&since={since}",
            IngestionFixture.ApiJson);
        var logged = recent!.Where(r => r.UploadId == uploadId).Select(r => r.Line).Order();
        Assert.Equal([2L, 8L], logged);
    }

    [Theory]
    [InlineData("firstLine=0", "firstLine: must be a whole number, 1 or more")]
    [InlineData("firstLine=two", "firstLine: must be a whole number, 1 or more")]
    [InlineData("uploadId=42", "uploadId: must be a UUID")]
    [InlineData("uploadId=00000000-0000-0000-0000-000000000000", "uploadId: must be a UUID")]
    public async Task BadPartParameters_400NamingTheParameter(string query, string rule)
    {
        var lines = CourseFeed.ForNewPatient().Induction().Select(Line);

        var response = await fixture.Client.PostAsync($"/api/v1/ingestion/batches?{query}", Ndjson(lines));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(rule, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task QualityRoleOrWrongContentType_Refused()
    {
        var lines = CourseFeed.ForNewPatient().Induction().Select(Line);
        var quality = fixture.ClientFor(AccessToken.Roles.Quality, "clinic-t");

        var byRole = await quality.PostAsync("/api/v1/ingestion/batches", Ndjson(lines));
        var byType = await fixture.Client.PostAsync("/api/v1/ingestion/batches", new StringContent("{}", Encoding.UTF8, "text/csv"));

        Assert.Equal(HttpStatusCode.Forbidden, byRole.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, byType.StatusCode);
    }

    [Fact]
    public async Task OverlongLine_RejectedAndNextLineStored()
    {
        var feed = CourseFeed.ForNewPatient();
        var enrolment = feed.Induction()[0];
        var overlong = "{\"routingKey\":\"v1.phq9-completed\",\"body\":\"" + new string('x', BulkLine.MaxBytes) + "\"}";

        var summary = await Upload(fixture.Client, [overlong, Line(enrolment)]);

        Assert.Equal((1L, 1L), (summary.Stored, summary.Rejected));
        Assert.Equal((1L, "line"), (summary.Rejections[0].Line, summary.Rejections[0].Field));
        Assert.Equal(1, (await fixture.Course(feed))!.FactCount);
    }

    [Fact]
    public async Task SameCourseOverAmqpAndBulk_EachFactOnceProjectionComplete()
    {
        var feed = CourseFeed.ForNewPatient();
        var messages = feed.Induction();
        var overAmqp = messages.Where((_, i) => i % 2 == 0).ToList();
        // Overlapping halves: the first two facts travel both ways.
        var inBulk = messages.Where((_, i) => i % 2 == 1 || i < 2).Select(Line).ToList();

        var publishing = fixture.Publisher.PublishAll(overAmqp);
        var summary = await Upload(fixture.Client, inBulk);
        await publishing;

        var course = await fixture.CourseWith(feed, messages.Count);
        Assert.Equal(messages.Count, course.FactCount);
        Assert.Equal(messages.Count, await IngestionFixture.StoredEventCount(fixture.Host, feed));
        Assert.Equal(inBulk.Count, summary.Stored + summary.Duplicates);
        Assert.Equal([18, 13, 7, 4], course.Phq9Scores.Select(s => s.Total));
    }

    [Fact]
    public async Task DemoFileThroughLoadCommand_EveryValidFactStoredInvalidOnesRejected()
    {
        var settings = new Cli.Demo.DemoSettings { Patients = 30, Seed = 77, Invalid = 0.05 };
        var messages = Cli.Demo.DemoFeed.Messages(settings);
        await WithDemoFile(settings, async file =>
        {
            var client = fixture.Host.CreateClient();
            long lastProgress = 0;

            var (summary, failure) = await Cli.Loading.LoadCommand.Upload(client, file, fixture.Host.Token(["integration"], ["clinic-a", "clinic-b", "clinic-c", "clinic-d"]),
                new Cli.Loading.LoadPlan(), sent => lastProgress = sent, CancellationToken.None);

            Assert.Null(failure);
            Assert.Equal(file.Length, lastProgress);
            Assert.Equal(messages.Count(m => m.Invalid is null), summary!.Stored);
            Assert.Equal(messages.Count(m => m.Invalid is not null), summary.Rejected);
            Assert.Equal(messages.Count, summary.Lines);
        });
    }

    /// The demo feed as `outcomes demo --out` writes it, in a temporary file for the test's duration.
    private static async Task WithDemoFile(Cli.Demo.DemoSettings settings, Func<FileInfo, Task> use)
    {
        var file = new FileInfo(Path.GetTempFileName());
        try
        {
            await using (var stream = file.Create())
                Cli.Demo.DryRunFile.WriteForBulkLoad(stream, Cli.Demo.DemoFeed.ForBulkLoad(settings));
            await use(file);
        }
        finally
        {
            file.Delete();
        }
    }

    [Fact]
    public async Task LoadCommandInSmallParts_SameAnswerAsOneRequest_AndResumes()
    {
        var settings = new Cli.Demo.DemoSettings { Patients = 12, Seed = 91, Invalid = 0.08 };
        var messages = Cli.Demo.DemoFeed.Messages(settings);
        await WithDemoFile(settings, async file =>
        {
            var client = fixture.Host.CreateClient();
            var token = fixture.Host.Token(["integration"], ["clinic-a", "clinic-b", "clinic-c", "clinic-d"]);
            long lastProgress = 0;

            var (parts, partsFailure) = await Cli.Loading.LoadCommand.Upload(client, file, token, new Cli.Loading.LoadPlan(LinesPerPart: 13),
                sent => lastProgress = sent, CancellationToken.None);
            var (whole, wholeFailure) = await Cli.Loading.LoadCommand.Upload(client, file, token, new Cli.Loading.LoadPlan(LinesPerPart: int.MaxValue),
                _ => { }, CancellationToken.None);
            var resumeAt = messages.Count / 2;
            var (resumed, resumedFailure) = await Cli.Loading.LoadCommand.Upload(client, file, token, new Cli.Loading.LoadPlan(FromLine: resumeAt),
                _ => { }, CancellationToken.None);

            Assert.Null(partsFailure);
            Assert.Null(wholeFailure);
            Assert.Null(resumedFailure);
            Assert.Equal(file.Length, lastProgress);
            Assert.Equal(messages.Count(m => m.Invalid is null), parts!.Stored);
            Assert.Equal(messages.Count, parts.Lines);
            Assert.True(parts.Rejected > 2, "the draw must include rejected lines");
            // Sent again whole: every fact a duplicate, every rejection on the same line of the file.
            Assert.Equal((0L, parts.Stored, parts.Rejected), (whole!.Stored, whole.Duplicates, whole.Rejected));
            Assert.Equal(whole.Rejections.Select(r => (r.Line, r.Field)), parts.Rejections.Select(r => (r.Line, r.Field)));
            Assert.Equal(messages.Count - resumeAt + 1, resumed!.Lines);
            Assert.Equal(whole.Rejections.Where(r => r.Line >= resumeAt).Select(r => r.Line), resumed.Rejections.Select(r => r.Line));
        });
    }
}
