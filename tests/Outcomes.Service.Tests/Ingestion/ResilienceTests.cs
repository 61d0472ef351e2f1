using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.Ingestion;

[CollectionDefinition(Name)]
public sealed class ResilienceCollection : ICollectionFixture<ServicesFixture>
{
    public const string Name = "ingestion-resilience";
}

/// Each test runs its own service instances over its own topology and schema.
[Collection(ResilienceCollection.Name)]
public sealed class ResilienceTests(ServicesFixture services) : IAsyncLifetime
{
    private readonly IsolatedNames _names = IsolatedNames.New();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _names.Delete(services);

    [Fact]
    public async Task ServiceStoppedWhilePublishing_NothingLostAfterRestart()
    {
        var feeds = Enumerable.Range(0, 20).Select(_ => CourseFeed.ForNewPatient()).ToList();
        var messages = feeds.SelectMany(f => f.Induction()).ToList();
        await using var publisher = await AmqpPublisher.Connect(services.RabbitMqUri, _names.Exchange);

        // The first run declares the durable topology; then the service goes down mid-stream.
        var first = new OutcomesHost(services, _names);
        var firstClient = first.Start();
        await publisher.PublishAll(messages.Take(50));
        await Eventually.Until(() => IngestionFixture.CourseOf(firstClient, feeds[0]), c => c is not null, "the first facts stored");
        await first.DisposeAsync();

        await publisher.PublishAll(messages.Skip(50));

        await using var second = new OutcomesHost(services, _names);
        var client = second.Start();
        foreach (var feed in feeds)
        {
            var course = await Eventually.Until(() => IngestionFixture.CourseOf(client, feed), c => c?.FactCount >= 12,
                $"all facts for {feed.PatientKey}");
            Assert.Equal(12, course!.FactCount);
            Assert.Equal(12, await IngestionFixture.StoredEventCount(second, feed));
            Assert.Equal(6, course.Sessions.Count);
            Assert.Equal(4, course.Phq9Scores.Count);
        }
    }

    [Fact]
    public async Task TwoInstancesOnOneQueue_ProjectionsExact()
    {
        var feeds = Enumerable.Range(0, 40).Select(_ => CourseFeed.ForNewPatient()).ToList();
        // Many facts per course, interleaved across courses, so both instances see every course.
        var random = new Random(7);
        var messages = feeds.SelectMany(f => f.Induction().Concat(ExtraScores(f, 20))).OrderBy(_ => random.Next()).ToList();

        await using var a = new OutcomesHost(services, _names);
        await using var b = new OutcomesHost(services, _names);
        var clientA = a.Start();
        b.Start();
        await using var publisher = await AmqpPublisher.Connect(services.RabbitMqUri, _names.Exchange);
        await publisher.PublishAll(messages);

        foreach (var feed in feeds)
        {
            var course = await Eventually.Until(() => IngestionFixture.CourseOf(clientA, feed), c => c?.FactCount >= 32,
                $"all facts for {feed.PatientKey}");
            Assert.Equal(32, course!.FactCount);
            Assert.Equal(32, await IngestionFixture.StoredEventCount(a, feed));
            Assert.Equal(24, course.Phq9Scores.Count);
            Assert.Equal(course.Phq9Scores.OrderBy(s => s.CompletedAt).ThenBy(s => s.EventId).Select(s => s.EventId),
                course.Phq9Scores.Select(s => s.EventId));
        }
    }

    private static IEnumerable<WireMessage> ExtraScores(CourseFeed feed, int count) =>
        Enumerable.Range(0, count).Select(i =>
            CourseFeed.Message("phq9-completed", feed.Phq9Total(CourseFeed.Start.AddDays(21 + i), 5 + i % 10)));
}
