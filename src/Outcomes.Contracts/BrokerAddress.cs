namespace Outcomes.Contracts;

/// <summary>
/// How the broker is named wherever a publisher or the service is told where it is: one amqp:// (or amqps://) URI, or
/// several separated by commas for the nodes of one cluster
/// ("amqp://guest:guest@10.0.0.1:5672/,amqp://guest:guest@10.0.0.2:5672/"). The first URI gives the credentials and
/// virtual host; every URI gives a node to connect to, the next tried when one is down.
/// </summary>
public static class BrokerAddress
{
    /// <summary>The environment variable (ASP.NET Core's form of ConnectionStrings:RabbitMq) the service and the CLI read.</summary>
    public const string EnvironmentVariable = "ConnectionStrings__RabbitMq";

    /// <summary>What an address is, for messages that say what was expected.</summary>
    public const string Expected = "an amqp:// or amqps:// URI, or several separated by commas for the nodes of one cluster";

    /// <summary>The node URIs, in order; null with the reason when <paramref name="text"/> is not such an address.</summary>
    public static IReadOnlyList<Uri>? Parse(string? text, out string? problem)
    {
        problem = null;
        var entries = (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (entries.Length == 0)
        {
            problem = $"must be {Expected}; it is empty";
            return null;
        }
        var nodes = new List<Uri>(entries.Length);
        foreach (var entry in entries)
        {
            if (!Uri.TryCreate(entry, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
            {
                problem = $"each comma-separated entry must be an amqp:// or amqps:// URI, got '{Redacted(entry)}'";
                return null;
            }
            nodes.Add(uri);
        }
        return nodes;
    }

    /// <summary>A node's port: the URI's, else AMQP's default for its scheme.</summary>
    public static int PortOf(Uri node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.IsDefaultPort || node.Port < 0 ? (node.Scheme == "amqps" ? 5671 : 5672) : node.Port;
    }

    /// <summary>Host and port of every node, for messages: never the credentials.</summary>
    public static string Describe(IReadOnlyList<Uri> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        return string.Join(", ", nodes.Select(n => $"{n.Host}:{PortOf(n)}"));
    }

    // A URI that does not parse may still hold a password; never echo more than its scheme.
    private static string Redacted(string text) =>
        text.Contains('@', StringComparison.Ordinal) && text.Contains(':', StringComparison.Ordinal)
            ? text[..text.IndexOf(':', StringComparison.Ordinal)] + "://…"
            : text;
}
