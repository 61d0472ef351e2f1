using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Outcomes.Cli.Fhir;
using Outcomes.Service.Ingestion;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.Fhir;

/// `outcomes fhir` against the real service: a Bulk Data export converted at the clinic, published over the real
/// broker, stored by the service (tests/Outcomes.Cli.Tests/Fhir holds the mapping tests and the export used here).
[Collection(IngestionCollection.Name)]
public sealed class FhirBridgeTests(IngestionFixture fixture)
{
    private const string Clinic = "clinic-fhir";

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Outcomes.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Outcomes.sln not found above " + AppContext.BaseDirectory);
    }

    private static string Resources(string name) => Path.Combine(RepositoryRoot(), "tests", "Outcomes.Cli.Tests", "Fhir", "Resources", name);

    /// Converts as `outcomes fhir convert` does, with a key of its own so that its patients are new to the shared service.
    private static (FileInfo File, ConversionReport Report) Convert(byte[] key, IEnumerable<string> inputs, string clinic = Clinic)
    {
        var (files, problem) = FhirInputs.Files(inputs);
        Assert.Null(problem);
        var report = new ConversionReport();
        var context = new AssemblyContext(clinic, new Pseudonyms(key), FhirMappingOptions.Default, new MedicationCatalog(), report, DateTimeOffset.UtcNow);
        var file = new FileInfo(Path.GetTempFileName());
        using (var stream = file.Create()) FhirConversion.Run(files, context, stream);
        return (file, report);
    }

    private static List<(string RoutingKey, JsonElement Body, string Line)> Lines(FileInfo file) =>
        File.ReadAllLines(file.FullName).Select(line =>
        {
            var root = JsonDocument.Parse(line).RootElement;
            return (root.GetProperty("routingKey").GetString()!, root.GetProperty("body").Clone(), line);
        }).ToList();

    private static CourseFeed CourseOf(IEnumerable<(string RoutingKey, JsonElement Body, string Line)> lines, string routingKey, Func<JsonElement, bool> which) =>
        new(Clinic, lines.First(l => l.RoutingKey == routingKey && which(l.Body)).Body.GetProperty("patientKey").GetString()!);

    /// Runs `outcomes fhir ARGS` as the CLI does (its parser and action), publishing to this fixture's exchange and queue.
    private async Task<(int Exit, string Output, string Error)> Fhir(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var exit = await new System.CommandLine.RootCommand { FhirCommand.Create(fixture.Names.Exchange, fixture.Names.Queue) }
            .Parse(["fhir", .. args]).InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    private static string NewKeyFile()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, Pseudonyms.NewKeyText() + "\n");
        return path;
    }

    [Fact]
    public async Task BulkExportFolder_PublishedByTheFhirPublishCommand_StoredAsCourses_TheReportCountsThem()
    {
        var clinic = "clinic-fhir-e" + Guid.NewGuid().ToString("N")[..6];
        var keyFile = NewKeyFile();
        var kept = Path.GetTempFileName();
        try
        {
            var (exit, output, error) = await Fhir("publish", "--input", Resources("bulk"), "--clinic", clinic, "--key-file", keyFile,
                "--amqp", fixture.Services.RabbitMqUri.ToString(), "--out", kept);

            Assert.True(exit == 0, error);
            Assert.Contains("published 10 facts (lines 1-10), all confirmed by the broker", output, StringComparison.Ordinal);
            var lines = Lines(new FileInfo(kept));
            CourseFeed Course(string sex) => new(clinic, lines.First(l => l.RoutingKey == "v1.patient-enrolled"
                && l.Body.GetProperty("sex").GetString() == sex).Body.GetProperty("patientKey").GetString()!);
            var course = await fixture.CourseWith(Course("female"), 7);
            Assert.Equal([16, 8, 6], course.Phq9Scores.Select(s => s.Total));
            Assert.Equal([false, false, true], course.Phq9Scores.Select(s => s.TotalOnly));
            Assert.Equal(2, course.Sessions.Count);
            Assert.Equal(Domain.Courses.DiagnosisGroup.MajorDepressiveDisorder, course.Enrolment!.DiagnosisGroup);
            Assert.Equal(Domain.Courses.CourseEndReason.Completed, course.Ended!.Reason);
            var other = await fixture.CourseWith(Course("male"), 3);
            Assert.Equal(Domain.Courses.Modality.IntranasalEsketamine, other.Enrolment!.Modality);
            Assert.Empty(await fixture.Rejections(clinic));

            // The clinic's report: two courses (the under-18 patient sent nothing), one of them ended completed,
            // and Jane's 16 -> 8 a response.
            var report = await Eventually.Until(
                async () => System.Text.Json.Nodes.JsonNode.Parse(await fixture.Client.GetStringAsync($"/api/v1/reports/overview?clinicId={clinic}"))!,
                r => (int)r["overall"]!["counts"]!["enrolled"]!["value"]! == 2, "the report with both courses");
            var counts = report["overall"]!["counts"]!;
            Assert.Equal(2, (int)counts["withBaseline"]!["value"]!);
            Assert.Equal(1, (int)counts["endReasons"]!.AsArray().Single(e => (string)e!["reason"]! == "completed")!["courses"]!["value"]!);
            Assert.Equal(1, ResponseEver(report.ToJsonString()));
        }
        finally
        {
            File.Delete(keyFile);
            File.Delete(kept);
        }
    }

    [Fact]
    public async Task PublishStoppedPartWay_SaysTheFirstLineNotConfirmed_ResumingThereSendsTheRest()
    {
        // Its own exchange and queue, bound for PHQ-9s only: the first session in the file is unroutable and stops the publish.
        var exchange = "fhir-partway-" + Guid.NewGuid().ToString("N")[..8];
        var queue = exchange + "-q";
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = fixture.Services.RabbitMqUri };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(exchange, "topic", durable: true, autoDelete: false);
        await channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync(queue, exchange, "v1.phq9-completed");
        var file = new FileInfo(Path.GetTempFileName());
        try
        {
            string Line(string type)
            {
                var id = Guid.NewGuid();
                return $"{{\"routingKey\":\"v1.{type}\",\"messageId\":\"{id}\",\"body\":{{\"eventId\":\"{id}\"}}}}";
            }
            File.WriteAllLines(file.FullName, [Line("phq9-completed"), Line("phq9-completed"), Line("phq9-completed"), Line("treatment-session-given"),
                Line("phq9-completed")]);

            var stopped = await FhirCommand.PublishFile(file.FullName, [fixture.Services.RabbitMqUri], 1, 10, exchange, queue, CancellationToken.None,
                factsPerPart: 2);
            await channel.QueueBindAsync(queue, exchange, "v1.#");
            var resumed = await FhirCommand.PublishFile(file.FullName, [fixture.Services.RabbitMqUri], stopped.NextLine, 10, exchange, queue,
                CancellationToken.None, factsPerPart: 2);

            // Lines 1-2 (the first part) were confirmed; the part holding line 4 was not, so the resume starts at its first line, 3.
            Assert.True(stopped.Failure?.Contains("unroutable", StringComparison.Ordinal) == true, stopped.ToString());
            Assert.Equal((2L, 3L), (stopped.Confirmed, stopped.NextLine));
            Assert.Null(resumed.Failure);
            Assert.Equal((3L, 6L), (resumed.Confirmed, resumed.NextLine));
        }
        finally
        {
            file.Delete();
            await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false);
            await channel.ExchangeDeleteAsync(exchange);
        }
    }

    [Fact]
    public async Task SameExportConvertedTwice_SecondTimeStoresNothing()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var inputs = new[] { Resources("bulk"), Resources("transaction-bundle.json"), Resources("searchset-bundle.json"), Resources("questionnaire-response.json") };
        var (first, _) = Convert(key, inputs);
        var (second, _) = Convert(key, inputs);
        try
        {
            var lines = Lines(first);
            var published = await FhirCommand.PublishFile(first.FullName, [fixture.Services.RabbitMqUri], 1, 100, fixture.Names.Exchange, fixture.Names.Queue,
                CancellationToken.None);
            Assert.Null(published.Failure);
            var courses = lines.Select(l => l.Body.GetProperty("patientKey").GetString()!).Distinct().Select(k => new CourseFeed(Clinic, k)).ToList();
            foreach (var course in courses)
                await fixture.CourseWith(course, lines.Count(l => l.Body.GetProperty("patientKey").GetString() == course.PatientKey));

            // The second conversion goes through the bulk upload, which answers how much it stored.
            var token = fixture.Host.Token(["integration"], [Clinic]);
            var (summary, failure) = await Cli.Loading.LoadCommand.Upload(fixture.Host.CreateClient(), second, token, new Cli.Loading.LoadPlan(), _ => { },
                CancellationToken.None);

            Assert.Equal(File.ReadAllBytes(first.FullName), File.ReadAllBytes(second.FullName));
            Assert.Null(failure);
            Assert.Equal(0, summary!.Stored);
            Assert.Equal(lines.Count, summary.Duplicates);
            Assert.Equal(0, summary.Rejected);
            foreach (var course in courses)
                Assert.Equal(lines.Count(l => l.Body.GetProperty("patientKey").GetString() == course.PatientKey),
                    await IngestionFixture.StoredEventCount(fixture.Host, course));
        }
        finally
        {
            first.Delete();
            second.Delete();
        }
    }

    [Fact]
    public async Task PublishFromALine_SendsOnlyTheRest_ThenFromTheStart_EveryFactStoredOnce()
    {
        var (file, _) = Convert(RandomNumberGenerator.GetBytes(32), [Resources("bulk")]);
        try
        {
            var lines = Lines(file);
            var courses = lines.Select(l => l.Body.GetProperty("patientKey").GetString()!).Distinct().Select(k => new CourseFeed(Clinic, k)).ToList();

            var resumed = await FhirCommand.PublishFile(file.FullName, [fixture.Services.RabbitMqUri], 6, 100, fixture.Names.Exchange, fixture.Names.Queue,
                CancellationToken.None);
            var again = await FhirCommand.PublishFile(file.FullName, [fixture.Services.RabbitMqUri], 1, 100, fixture.Names.Exchange, fixture.Names.Queue,
                CancellationToken.None);

            Assert.Equal((lines.Count - 5L, lines.Count + 1L), (resumed.Confirmed, resumed.NextLine));
            Assert.Equal(lines.Count, again.Confirmed);
            foreach (var course in courses)
            {
                var facts = lines.Count(l => l.Body.GetProperty("patientKey").GetString() == course.PatientKey);
                await fixture.CourseWith(course, facts);
                Assert.Equal(facts, await IngestionFixture.StoredEventCount(fixture.Host, course));
            }
        }
        finally
        {
            file.Delete();
        }
    }

    [Fact]
    public void EveryConvertedFact_PassesTheServicesContractRules_WhileTheIdentifierAsKeyWouldBeRefused()
    {
        var (file, _) = Convert(RandomNumberGenerator.GetBytes(32),
            [Resources("bulk"), Resources("transaction-bundle.json"), Resources("searchset-bundle.json"), Resources("questionnaire-response.json")]);
        try
        {
            var lines = Lines(file);
            Assert.True(lines.Count >= 12);
            foreach (var (routingKey, body, _) in lines)
            {
                var (fact, rejection) = ClinicEventReader.Read(routingKey, Encoding.UTF8.GetBytes(body.GetRawText()), DateTimeOffset.UtcNow);
                Assert.Null(rejection);
                Assert.NotNull(fact);
            }

            // What a naive bridge would send: the EHR's record number as the key. The same rules refuse it.
            var naive = lines[0].Body.GetRawText().Replace(lines[0].Body.GetProperty("patientKey").GetString()!, "MRN000123", StringComparison.Ordinal);
            var (_, refused) = ClinicEventReader.Read(lines[0].RoutingKey, Encoding.UTF8.GetBytes(naive), DateTimeOffset.UtcNow);
            Assert.Equal("patientKey", refused!.Field);
        }
        finally
        {
            file.Delete();
        }
    }

    private static readonly string[] ItemCodes = ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"];

    private static string Response(string id, string version, string status, string authored, int[] scores, string? lastUpdated = null) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["resourceType"] = "QuestionnaireResponse", ["id"] = id,
            ["meta"] = lastUpdated is null ? new { versionId = version } : new { versionId = version, lastUpdated },
            ["status"] = status, ["questionnaire"] = "http://loinc.org/q/44249-1", ["subject"] = new { reference = "Patient/p1" }, ["authored"] = authored,
            ["item"] = scores.Select((s, i) => new { linkId = "/44249-1/" + ItemCodes[i], answer = new[] { new { valueInteger = s } } }).ToArray(),
        });

    private static string Session(string id, string at) => JsonSerializer.Serialize(new
    {
        resourceType = "MedicationAdministration", id, meta = new { versionId = "1" }, status = "completed",
        medicationCodeableConcept = new { coding = new[] { new { system = "http://www.nlm.nih.gov/research/umls/rxnorm", code = "6130" } } },
        subject = new { reference = "Patient/p1" }, effectiveDateTime = at,
        dosage = new
        {
            route = new { coding = new[] { new { system = "http://snomed.info/sct", code = "47625008" } } },
            dose = new { value = 0.5m, unit = "mg/kg", system = "http://unitsofmeasure.org", code = "mg/kg" },
        },
    });

    /// A Bulk Data export of one patient: two IV ketamine sessions, a baseline PHQ-9 of 20 and, on day 7, either the
    /// completed PHQ-9 of 8 (a response) or, in a later export, the same QuestionnaireResponse marked entered-in-error.
    private static DirectoryInfo Export(bool enteredInError)
    {
        var folder = Directory.CreateTempSubdirectory("fhir-retraction-");
        File.WriteAllText(Path.Combine(folder.FullName, "Patient.ndjson"), JsonSerializer.Serialize(new
        {
            resourceType = "Patient", id = "p1", identifier = new[] { new { system = "http://hospital.example.org/mrn", value = "MRN-7001" } },
            gender = "female", birthDate = "1975-04-02",
        }) + "\n");
        File.WriteAllText(Path.Combine(folder.FullName, "MedicationAdministration.ndjson"),
            Session("ma1", "2026-03-02T09:00:00Z") + "\n" + Session("ma2", "2026-03-05T09:00:00Z") + "\n");
        File.WriteAllText(Path.Combine(folder.FullName, "QuestionnaireResponse.ndjson"),
            Response("qr0", "1", "completed", "2026-03-01T09:00:00Z", [3, 3, 2, 2, 2, 2, 2, 2, 2]) + "\n" +
            (enteredInError
                ? Response("qr1", "2", "entered-in-error", "2026-03-09T09:00:00Z", [1, 1, 1, 1, 1, 1, 1, 1, 0], "2026-03-12T10:00:00Z")
                : Response("qr1", "1", "completed", "2026-03-09T09:00:00Z", [1, 1, 1, 1, 1, 1, 1, 1, 0])) + "\n");
        return folder;
    }

    [Fact]
    public async Task EnteredInErrorInALaterExport_RetractsTheStoredScore_ReportAsOfBeforeStillShowsIt_ConvertedTwiceStoredOnce()
    {
        var clinic = "clinic-fhir-r" + Guid.NewGuid().ToString("N")[..6];
        var key = RandomNumberGenerator.GetBytes(32);
        var (before, after) = (Export(enteredInError: false), Export(enteredInError: true));
        var (first, _) = Convert(key, [before.FullName], clinic);
        var (second, report) = Convert(key, [after.FullName], clinic);
        var (again, _) = Convert(key, [after.FullName], clinic);
        try
        {
            Assert.Equal(1, report.Mapped["fact-retracted"]);
            var course = new CourseFeed(clinic, Lines(first)[0].Body.GetProperty("patientKey").GetString()!);
            Assert.Null((await FhirCommand.PublishFile(first.FullName, [fixture.Services.RabbitMqUri], 1, 100, fixture.Names.Exchange,
                fixture.Names.Queue, CancellationToken.None)).Failure);
            Assert.Equal([20, 8], (await fixture.CourseWith(course, 5)).Phq9Scores.Select(s => s.Total));
            var responded = await fixture.Client.GetStringAsync($"/api/v1/reports/overview?clinicId={clinic}");
            var position = (long)System.Text.Json.Nodes.JsonNode.Parse(responded)!["provenance"]!["eventStorePosition"]!;
            Assert.Equal(1, ResponseEver(responded));

            Assert.Null((await FhirCommand.PublishFile(second.FullName, [fixture.Services.RabbitMqUri], 1, 100, fixture.Names.Exchange,
                fixture.Names.Queue, CancellationToken.None)).Failure);

            Assert.Equal([20], (await fixture.CourseWith(course, 6)).Phq9Scores.Select(s => s.Total));
            await Eventually.Until(async () => ResponseEver(await fixture.Client.GetStringAsync($"/api/v1/reports/overview?clinicId={clinic}")),
                n => n == 0, "the report without the retracted response");
            Assert.Equal(responded, await fixture.Client.GetStringAsync($"/api/v1/reports/overview?clinicId={clinic}&asOfPosition={position}"));

            var token = fixture.Host.Token(["integration"], [clinic]);
            var (summary, failure) = await Cli.Loading.LoadCommand.Upload(fixture.Host.CreateClient(), again, token, new Cli.Loading.LoadPlan(), _ => { },
                CancellationToken.None);
            Assert.Null(failure);
            Assert.Equal(File.ReadAllBytes(second.FullName), File.ReadAllBytes(again.FullName));
            Assert.Equal((0L, (long)Lines(again).Count, 0L), (summary!.Stored, summary.Duplicates, summary.Rejected));
            Assert.Equal(6, await IngestionFixture.StoredEventCount(fixture.Host, course));
            Assert.Empty(await fixture.Rejections(clinic));
        }
        finally
        {
            foreach (var file in new[] { first, second, again }) file.Delete();
            before.Delete(recursive: true);
            after.Delete(recursive: true);
        }
    }

    private static int ResponseEver(string report) =>
        (int)System.Text.Json.Nodes.JsonNode.Parse(report)!["overall"]!["response"]!["responseEver"]!["events"]!["value"]!;

    private static string Item(string id, int item, int score, string status, string version, string? lastUpdated = null) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["resourceType"] = "Observation", ["id"] = id,
            ["meta"] = lastUpdated is null ? new { versionId = version } : new { versionId = version, lastUpdated },
            ["status"] = status, ["code"] = new { coding = new[] { new { system = "http://loinc.org", code = ItemCodes[item] } } },
            ["subject"] = new { reference = "Patient/p1" }, ["effectiveDateTime"] = "2026-03-09T09:00:00Z", ["valueInteger"] = score,
        });

    [Fact]
    public async Task PanelMemberEnteredInError_TheRetractionNamesTheStoredCompletion_WhereTheMembersOwnIdIsRefused()
    {
        var clinic = "clinic-fhir-m" + Guid.NewGuid().ToString("N")[..6];
        var key = RandomNumberGenerator.GetBytes(32);
        int[] scores = [1, 1, 1, 1, 1, 1, 1, 1, 0];
        var panel = JsonSerializer.Serialize(new
        {
            resourceType = "Observation", id = "panel1", meta = new { versionId = "1" }, status = "final",
            code = new { coding = new[] { new { system = "http://loinc.org", code = "44249-1" } } },
            subject = new { reference = "Patient/p1" }, effectiveDateTime = "2026-03-09T09:00:00Z",
            hasMember = Enumerable.Range(0, 9).Select(i => new { reference = "Observation/m" + i }).ToArray(),
        });
        DirectoryInfo PanelExport(bool marked)
        {
            var folder = Export(enteredInError: false);
            File.Delete(Path.Combine(folder.FullName, "QuestionnaireResponse.ndjson"));
            File.WriteAllText(Path.Combine(folder.FullName, "QuestionnaireResponse.ndjson"),
                Response("qr0", "1", "completed", "2026-03-01T09:00:00Z", [3, 3, 2, 2, 2, 2, 2, 2, 2]) + "\n");
            File.WriteAllLines(Path.Combine(folder.FullName, "Observation.ndjson"), [panel, .. scores.Select((score, i) => marked && i == 3
                ? Item("m" + i, i, score, "entered-in-error", "2", "2026-03-12T10:00:00Z") : Item("m" + i, i, score, "final", "1"))]);
            return folder;
        }
        var (before, after) = (PanelExport(marked: false), PanelExport(marked: true));
        var (first, _) = Convert(key, [before.FullName], clinic);
        var (second, report) = Convert(key, [after.FullName], clinic);
        try
        {
            var course = new CourseFeed(clinic, Lines(first)[0].Body.GetProperty("patientKey").GetString()!);
            Assert.Null((await FhirCommand.PublishFile(first.FullName, [fixture.Services.RabbitMqUri], 1, 100, fixture.Names.Exchange,
                fixture.Names.Queue, CancellationToken.None)).Failure);
            Assert.Equal([20, 8], (await fixture.CourseWith(course, 5)).Phq9Scores.Select(s => s.Total));

            // What the bridge sent before: a retraction naming the member's own earlier id, which no fact was stored under.
            var retraction = Lines(second).Single(l => l.RoutingKey == "v1.fact-retracted");
            var memberId = new Pseudonyms(key).EventId(clinic, "Observation/m3|1|phq9-completed");
            var naive = retraction.Line.Replace(retraction.Body.GetProperty("retractedEventId").GetString()!, memberId.ToString(), StringComparison.Ordinal)
                .Replace(retraction.Body.GetProperty("eventId").GetString()!, Guid.NewGuid().ToString(), StringComparison.Ordinal);
            var naiveFile = new FileInfo(Path.GetTempFileName());
            File.WriteAllText(naiveFile.FullName, naive + "\n");
            Assert.Null((await FhirCommand.PublishFile(naiveFile.FullName, [fixture.Services.RabbitMqUri], 1, 100, fixture.Names.Exchange,
                fixture.Names.Queue, CancellationToken.None)).Failure);
            naiveFile.Delete();
            var refused = await Eventually.Until(() => fixture.Rejections(clinic), r => r.Count == 1, "the naive retraction refused");
            Assert.Equal("retractedEventId", refused[0].Field);

            Assert.Equal(1, report.Mapped["fact-retracted"]);
            Assert.Null((await FhirCommand.PublishFile(second.FullName, [fixture.Services.RabbitMqUri], 1, 100, fixture.Names.Exchange,
                fixture.Names.Queue, CancellationToken.None)).Failure);

            Assert.Equal([20], (await fixture.CourseWith(course, 6)).Phq9Scores.Select(s => s.Total));
            Assert.Single(await fixture.Rejections(clinic));
        }
        finally
        {
            first.Delete();
            second.Delete();
            before.Delete(recursive: true);
            after.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task LaterExportChangesTheEnrolment_WithoutStateRefusedAsAReusedId_WithStateTheCourseTakesTheNewOne_BackAndForthToo()
    {
        var clinic = "clinic-fhir-s" + Guid.NewGuid().ToString("N")[..6];
        // The key file's text is the key (its bytes), as `fhir new-key` writes it.
        var keyText = Pseudonyms.NewKeyText();
        var key = Encoding.UTF8.GetBytes(keyText);
        var keyFile = Path.GetTempFileName();
        File.WriteAllText(keyFile, keyText + "\n");
        var state = Path.Combine(Path.GetTempPath(), "fhir-state-" + Guid.NewGuid().ToString("N") + ".json");
        var export = Export(enteredInError: false);
        string[] Publish(params string[] more) =>
            ["publish", "--input", export.FullName, "--clinic", clinic, "--key-file", keyFile, "--amqp", fixture.Services.RabbitMqUri.ToString(), .. more];
        try
        {
            var first = await Fhir(Publish("--state", state));
            Assert.True(first.Exit == 0, first.Error);
            var (converted, _) = Convert(key, [export.FullName], clinic);
            var course = new CourseFeed(clinic, Lines(converted)[0].Body.GetProperty("patientKey").GetString()!);
            converted.Delete();
            Assert.Equal(Domain.Courses.AgeBand.From45To54, (await fixture.CourseWith(course, 5)).Enrolment!.AgeBand);

            // The EHR corrects the birth date: the course's age band changes.
            var patient = Path.Combine(export.FullName, "Patient.ndjson");
            File.WriteAllText(patient, File.ReadAllText(patient).Replace("1975-04-02", "1990-04-02", StringComparison.Ordinal));

            var naive = await Fhir(Publish());
            Assert.True(naive.Exit == 0, naive.Error);
            var refused = Assert.Single(await Eventually.Until(() => fixture.Rejections(clinic), r => r.Count > 0, "the changed enrolment refused"));
            Assert.Equal("eventId", refused.Field);
            Assert.Equal(Domain.Courses.AgeBand.From45To54, (await fixture.CourseWith(course, 5)).Enrolment!.AgeBand);

            var ledgered = await Fhir(Publish("--state", state));
            Assert.True(ledgered.Exit == 0, ledgered.Error);
            Assert.Equal(Domain.Courses.AgeBand.From35To44, (await fixture.CourseWith(course, 7)).Enrolment!.AgeBand);
            var again = await Fhir(Publish("--state", state));
            Assert.True(again.Exit == 0, again.Error);
            Assert.Equal(7, await IngestionFixture.StoredEventCount(fixture.Host, course));
            Assert.Single(await fixture.Rejections(clinic));

            // Back and forth (as a Condition removed and added again): each change stored, none ignored as an id the
            // service holds retracted, which would leave the course without an enrolment.
            foreach (var (from, to, facts, band) in new[]
            {
                ("1990-04-02", "1975-04-02", 9, Domain.Courses.AgeBand.From45To54), ("1975-04-02", "1990-04-02", 11, Domain.Courses.AgeBand.From35To44),
            })
            {
                File.WriteAllText(patient, File.ReadAllText(patient).Replace(from, to, StringComparison.Ordinal));
                var changed = await Fhir(Publish("--state", state));
                Assert.True(changed.Exit == 0, changed.Error);
                Assert.Equal(band, (await fixture.CourseWith(course, facts)).Enrolment?.AgeBand);
            }
        }
        finally
        {
            File.Delete(keyFile);
            File.Delete(state);
            export.Delete(recursive: true);
        }
    }
}
