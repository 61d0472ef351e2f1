using System.CommandLine;
using System.Globalization;

namespace Outcomes.Cli.Stats;

/// <summary>Options shared by the <c>outcomes stats</c> commands, so each reads and checks them the same way.</summary>
internal static class StatsOptions
{
    public static Option<string> Csv() => new("--csv")
    {
        Description = "CSV file (RFC 4180, UTF-8) whose first line names the columns",
        HelpName = "file",
        Required = true,
    };

    public static Option<string> Column(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "column",
        Required = true,
    };

    public static Option<string> Time() => Column("--time", "Column of times to event or censoring (numbers >= 0)");

    public static Option<string> Event() => Column("--event", "Column of event indicators: 1 = event, 0 = censored");

    public static Option<double> ConfidenceLevel() => new("--conf-level")
    {
        Description = "Confidence level of the intervals, between 0 and 1",
        HelpName = "level",
        DefaultValueFactory = _ => 0.95,
        // A parser rather than a validator: a validator reading an unparsable value throws instead of reporting it.
        CustomParser = result =>
        {
            var text = result.Tokens.Single().Value;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var level) && level is > 0 and < 1)
                return level;
            result.AddError($"--conf-level must be a number between 0 and 1 (exclusive), e.g. 0.95; got '{text}'");
            return 0;
        },
    };

    /// <summary>An option taking one of a fixed set of words, the first of them by default.</summary>
    public static Option<string> OneOf(string name, string description, params string[] values)
    {
        var option = new Option<string>(name)
        {
            Description = description,
            DefaultValueFactory = _ => values[0],
        };
        return option.AcceptOnlyFromAmong(values);
    }

    /// <summary>A comma-separated list of names, e.g. <c>age,sex</c>: none empty, none repeated.</summary>
    public static Option<string[]> Names(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "columns",
        Required = true,
        CustomParser = result =>
        {
            var text = result.Tokens.Single().Value;
            var names = text.Split(',', StringSplitOptions.TrimEntries);
            if (names.Any(n => n.Length == 0))
            {
                result.AddError($"{name} must be a comma-separated list of column names, got '{text}'");
                return [];
            }
            if (names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } repeated)
            {
                result.AddError($"{name} names '{repeated.Key}' twice");
                return [];
            }
            return names;
        },
    };

    /// <summary>A comma-separated list of times, e.g. <c>30,60,90</c>: numbers >= 0.</summary>
    public static Option<double[]?> Times(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "times",
        CustomParser = result =>
        {
            var text = result.Tokens.Single().Value;
            var times = new List<double>();
            foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
            {
                if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var time) || !double.IsFinite(time) || time < 0)
                {
                    result.AddError($"{name} must be a comma-separated list of times >= 0, e.g. 30,60,90; '{part}' is not one");
                    return null;
                }
                times.Add(time);
            }
            return [.. times];
        },
    };

    public static Option<int> Count(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "count",
        Required = true,
        CustomParser = result =>
        {
            var text = result.Tokens.Single().Value;
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) && count >= 0)
                return count;
            result.AddError($"{name} must be a whole number 0 or more, got '{text}'");
            return 0;
        },
    };
}
