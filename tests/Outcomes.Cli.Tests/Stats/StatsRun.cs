using System.CommandLine;
using System.Text.Json;
using Outcomes.Cli.Stats;
using Outcomes.Statistics.Tests.Validation;

namespace Outcomes.Cli.Tests.Stats;

/// One in-process run of `outcomes stats ...` with standard output and error captured.
internal sealed record StatsRun(int ExitCode, string Output, string Error)
{
    public static StatsRun Of(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = new RootCommand { StatsCommand.Create() }.Parse(["stats", .. args])
            .Invoke(new InvocationConfiguration { Output = output, Error = error });
        return new StatsRun(exit, output.ToString(), error.ToString());
    }

    /// A validation data file written by the R scripts.
    public static string Data(string file) => Path.Combine(RReference.ValidationFolder, file);

    /// The JSON report of a run that must have succeeded.
    public JsonElement Json()
    {
        Assert.True(ExitCode == 0, $"exit code {ExitCode}: {Error}");
        return JsonDocument.Parse(Output).RootElement;
    }
}

internal static class JsonNumbers
{
    /// A number or null; any other kind of value fails the test.
    public static double? Number(this JsonElement element, string property)
    {
        var value = element.GetProperty(property);
        if (value.ValueKind == JsonValueKind.Null) return null;
        Assert.Equal(JsonValueKind.Number, value.ValueKind);
        return value.GetDouble();
    }

    public static int Integer(this JsonElement element, string property) => element.GetProperty(property).GetInt32();

    public static string[] PropertyNames(this JsonElement element) => [.. element.EnumerateObject().Select(p => p.Name)];
}
