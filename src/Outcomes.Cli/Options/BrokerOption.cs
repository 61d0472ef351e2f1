using System.CommandLine;
using Outcomes.Contracts;

namespace Outcomes.Cli.Options;

/// `--amqp`: the broker of the commands that publish over AMQP, a BrokerAddress (one URI, or one per cluster node),
/// else the ConnectionStrings__RabbitMq environment variable as the service reads it.
public static class BrokerOption
{
    public static Option<IReadOnlyList<Uri>?> Create() => new("--amqp")
    {
        Description = $"The broker: {BrokerAddress.Expected}, e.g. amqp://user:password@host:5672/ " +
            $"(default: the {BrokerAddress.EnvironmentVariable} environment variable)",
        CustomParser = result =>
        {
            var text = result.Tokens.Single().Value;
            if (BrokerAddress.Parse(text, out var problem) is { } nodes) return nodes;
            result.AddError($"--amqp {problem}");
            return null;
        },
    };

    /// The nodes given by the option, else by the environment; null with what to do when neither names a broker.
    public static IReadOnlyList<Uri>? Resolve(ParseResult parse, Option<IReadOnlyList<Uri>?> option, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(parse);
        problem = null;
        if (parse.GetValue(option) is { } given) return given;
        var configured = Environment.GetEnvironmentVariable(BrokerAddress.EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(configured))
        {
            problem = $"No broker given: pass --amqp amqp://user:password@host:port/ or set {BrokerAddress.EnvironmentVariable}.";
            return null;
        }
        var nodes = BrokerAddress.Parse(configured, out var why);
        if (nodes is null) problem = $"{BrokerAddress.EnvironmentVariable}: {why}";
        return nodes;
    }
}
