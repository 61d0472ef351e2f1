using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Outcomes.Contracts;
using Outcomes.Service.Tests.Fixtures;
using RabbitMQ.Client;

namespace Outcomes.Service.Tests.Safety;

[Collection(IngestionCollection.Name)]
public sealed class SafetySignalsTests(IngestionFixture fixture)
{
    private static string NewClinic() => "clinic-s" + Guid.NewGuid().ToString("N")[..8];

    /// Enrolment, a baseline with item 9 at 0, two sessions and a later PHQ-9 with item 9 at 2 and a total 6 above baseline.
    private static List<WireMessage> CourseWithNewPositiveItem9(CourseFeed feed) =>
    [
        CourseFeed.Message("patient-enrolled", feed.Enrolment(CourseFeed.Start.AddDays(-3))),
        CourseFeed.Message("phq9-completed", feed.Phq9(CourseFeed.Start.AddDays(-1), 2, 2, 2, 2, 2, 2, 2, 1, 0)),
        CourseFeed.Message("treatment-session-given", feed.Session(CourseFeed.Start)),
        CourseFeed.Message("treatment-session-given", feed.Session(CourseFeed.Start.AddDays(3))),
        CourseFeed.Message("phq9-completed", feed.Phq9(CourseFeed.Start.AddDays(3).AddHours(2), 3, 3, 3, 2, 2, 2, 2, 2, 2)),
    ];

    private static Task<JsonArray> WaitForSignals(HttpClient client, string clinic, int count, string query = "") =>
        Eventually.Until(async () => JsonNode.Parse(await client.GetStringAsync($"/api/v1/safety/signals?clinicId={clinic}{query}"))!.AsArray(),
            list => list.Count >= count, $"{count} signals of {clinic}", TimeSpan.FromSeconds(30));

    [Fact]
    public async Task NewPositiveItem9_RaisedOnTheWorklist_AndPublishedToTheClinicsRoutingKey()
    {
        var clinic = NewClinic();
        var factory = new ConnectionFactory { Uri = fixture.Services.RabbitMqUri };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(fixture.Names.SignalsExchange, ExchangeType.Topic, durable: true);
        var queue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
        await channel.QueueBindAsync(queue, fixture.Names.SignalsExchange, $"v1.{clinic}.#");

        var feed = CourseFeed.ForNewPatient(clinic);
        await fixture.Publisher.PublishAll(CourseWithNewPositiveItem9(feed));
        var own = fixture.ClientFor(AccessToken.Roles.Quality, clinic);
        var signals = await WaitForSignals(own, clinic, 3);

        Assert.Equal(["item9-new-positive", "item9-positive", "worsening"], signals.Select(s => (string)s!["signal"]!).Order());
        Assert.All(signals, s => Assert.Equal(feed.PatientKey, (string)s!["patientKey"]!));
        Assert.All(signals, s => Assert.Equal("open", (string)s!["status"]!));

        var routingKeys = new List<string>();
        await Eventually.Until(async () =>
        {
            if (await channel.BasicGetAsync(queue, autoAck: true) is { } delivery)
            {
                routingKeys.Add(delivery.RoutingKey);
                var body = JsonNode.Parse(Encoding.UTF8.GetString(delivery.Body.Span))!;
                Assert.Equal(clinic, (string)body["clinicId"]!);
                Assert.Equal(delivery.BasicProperties.MessageId, (string)body["signalId"]!);
            }
            return routingKeys.Count;
        }, delivered => delivered >= 3, "three signals delivered", TimeSpan.FromSeconds(20));
        Assert.Equal([$"v1.{clinic}.item9-new-positive", $"v1.{clinic}.item9-positive", $"v1.{clinic}.worsening"], routingKeys.Order());

        // Sending the same facts again, and one more fact after them, raises nothing new: once the later fact is stored,
        // every signal the repeats could have raised would be on the list.
        await fixture.Publisher.PublishAll(CourseWithNewPositiveItem9(feed));
        await fixture.Publisher.PublishAll([CourseFeed.Message("treatment-session-given", feed.Session(CourseFeed.Start.AddDays(5)))]);
        await fixture.CourseWith(feed, 6);
        Assert.Equal(3, JsonNode.Parse(await own.GetStringAsync($"/api/v1/safety/signals?clinicId={clinic}"))!.AsArray().Count);
    }

    [Fact]
    public async Task FollowUp_AcknowledgeThenResolve_WithCodedReasons_ByTheClinicOnly()
    {
        var clinic = NewClinic();
        var feed = CourseFeed.ForNewPatient(clinic);
        await fixture.Publisher.PublishAll(CourseWithNewPositiveItem9(feed));
        var own = fixture.ClientFor(AccessToken.Roles.Quality, clinic);
        var signal = (await WaitForSignals(own, clinic, 3)).First(s => (string)s!["signal"]! == "item9-new-positive")!;
        var id = (string)signal["id"]!;

        var freeText = await own.PostAsJsonAsync($"/api/v1/safety/signals/{id}/acknowledge", new { reason = "called Jane at home" });
        Assert.Equal(HttpStatusCode.BadRequest, freeText.StatusCode);
        Assert.Contains("reason", await freeText.Content.ReadAsStringAsync());
        var extra = await own.PostAsJsonAsync($"/api/v1/safety/signals/{id}/acknowledge", new { reason = "seen-by-clinician", note = "x" });
        Assert.Equal(HttpStatusCode.BadRequest, extra.StatusCode);

        var otherClinic = fixture.ClientFor(AccessToken.Roles.Quality, NewClinic());
        Assert.Equal(HttpStatusCode.NotFound,
            (await otherClinic.PostAsJsonAsync($"/api/v1/safety/signals/{id}/acknowledge", new { reason = "seen-by-clinician" })).StatusCode);
        var researcher = fixture.ClientFor(AccessToken.Roles.Researcher, clinic);
        Assert.Equal(HttpStatusCode.Forbidden, (await researcher.GetAsync($"/api/v1/safety/signals?clinicId={clinic}")).StatusCode);

        var acknowledged = await own.PostAsJsonAsync($"/api/v1/safety/signals/{id}/acknowledge", new { reason = "seen-by-clinician" });
        Assert.Equal(HttpStatusCode.OK, acknowledged.StatusCode);
        var again = await own.PostAsJsonAsync($"/api/v1/safety/signals/{id}/acknowledge", new { reason = "seen-by-clinician" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var resolved = JsonNode.Parse(await (await own.PostAsJsonAsync($"/api/v1/safety/signals/{id}/resolve",
            new { reason = "safety-plan-updated" })).Content.ReadAsStringAsync())!;
        Assert.Equal("resolved", (string)resolved["status"]!);
        Assert.Equal("test-quality", (string)resolved["resolvedBy"]!);

        var open = JsonNode.Parse(await own.GetStringAsync($"/api/v1/safety/signals?clinicId={clinic}"))!.AsArray();
        Assert.Equal(2, open.Count);
        Assert.DoesNotContain(open, s => (string)s!["id"]! == id);
        var closed = JsonNode.Parse(await own.GetStringAsync($"/api/v1/safety/signals?clinicId={clinic}&status=resolved"))!.AsArray();
        Assert.Equal(id, (string)Assert.Single(closed)!["id"]!);
        Assert.Equal(2, await StoredFollowUpEvents(id));
    }

    private async Task<long> StoredFollowUpEvents(string id)
    {
        await using var database = Npgsql.NpgsqlDataSource.Create(fixture.Services.PostgresConnection);
        await using var count = database.CreateCommand($"select count(*) from {fixture.Names.Schema}.mt_events where stream_id = $1");
        count.Parameters.Add(new Npgsql.NpgsqlParameter { Value = $"safety-signal/{id}" });
        return (long)(await count.ExecuteScalarAsync())!;
    }
}
