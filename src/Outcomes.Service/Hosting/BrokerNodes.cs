using Outcomes.Contracts;
using RabbitMQ.Client;

namespace Outcomes.Service.Hosting;

/// The broker as configured in ConnectionStrings:RabbitMq, a BrokerAddress (one URI, or one per cluster node).
public sealed record BrokerNodes(Uri First, IReadOnlyList<(string Host, int Port)> Nodes)
{
    public static BrokerNodes Parse(string configured)
    {
        ArgumentNullException.ThrowIfNull(configured);
        var uris = BrokerAddress.Parse(configured, out var problem)
            ?? throw new InvalidOperationException($"ConnectionStrings:RabbitMq: {problem}");
        return new BrokerNodes(uris[0], uris.Select(u => (u.Host, BrokerAddress.PortOf(u))).ToArray());
    }

    public bool IsCluster => Nodes.Count > 1;

    /// A RabbitMQ.Client connection that tries the nodes in order. Without automatic recovery, a lost connection stays
    /// lost: for a publisher that reconnects itself, because recovery reopens channels but does not resend the publishes
    /// whose confirms were lost with the old connection.
    public Task<IConnection> ConnectAsync(string clientName, CancellationToken cancellationToken, bool automaticRecovery = true)
    {
        var factory = new ConnectionFactory { Uri = First, ClientProvidedName = clientName, AutomaticRecoveryEnabled = automaticRecovery };
        return factory.CreateConnectionAsync(Nodes.Select(n => new AmqpTcpEndpoint(n.Host, n.Port)).ToList(), cancellationToken);
    }
}
