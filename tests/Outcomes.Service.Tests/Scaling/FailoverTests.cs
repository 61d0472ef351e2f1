using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using Outcomes.Cli.Publishing;
using Outcomes.Service.Tests.Fixtures;
using RabbitMQ.Client;

namespace Outcomes.Service.Tests.Scaling;

/// A three-node RabbitMQ cluster on this machine: the one named by OUTCOMES_RABBITMQ_CLUSTER, else one this fixture
/// starts with `scripts/services.sh cluster up` (and stops at the end).
public sealed class ClusterFixture : IAsyncLifetime
{
    public const string ClusterVariable = "OUTCOMES_RABBITMQ_CLUSTER";

    public ServicesFixture Services { get; } = new();
    public string Cluster { get; private set; } = "";
    private bool _started;

    /// Where scripts/services.sh keeps the machine-wide bookkeeping (the cluster's owner among them).
    private static string State => Environment.GetEnvironmentVariable("OUTCOMES_SERVICES_STATE") is { Length: > 0 } state ? state : "/tmp/outcomes-services";

    public async Task InitializeAsync()
    {
        await Services.InitializeAsync();
        if (Environment.GetEnvironmentVariable(ClusterVariable) is { Length: > 0 } cluster)
        {
            Cluster = cluster;
            return;
        }
        var (code, output) = await Scripts.Run("cluster", "up");
        if (code != 0) throw new InvalidOperationException($"scripts/services.sh cluster up failed ({code}):\n{output}");
        _started = output.Contains("started:", StringComparison.Ordinal);
        Cluster = Scripts.EnvValue(ClusterVariable) ?? throw new InvalidOperationException($"cluster up wrote no {ClusterVariable}:\n{output}");
    }

    public async Task DisposeAsync()
    {
        if (_started) await Scripts.Run("cluster", "down");
        await Services.DisposeAsync();
    }

    /// The checkout whose scripts started the running cluster (its nodes' pid files are under its .run/cluster), this one
    /// when it started it or none runs.
    private static string Owner()
    {
        var record = Path.Combine(State, "cluster");
        var owner = File.Exists(record)
            ? File.ReadLines(record).FirstOrDefault(l => l.StartsWith("repo=", StringComparison.Ordinal))?["repo=".Length..]
            : null;
        return owner is { Length: > 0 } && Directory.Exists(owner) ? owner : Scripts.Repository;
    }

    public IReadOnlyList<Uri> Nodes => Cluster.Split(',').Select(u => new Uri(u)).ToArray();

    /// kill -9 of one node's Erlang VM (its pid file is written by the script's node).
    public static void Kill(string node)
    {
        var pidFile = Path.Combine(Owner(), ".run", "cluster", node, "rabbitmq.pid");
        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.GetProcessById(pid);
        process.Kill();
        if (!process.WaitForExit(30_000)) throw new InvalidOperationException($"node {node} (pid {pid}) survived SIGKILL");
    }

    /// Starts whatever node is down again (or only <paramref name="node"/>), from the checkout that started the cluster
    /// (the script restarts only its own nodes); the node rejoins the cluster by itself.
    public static async Task Restart(string? node = null)
    {
        var (code, output) = await Scripts.RunIn(Owner(), node is null ? ["cluster", "up"] : ["cluster", "up", node]);
        if (code != 0) throw new InvalidOperationException($"cluster up failed ({code}):\n{output}");
    }

    /// Each member of a quorum queue as Raft sees it (`scripts/services.sh cluster quorum-status`): its state (leader,
    /// follower, or down) and commit index.
    private static async Task<IReadOnlyList<(string Node, string State, long? Commit)>> QuorumStatus(string queue)
    {
        var (code, output) = await Scripts.RunIn(Owner(), "cluster", "quorum-status", queue);
        var (start, end) = (output.IndexOf('[', StringComparison.Ordinal), output.LastIndexOf(']'));
        if (code != 0 || start < 0 || end < start) return [];
        using var status = System.Text.Json.JsonDocument.Parse(output[start..(end + 1)]);
        return status.RootElement.EnumerateArray().Select(member => (
            member.GetProperty("Node Name").GetString() ?? "",
            member.GetProperty("Raft State") is { ValueKind: System.Text.Json.JsonValueKind.String } state ? state.GetString() ?? "" : "down",
            member.GetProperty("Commit Index") is { ValueKind: System.Text.Json.JsonValueKind.Number } commit ? commit.GetInt64() : (long?)null))
            .ToList();
    }

    /// Every member of the queue a leader or follower at one commit index: the restarted member's replica has rejoined
    /// and caught up, so a majority survives the loss of any one other member. (The test publishes nothing meanwhile.)
    /// The management API's "online" is not enough: it follows a member's node, not its replica, which in full CI runs
    /// came back minutes after the node.
    public static Task AllMembersCaughtUp(string queue) =>
        Eventually.Until(() => QuorumStatus(queue),
            m => m.Count == 3 && m.All(x => x.State is "leader" or "follower") && m[0].Commit is not null && m.All(x => x.Commit == m[0].Commit),
            $"all three members of {queue} caught up (Raft)", TimeSpan.FromMinutes(8));

    /// The node holding a quorum queue's leader ("a", "b" or "c"), from the management API of any node that answers.
    public static async Task<string> LeaderOf(string queue)
    {
        foreach (var port in new[] { 26761, 26762, 26763 })
        {
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
                http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
                    Convert.ToBase64String("guest:guest"u8.ToArray()));
                // RabbitMQ 3.10 repeats a key ("online") in this document, which JsonNode refuses; JsonDocument reads it.
                using var info = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"/api/queues/%2F/{Uri.EscapeDataString(queue)}"));
                var leader = info.RootElement.TryGetProperty("leader", out var l) ? l.GetString()
                    : info.RootElement.TryGetProperty("node", out var n) ? n.GetString() : null;
                if (leader is not null) return leader["outcomes-".Length..leader.IndexOf('@', StringComparison.Ordinal)];
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
        }
        throw new InvalidOperationException($"no node's management API knows {queue}'s leader");
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "rabbitmq-cluster";
}

[Collection(ClusterCollection.Name)]
[Trait("Category", "Slow")]
[Trait("Category", "Cluster")]
public sealed class FailoverTests(ClusterFixture cluster) : IAsyncLifetime
{
    private readonly IsolatedNames _names = IsolatedNames.New();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // Leave the cluster whole for whoever runs next, and nothing of this test behind (IsolatedNames.Delete's work,
        // on the cluster instead of the single node).
        await ClusterFixture.Restart();
        await using (var database = NpgsqlDataSource.Create(cluster.Services.PostgresConnection))
        await using (var drop = database.CreateCommand($"drop schema if exists {_names.Schema} cascade"))
            await drop.ExecuteNonQueryAsync();
        var factory = new ConnectionFactory { Uri = cluster.Nodes[0] };
        await using var connection = await factory.CreateConnectionAsync(cluster.Nodes.Select(n => new AmqpTcpEndpoint(n.Host, n.Port)).ToList());
        await using var channel = await connection.CreateChannelAsync();
        foreach (var queue in new[] { _names.Queue, _names.EnvelopeQueue })
        foreach (var suffix in new[] { "", "_error", "_skipped" })
        {
            await channel.QueueDeleteAsync(queue + suffix);
            await channel.ExchangeDeleteAsync(queue + suffix);
        }
        await channel.ExchangeDeleteAsync(_names.Exchange);
        await channel.ExchangeDeleteAsync(_names.SignalsExchange);
    }

    /// The CLI's publisher (`outcomes demo`, `outcomes fhir publish`) given the cluster's nodes: it resends whatever a
    /// node's death left unconfirmed, on a connection to the next node that answers (a re-sent event id is stored once).
    /// A confirm that does not come while the survivors elect a new queue leader is given up after ConfirmTimeout.
    private async Task<ClinicEventPublisher> Publisher()
    {
        var publisher = await ClinicEventPublisher.ConnectAsync(cluster.Nodes, window: 200, _names.Exchange);
        publisher.ConfirmTimeout = TimeSpan.FromSeconds(20);
        return publisher;
    }

    /// Bounded, so that a publisher stuck on a dead node fails the test instead of holding the run.
    private static async Task PublishConfirmed(ClinicEventPublisher publisher, IEnumerable<WireMessage> messages)
    {
        var outgoing = messages.Select(m => new OutgoingMessage(m.RoutingKey, Encoding.UTF8.GetBytes(m.Json), EventId(m))).ToList();
        var summary = await publisher.PublishAsync(outgoing).WaitAsync(TimeSpan.FromMinutes(6));
        Assert.True(summary.AllConfirmed, summary.ToString());
    }

    private static string EventId(WireMessage message) => (string)JsonNode.Parse(message.Json)!["eventId"]!;

    private static IReadOnlyList<WireMessage> Feed(int patients) =>
        Enumerable.Range(0, patients).SelectMany(_ => CourseFeed.ForNewPatient("clinic-failover").Induction()).ToList();

    private async Task<(long Events, long Distinct)> Stored(IEnumerable<string> eventIds)
    {
        await using var database = NpgsqlDataSource.Create(cluster.Services.PostgresConnection);
        await using var command = database.CreateCommand(
            $"select count(*), count(distinct id) from {_names.Schema}.mt_events where id = any($1)");
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = eventIds.Select(Guid.Parse).ToArray() });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    [Fact]
    public async Task TwoInstances_BrokerNodeKilledThenLeaderKilled_EveryConfirmedFactStoredOnce()
    {
        var settings = new Dictionary<string, string> { ["ConnectionStrings:RabbitMq"] = cluster.Cluster };
        await using var first = new OutcomesHost(cluster.Services, _names, settings);
        await using var second = new OutcomesHost(cluster.Services, _names, settings);
        first.Start();
        second.Start();
        var messages = Feed(60);
        var chunks = messages.Chunk(messages.Count / 6).ToArray();
        await using var publisher = await Publisher();

        await PublishConfirmed(publisher, chunks[0]);
        await PublishConfirmed(publisher, chunks[1]);
        var leader = await ClusterFixture.LeaderOf(_names.Queue);
        var follower = new[] { "a", "b", "c" }.First(n => n != leader);
        ClusterFixture.Kill(follower);
        await PublishConfirmed(publisher, chunks[2]);
        await PublishConfirmed(publisher, chunks[3]);
        await ClusterFixture.Restart();
        await ClusterFixture.AllMembersCaughtUp(_names.Queue);

        leader = await ClusterFixture.LeaderOf(_names.Queue);
        ClusterFixture.Kill(leader);
        foreach (var chunk in chunks.Skip(4)) await PublishConfirmed(publisher, chunk);

        var ids = messages.Select(EventId).ToArray();
        var (events, distinct) = await Eventually.Until(() => Stored(ids), s => s.Events >= ids.Length,
            $"all {ids.Length} confirmed facts stored", TimeSpan.FromMinutes(3));
        Assert.Equal(ids.Length, events);
        Assert.Equal(ids.Length, distinct);
    }

    /// RabbitMQ 3.10 sets up a channel's client of a quorum queue at the channel's first publish to it, from the leader
    /// the queue's record names; when that node is down, the publish is refused and so is every later one on that
    /// channel, even once a new leader is elected and recorded (docs/scaling.md, "The queue leader's kill"). After a
    /// leader's kill that window lasts until its successor is recorded (0.3-0.5 s here); the test holds it open: it
    /// kills the follower too, so the one node left cannot elect a leader, publishes on that node, then brings the
    /// follower back. The publisher's channel is open and unused when the nodes die, as after a reconnection.
    [Fact]
    public async Task LeaderAndFollowerKilled_FirstPublishOnTheLastNode_EveryMessageConfirmedOnceAMajorityIsBack()
    {
        var factory = new ConnectionFactory { Uri = cluster.Nodes[0] };
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.ExchangeDeclareAsync(_names.Exchange, Contracts.WireContract.ExchangeType, durable: true, autoDelete: false);
            await channel.QueueDeclareAsync(_names.Queue, durable: true, exclusive: false, autoDelete: false,
                new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
            await channel.QueueBindAsync(_names.Queue, _names.Exchange, "#");
        }
        string[] nodes = ["a", "b", "c"];
        var leader = await ClusterFixture.LeaderOf(_names.Queue);
        var follower = nodes.First(n => n != leader);
        var last = nodes.Single(n => n != leader && n != follower);
        await using var publisher = await ClinicEventPublisher.ConnectAsync([cluster.Nodes[Array.IndexOf(nodes, last)]], window: 200, _names.Exchange);
        var messages = Enumerable.Range(0, 200).Select(i =>
        {
            var id = Guid.NewGuid().ToString();
            return new OutgoingMessage("v1.clinic-failover.phq9-completed", Encoding.UTF8.GetBytes($"{{\"eventId\":\"{id}\",\"n\":{i}}}"), id);
        }).ToList();

        ClusterFixture.Kill(follower);
        ClusterFixture.Kill(leader);
        // The first publishes leave at once; restarting the follower takes seconds.
        var publishing = publisher.PublishAsync(messages);
        await ClusterFixture.Restart(follower);
        var summary = await publishing.WaitAsync(TimeSpan.FromMinutes(6));

        Assert.True(summary.AllConfirmed, $"{summary} (channels reopened: {publisher.ChannelsReopened})");
    }

    [Fact]
    public async Task ServiceInstanceKilledMidFeed_TheOtherStoresEverything_Once()
    {
        var settings = new Dictionary<string, string> { ["ConnectionStrings:RabbitMq"] = cluster.Cluster };
        await using var survivor = new OutcomesHost(cluster.Services, _names, settings);
        survivor.Start();
        var victim = ServiceInstance.Start(cluster.Services.PostgresConnection, cluster.Cluster, _names);
        try
        {
            await victim.Ready();
            var messages = Feed(60);
            var ids = messages.Select(EventId).ToArray();
            await using var publisher = await Publisher();
            await PublishConfirmed(publisher, messages);
            // Mid-feed: some stored, the rest in flight or waiting, some of it held unacknowledged by the victim.
            await Eventually.Until(() => Stored(ids), s => s.Events >= ids.Length / 4, "a quarter stored");
            victim.Kill();
            var (events, distinct) = await Eventually.Until(() => Stored(ids), s => s.Events >= ids.Length,
                $"all {ids.Length} facts stored after the kill", TimeSpan.FromMinutes(3));
            Assert.Equal(ids.Length, events);
            Assert.Equal(ids.Length, distinct);
        }
        finally
        {
            victim.Kill();
        }
    }

    /// The service in its own process (as deployed), so that it can be killed with SIGKILL mid-batch.
    private sealed class ServiceInstance
    {
        private readonly Process _process;
        private readonly Uri _address;

        private ServiceInstance(Process process, Uri address)
        {
            _process = process;
            _address = address;
        }

        public static ServiceInstance Start(string postgres, string rabbitMq, IsolatedNames names)
        {
            var dll = Path.Combine(Scripts.Repository, "src", "Outcomes.Service", "bin", Configuration, "net10.0", "Outcomes.Service.dll");
            var port = FreePort();
            var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)!, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(dll);
            start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
            start.Environment["ConnectionStrings__Outcomes"] = postgres;
            start.Environment["ConnectionStrings__RabbitMq"] = rabbitMq;
            start.Environment["EventStore__Schema"] = names.Schema;
            start.Environment["Ingestion__Exchange"] = names.Exchange;
            start.Environment["Ingestion__Queue"] = names.Queue;
            start.Environment["Ingestion__EnvelopeQueue"] = names.EnvelopeQueue;
            start.Environment["Safety__Exchange"] = names.SignalsExchange;
            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return new ServiceInstance(process, new Uri($"http://127.0.0.1:{port}"));
        }

        private static string Configuration => AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";

        public async Task Ready()
        {
            using var http = new HttpClient { BaseAddress = _address, Timeout = TimeSpan.FromSeconds(5) };
            await Eventually.Until(async () =>
            {
                if (_process.HasExited) throw new InvalidOperationException($"the service instance exited with {_process.ExitCode}");
                try
                {
                    return (await http.GetAsync("/health/ready")).StatusCode;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    return HttpStatusCode.ServiceUnavailable;
                }
            }, s => s == HttpStatusCode.OK, "the second instance ready", TimeSpan.FromMinutes(2));
        }

        public void Kill()
        {
            if (!_process.HasExited) _process.Kill();
            _process.WaitForExit(30_000);
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
