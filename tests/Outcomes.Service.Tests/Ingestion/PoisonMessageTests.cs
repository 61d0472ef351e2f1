using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.Ingestion;

[CollectionDefinition(Name)]
public sealed class PoisonCollection : ICollectionFixture<ServicesFixture>
{
    public const string Name = "ingestion-poison";
}

/// Bad messages over the real broker, on both queues: each refused on its first delivery with a field and a
/// rule, recorded once, parked in the error queue without a stack trace, never stored; the valid messages
/// between them are stored exactly once and without delay. Own host, topology and schema, so every
/// rejection and event in it is this test's.
[Collection(PoisonCollection.Name)]
public sealed class PoisonMessageTests(ServicesFixture services) : IAsyncLifetime
{
    private readonly IsolatedNames _names = IsolatedNames.New();
    private OutcomesHost _host = null!;
    private HttpClient _admin = null!;
    private RawAmqp _amqp = null!;

    public async Task InitializeAsync()
    {
        _host = new OutcomesHost(services, _names);
        _admin = _host.Start();
        _amqp = await RawAmqp.Connect(services.RabbitMqUri);
    }

    public async Task DisposeAsync()
    {
        await _amqp.DisposeAsync();
        await _host.DisposeAsync();
        await _names.Delete(services);
    }

    private const string Clinic = "fuzz-clinic";
    private static readonly string[] Types = ["patient-enrolled", "treatment-session-given", "phq9-completed", "course-ended"];
    private static readonly Dictionary<string, string> TypeNames = new()
    {
        ["patient-enrolled"] = "PatientEnrolled", ["treatment-session-given"] = "TreatmentSessionGiven",
        ["phq9-completed"] = "Phq9Completed", ["course-ended"] = "CourseEnded",
    };

    private sealed record Bad(string Kind, RawMessage Message, Guid? EventId, string Field);

    private static JsonObject Valid(string type, CourseFeed feed, DateTimeOffset at) => type switch
    {
        "patient-enrolled" => feed.Enrolment(at),
        "treatment-session-given" => feed.Session(at),
        "phq9-completed" => feed.Phq9Total(at, 12),
        _ => feed.Ended(at),
    };

    private RawMessage Send(bool envelope, string type, byte[] body, string? contentType = null, string? correlationId = null,
        IDictionary<string, object?>? headers = null) =>
        envelope
            ? new RawMessage(_names.EnvelopeQueue, "", Envelope(type, body), contentType ?? "application/vnd.masstransit+json")
            : new RawMessage(_names.Exchange, $"v1.{type}", body, contentType ?? "application/json", correlationId, headers);

    /// A MassTransit envelope as a .NET publisher sends it, around the given message bytes.
    private static byte[] Envelope(string type, byte[] message) =>
        [.. Encoding.UTF8.GetBytes($"{{\"messageId\":\"{Guid.NewGuid()}\",\"messageType\":[\"urn:message:Outcomes.Contracts:{TypeNames[type]}\"],\"message\":"),
            .. message, .. "}"u8.ToArray()];

    private static byte[] Utf8(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    /// One bad message of the given kind: its bytes, the event id a rejection can be found by, and the field it names.
    private Bad Generate(string kind, string type, bool envelope, CourseFeed feed, int i)
    {
        var at = CourseFeed.Start.AddMinutes(i);
        var body = Valid(type, feed, at);
        var id = Guid.Parse((string)body["eventId"]!);
        Bad Make(string field, byte[] bytes, Guid? eventId = null, string? contentType = null, string? correlation = null,
            IDictionary<string, object?>? headers = null) =>
            new(kind, Send(envelope, type, bytes, contentType, correlation, headers), eventId, field);
        string Text() => body.ToJsonString();
        switch (kind)
        {
            case "invalid-utf8":
                body["patientKey"] = "pkQQ" + feed.PatientKey[2..];
                var bytes = Utf8(body);
                bytes[Encoding.UTF8.GetString(bytes).IndexOf("QQ", StringComparison.Ordinal)] = 0xC3;
                return Make("body", bytes);
            case "not-json":
                return envelope
                    ? new Bad(kind, new RawMessage(_names.EnvelopeQueue, "", Encoding.UTF8.GetBytes($"PHQ9 total=12 #{i}"), "application/vnd.masstransit+json"), null, "body")
                    : Make("body", Encoding.UTF8.GetBytes($"PHQ9 total=12 #{i}"));
            case "json-array":
                return Make("body", Utf8(new JsonArray(body)));
            case "pascal-case":
                body["ClinicId"] = body["clinicId"]!.DeepClone();
                body.Remove("clinicId");
                return Make("ClinicId", Utf8(body), id);
            case "duplicate-key":
                return Make("clinicId", Encoding.UTF8.GetBytes(Text().Replace("{", $"{{\"clinicId\":\"{Clinic}\",", StringComparison.Ordinal)), id);
            case "enum-as-number":
                var (field, value) = type switch
                {
                    "patient-enrolled" => ("sex", (JsonNode)1),
                    "treatment-session-given" => ("route", (JsonNode)0),
                    "course-ended" => ("reason", (JsonNode)1),
                    _ => ("total", (JsonNode)"12"),
                };
                body[field] = value;
                return Make(field, Utf8(body), id);
            case "no-offset":
                body["occurredAt"] = at.ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
                return Make("occurredAt", Utf8(body), id);
            case "date-only":
                body["occurredAt"] = at.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
                return Make("occurredAt", Utf8(body), id);
            case "clinic-newline":
                body["clinicId"] = Clinic + "\n";
                return Make("clinicId", Utf8(body), id);
            case "unknown-property":
                body["note"] = "patient said she felt low; SSN 123-45-6789";
                return Make("note", Utf8(body), id);
            case "missing-field":
                body.Remove("patientKey");
                return Make("patientKey", Utf8(body), id);
            case "identifying-key":
                body["patientKey"] = i % 2 == 0 ? "smith-john-19800101" : "patient_Maria_Garcia_2";
                return Make("patientKey", Utf8(body), id);
            case "future":
                body["occurredAt"] = DateTimeOffset.UtcNow.AddDays(2).ToString("O");
                return Make("occurredAt", Utf8(body), id);
            case "content-type":
                return Make("contentType", Utf8(body), null, envelope ? "application/json" : "text/plain");
            case "correlation-not-uuid" when !envelope:
                return Make("correlation_id", Utf8(body), id, correlation: "Jane Doe MRN 00123456 DOB 1980-01-01");
            case "causation-not-uuid" when !envelope:
                return Make("causation-id", Utf8(body), id, headers: new Dictionary<string, object?> { ["causation-id"] = "dob 1980-01-01" });
            default:
                body["items"] = new JsonArray(1, 1, 1, 1, 1, 1, 1, 1, 9);
                body.Remove("total");
                return type == "phq9-completed" ? Make("items[8]", Utf8(body), id) : Make("items", Utf8(body), id);
        }
    }

    private static readonly string[] Kinds =
    [
        "invalid-utf8", "not-json", "json-array", "pascal-case", "duplicate-key", "enum-as-number", "no-offset", "date-only",
        "clinic-newline", "unknown-property", "missing-field", "identifying-key", "future", "content-type", "correlation-not-uuid",
        "causation-not-uuid", "item-out-of-range",
    ];

    [Fact]
    public async Task FuzzedBadMessages_EachRejectedOnFirstDeliveryWithFieldAndRule_NoneStored_CanariesStoredOnce()
    {
        const int badCount = 1_200;
        var feeds = Enumerable.Range(0, 10).Select(_ => CourseFeed.ForNewPatient(Clinic)).ToArray();
        var bad = new List<Bad>();
        var canaries = new List<(Guid Id, RawMessage Message)>();
        for (var i = 0; i < badCount; i++)
        {
            var envelope = i % 2 == 1;
            bad.Add(Generate(Kinds[i % Kinds.Length], Types[i / Kinds.Length % Types.Length], envelope, feeds[i % feeds.Length], i));
            if (i % 20 == 0)
            {
                var canary = feeds[i / 20 % feeds.Length].Phq9Total(CourseFeed.Start.AddHours(i), i % 28);
                canaries.Add((Guid.Parse((string)canary["eventId"]!), Send(i % 40 == 0, "phq9-completed", Utf8(canary))));
            }
        }

        var published = Stopwatch.StartNew();
        var c = 0;
        for (var i = 0; i < bad.Count; i++)
        {
            await _amqp.Publish(bad[i].Message);
            if (i % 20 == 0) await _amqp.Publish(canaries[c++].Message);
        }

        // The canaries behind the poison are stored at once (no retries hold the prefetch), each exactly once.
        await Eventually.Until(() => CountEvents(canaries.Select(x => x.Id).ToArray()), n => n == canaries.Count, "every canary stored",
            TimeSpan.FromSeconds(60));
        var rejections = await Eventually.Until(Rejections, r => r.Count >= bad.Count, $"{bad.Count} rejections recorded", TimeSpan.FromSeconds(60));
        var elapsed = published.Elapsed;

        // Reusing a stored fact's event id for other content: refused with its own rule, on both queues.
        var reuse = canaries.Take(20).Select((x, k) => new Bad("event-id-reused",
            Send(k % 2 == 1, "phq9-completed", Utf8(WithTotal(x.Message, 27))), x.Id, "eventId")).ToList();
        foreach (var r in reuse) await _amqp.Publish(r.Message);
        bad.AddRange(reuse);
        rejections = await Eventually.Until(Rejections, r => r.Count >= bad.Count, "the reused event ids refused", TimeSpan.FromSeconds(60));

        Assert.Equal(bad.Count, rejections.Count);
        Assert.All(rejections, r => Assert.False(string.IsNullOrWhiteSpace(r.Field) || string.IsNullOrWhiteSpace(r.Rule)));
        var byEventId = rejections.Where(r => r.EventId is not null).ToLookup(r => r.EventId!.Value);
        foreach (var b in bad.Where(b => b.EventId is not null))
            Assert.True(byEventId[b.EventId!.Value].Any(r => r.Field == b.Field),
                $"{b.Kind}: expected a rejection of field {b.Field}, got {string.Join("; ", byEventId[b.EventId!.Value].Select(r => r.Field + ": " + r.Rule))}");
        foreach (var group in bad.Where(b => b.EventId is null).GroupBy(b => b.Field))
            Assert.True(rejections.Count(r => r.Field == group.Key && r.EventId is null) >= group.Count(), $"{group.Count()} rejections of {group.Key}");

        // Nothing bad stored, every canary once (its reuse with other content did not replace it).
        Assert.Equal(canaries.Count, await CountEvents(null));
        Assert.Equal(canaries.Count, await CountEvents(canaries.Select(x => x.Id).ToArray()));

        // In the error queues: every bad message once, with "field: rule", never retried, no stack trace.
        var parked = (await Eventually.Until(async () => (await _amqp.Drain(_names.Queue + "_error")).Concat(await _amqp.Drain(_names.EnvelopeQueue + "_error")).ToList(),
            p => p.Count > 0, "the error queues")).ToList();
        while (parked.Count < bad.Count)
        {
            var more = (await _amqp.Drain(_names.Queue + "_error")).Concat(await _amqp.Drain(_names.EnvelopeQueue + "_error")).ToList();
            if (more.Count == 0) break;
            parked.AddRange(more);
        }
        Assert.Equal(bad.Count, parked.Count);
        Assert.All(parked, p =>
        {
            Assert.Matches("^[^:]+: .+", p.Headers["MT-Fault-Message"]);
            Assert.False(p.Headers.ContainsKey("MT-Fault-StackTrace"));
            Assert.False(p.Headers.ContainsKey("MT-Fault-RetryCount"));
        });
        Assert.True(elapsed < TimeSpan.FromSeconds(45), $"{bad.Count} bad messages took {elapsed.TotalSeconds:F1} s to be refused");

        // Kept for a stated time only.
        var errorQueue = await RawAmqp.QueueInfo(services, _names.Queue + "_error");
        Assert.Equal((long)TimeSpan.FromDays(14).TotalMilliseconds, (long)errorQueue!["arguments"]!["x-message-ttl"]!);
    }

    private static JsonObject WithTotal(RawMessage message, int total)
    {
        var text = Encoding.UTF8.GetString(message.Body);
        var body = JsonNode.Parse(text.StartsWith("{\"messageId\"", StringComparison.Ordinal) ? JsonNode.Parse(text)!["message"]!.ToJsonString() : text)!.AsObject();
        body["total"] = total;
        return body;
    }

    private async Task<IReadOnlyList<Outcomes.Service.Ingestion.IngestionRejection>> Rejections()
    {
        var list = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<List<Outcomes.Service.Ingestion.IngestionRejection>>(
            _admin, "/api/v1/ingestion/rejections?limit=1000", IngestionFixture.ApiJson);
        if (list!.Count < 1000) return list;
        // More than one page: read them all from the table.
        await using var database = NpgsqlDataSource.Create(services.PostgresConnection);
        await using var command = database.CreateCommand($"select data::text from {_names.Schema}.mt_doc_ingestionrejection");
        var all = new List<Outcomes.Service.Ingestion.IngestionRejection>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            all.Add(System.Text.Json.JsonSerializer.Deserialize<Outcomes.Service.Ingestion.IngestionRejection>(reader.GetString(0), IngestionFixture.ApiJson)!);
        return all;
    }

    private async Task<int> CountEvents(Guid[]? ids)
    {
        await using var database = NpgsqlDataSource.Create(services.PostgresConnection);
        await using var command = ids is null
            ? database.CreateCommand($"select count(*)::int from {_names.Schema}.mt_events")
            : database.CreateCommand($"select count(*)::int from {_names.Schema}.mt_events where id = any($1)");
        if (ids is not null) command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
        return (int)(await command.ExecuteScalarAsync())!;
    }
}
