using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MassTransit;
using Outcomes.Contracts;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.Ingestion;

[Collection(IngestionCollection.Name)]
public sealed class IngestionTests(IngestionFixture fixture)
{
    [Fact]
    public async Task PlainAmqpJsonFeed_StoredOnceAndProjected()
    {
        var feed = CourseFeed.ForNewPatient();
        var messages = feed.Induction();

        await fixture.Publisher.PublishAll(messages);

        var course = await fixture.CourseWith(feed, messages.Count);
        Assert.Equal(messages.Count, course.FactCount);
        Assert.Equal(messages.Count, await IngestionFixture.StoredEventCount(fixture.Host, feed));
        Assert.NotNull(course.Enrolment);
        Assert.Equal(3, course.Enrolment!.PriorFailedTrials);
        Assert.Equal(6, course.Sessions.Count);
        Assert.Equal([18, 13, 7, 4], course.Phq9Scores.Select(s => s.Total));
        Assert.Equal(1, course.Phq9Scores[0].Item9);
        Assert.Equal(Domain.Courses.CourseEndReason.Completed, course.Ended?.Reason);
        Assert.True(course.Sessions.Zip(course.Sessions.Skip(1)).All(p => p.First.GivenAt <= p.Second.GivenAt));
    }

    [Fact]
    public async Task MassTransitEnvelopeFeed_StoredOnceAndProjected()
    {
        var feed = CourseFeed.ForNewPatient();
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(fixture.Services.RabbitMqUri));
        await bus.StartAsync();
        try
        {
            // Sent to this host's envelope endpoint (the exchange MassTransit names after its queue), not published: a
            // publish reaches every queue bound to the contract's type exchanges, those of other test hosts and of any
            // service that ever ran on this broker. EnvelopeQueue_BoundToTheContractsTypeExchanges covers that binding.
            var endpoint = await bus.GetSendEndpoint(new Uri($"exchange:{fixture.Names.EnvelopeQueue}"));
            var at = CourseFeed.Start;
            await endpoint.Send(new PatientEnrolled(Guid.NewGuid(), feed.ClinicId, feed.PatientKey, at.AddDays(-2), AgeBand.From25To34,
                Sex.Male, DiagnosisGroup.MajorDepressiveDisorder, 2, Modality.IntranasalEsketamine, at.Year));
            await endpoint.Send(new TreatmentSessionGiven(Guid.NewGuid(), feed.ClinicId, feed.PatientKey, at, Modality.IntranasalEsketamine,
                56m, DoseUnit.Milligrams, Route.Intranasal));
            await endpoint.Send(new Phq9Completed(Guid.NewGuid(), feed.ClinicId, feed.PatientKey, at.AddDays(-1), Total: 21));
            await endpoint.Send(new CourseEnded(Guid.NewGuid(), feed.ClinicId, feed.PatientKey, at.AddDays(9), CourseEndReason.LostToFollowUp));

            var course = await fixture.CourseWith(feed, 4);
            Assert.Equal(4, await IngestionFixture.StoredEventCount(fixture.Host, feed));
            Assert.Equal(Domain.Courses.Modality.IntranasalEsketamine, course.Enrolment?.Modality);
            Assert.Equal(56m, Assert.Single(course.Sessions).Dose);
            var score = Assert.Single(course.Phq9Scores);
            Assert.True(score.TotalOnly);
            Assert.Equal(21, score.Total);
            Assert.Null(score.Item9);
            Assert.Equal(Domain.Courses.CourseEndReason.LostToFollowUp, course.Ended?.Reason);
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    [Fact]
    public async Task EnvelopeQueue_BoundToTheContractsTypeExchanges()
    {
        // What `bus.Publish(new Phq9Completed(...))` needs (README): each contract type's exchange, as MassTransit names it,
        // bound to the envelope endpoint's exchange. Asked of the broker's management API, so nothing is published.
        var management = fixture.Services.RabbitMqManagement
            ?? throw new InvalidOperationException($"set {ServicesFixture.ManagementVariable} (scripts/services.sh exports it)");
        using var http = new HttpClient { BaseAddress = management };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String("guest:guest"u8.ToArray()));

        var bindings = await http.GetFromJsonAsync<List<JsonObject>>(
            $"/api/exchanges/%2F/{Uri.EscapeDataString(fixture.Names.EnvelopeQueue)}/bindings/destination");

        var sources = bindings!.Select(b => (string?)b["source"]).ToHashSet();
        Assert.Superset(
            new HashSet<string?>(WireContract.MessageTypes.Values.Select(t => $"{t.Namespace}:{t.Name}")),
            sources);
    }

    [Fact]
    public async Task SameEventIdTwice_StoredOnce()
    {
        var feed = CourseFeed.ForNewPatient();
        var first = CourseFeed.Message("phq9-completed", feed.Phq9(CourseFeed.Start, 1, 1, 1, 1, 1, 1, 1, 1, 1));
        var later = CourseFeed.Message("phq9-completed", feed.Phq9Total(CourseFeed.Start.AddDays(1), 5));

        await fixture.Publisher.PublishAll([first, first, later, first]);

        await fixture.CourseWith(feed, 2);
        // The later message was processed after the repeats, so no further copy can still be in flight.
        Assert.Equal(2, await IngestionFixture.StoredEventCount(fixture.Host, feed));
        Assert.Equal([9, 5], (await fixture.Course(feed))!.Phq9Scores.Select(s => s.Total));
    }

    [Fact]
    public async Task ShuffledAndRepeatedFeed_SameStateAsOrderedFeed()
    {
        var ordered = CourseFeed.ForNewPatient();
        var shuffled = new CourseFeed(ordered.ClinicId, ordered.PatientKey + "x1");
        var orderedMessages = ordered.Induction();
        // The same facts (same times and values) for another patient, with their own event ids.
        var shuffledMessages = orderedMessages
            .Select(m => m with { Json = m.Json.Replace(ordered.PatientKey, shuffled.PatientKey) })
            .Select(m => WithNewEventId(m))
            .ToList();
        var random = new Random(20261126);
        var delivered = shuffledMessages.Concat(shuffledMessages.Take(4)).OrderBy(_ => random.Next()).ToList();

        await fixture.Publisher.PublishAll(orderedMessages);
        await fixture.Publisher.PublishAll(delivered);

        var a = await fixture.CourseWith(ordered, orderedMessages.Count);
        var b = await fixture.CourseWith(shuffled, orderedMessages.Count);
        Assert.Equal(orderedMessages.Count, await IngestionFixture.StoredEventCount(fixture.Host, shuffled));
        // The same facts, each stored under its own event id.
        Assert.Equal(a.Enrolment?.AsFact(), b.Enrolment?.AsFact());
        Assert.Equal(a.Ended?.AsFact(), b.Ended?.AsFact());
        Assert.Equal(a.Sessions.Select(s => (s.GivenAt, s.Dose)), b.Sessions.Select(s => (s.GivenAt, s.Dose)));
        Assert.Equal(a.Phq9Scores.Select(s => (s.CompletedAt, s.Total, s.Item9)), b.Phq9Scores.Select(s => (s.CompletedAt, s.Total, s.Item9)));
    }

    private static WireMessage WithNewEventId(WireMessage message)
    {
        var body = JsonNode.Parse(message.Json)!.AsObject();
        body["eventId"] = Guid.NewGuid().ToString();
        return message with { Json = body.ToJsonString() };
    }
}
