using RabbitMQ.Client;

namespace Outcomes.Service.Hosting;

/// The broker as configured: one amqp:// URI, or several separated by commas for the nodes of one cluster
/// ("amqp://guest:guest@10.0.0.1:5672/,amqp://guest:guest@10.0.0.2:5672/"). The first URI gives the
/// credentials and virtual host; every URI gives a node to connect to, tried in order when one is down.
public sealed record BrokerNodes(Uri First, IReadOnlyList<(string Host, int Port)> Nodes)
{
    public static BrokerNodes Parse(string configured)
    {
        ArgumentNullException.ThrowIfNull(configured);
        var uris = configured.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(text => Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "amqp" or "amqps" ? uri
                : throw new InvalidOperationException($"ConnectionStrings:RabbitMq: each comma-separated entry must be an amqp:// URI, got '{Redacted(text)}'"))
            .ToArray();
        if (uris.Length == 0)
            throw new InvalidOperationException("ConnectionStrings:RabbitMq: must name at least one amqp:// URI");
        return new BrokerNodes(uris[0], uris.Select(u => (u.Host, u.IsDefaultPort || u.Port < 0 ? (u.Scheme == "amqps" ? 5671 : 5672) : u.Port)).ToArray());
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

    // A URI that does not parse may still hold a password; never echo more than its scheme.
    private static string Redacted(string text) => text.Contains('@', StringComparison.Ordinal) ? text[..text.IndexOf(':', StringComparison.Ordinal)] + "://…" : text;
}
