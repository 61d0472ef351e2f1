using System.Net;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.Ingestion;

/// Readiness follows the broker (issue 12 point 2: it answered 200 "Degraded" for as long as RabbitMQ was down).
[Collection(PoisonCollection.Name)]
public sealed class ReadinessTests(ServicesFixture services) : IAsyncLifetime
{
    private readonly IsolatedNames _names = IsolatedNames.New();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _names.Delete(services);

    private static string Describe(HttpResponseMessage response) => response.Content.ReadAsStringAsync().GetAwaiter().GetResult();

    [Fact]
    public async Task BrokerAway_Ready503_BrokerBack_Ready200()
    {
        await using var relay = new TcpRelay(services.RabbitMqUri.Host, services.RabbitMqUri.Port);
        var throughRelay = new UriBuilder(services.RabbitMqUri) { Port = relay.Port }.Uri;
        await using var host = new OutcomesHost(services, _names, new Dictionary<string, string> { ["ConnectionStrings:RabbitMq"] = throughRelay.ToString() });
        var client = host.Start();
        await Eventually.Until(() => client.GetAsync("/health/ready"), r => r.StatusCode == HttpStatusCode.OK, "ready with the broker",
            TimeSpan.FromSeconds(30));

        relay.Cut();
        var down = await Eventually.Until(() => client.GetAsync("/health/ready"), r => r.StatusCode != HttpStatusCode.OK || Describe(r).Contains("Degraded"), "not ready without the broker",
            TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Matches("Unhealthy|Degraded", await down.Content.ReadAsStringAsync());

        relay.Restore();
        await Eventually.Until(() => client.GetAsync("/health/ready"), r => r.StatusCode == HttpStatusCode.OK, "ready again", TimeSpan.FromSeconds(60));
    }
}
