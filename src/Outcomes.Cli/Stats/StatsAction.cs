using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Text.Json;

namespace Outcomes.Cli.Stats;

/// <summary>
/// Runs one <c>outcomes stats</c> analysis: its report goes to standard output as JSON; option errors, bad input and
/// warnings go to standard error, every line through <see cref="Printable.Line"/>, the one place where text from the
/// input reaches the terminal; exit code 0, or <see cref="InputError"/> for anything the user must fix.
/// </summary>
/// <param name="analyse">Computes the report from the parsed options; gives each warning to the given action.</param>
internal sealed class StatsAction(Func<ParseResult, Action<string>, object> analyse) : SynchronousCommandLineAction
{
    /// <summary>Exit code for bad options or bad input.</summary>
    public const int InputError = 2;

    /// <summary>Indented camelCase; null values written as null; doubles in System.Text.Json's shortest round-trip form.</summary>
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    // System.CommandLine's own parse-error handler exits with 1 and prints help to standard output, where a script
    // expects JSON; clearing the command's errors makes it call this action, which reports them itself.
    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        var output = parseResult.InvocationConfiguration.Output;
        var errorWriter = parseResult.InvocationConfiguration.Error;
        void Error(string line) => errorWriter.WriteLine(Printable.Line(line));

        // Errors on the command itself (unrecognised tokens) are the ones the parser cleared; the options' remain.
        var problems = parseResult.Errors.Select(e => e.Message)
            .Concat(parseResult.UnmatchedTokens.Select(token => $"Unrecognized command or argument '{token}'."))
            .ToList();
        if (problems.Count > 0)
        {
            foreach (var problem in problems) Error(problem);
            Error($"See '{CommandPath(parseResult)} --help'.");
            return InputError;
        }

        object report;
        try
        {
            report = analyse(parseResult, warning => Error($"warning: {warning}"));
        }
        catch (StatsInputException e)
        {
            Error($"error: {e.Message}");
            return InputError;
        }
        catch (ArgumentException e)
        {
            // The statistics library states the rule an argument broke; for the CLI that argument came from the input.
            var message = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
            Error($"error: {message}");
            return InputError;
        }
        output.WriteLine(JsonSerializer.Serialize(report, report.GetType(), Json));
        return 0;
    }

    private static string CommandPath(ParseResult parseResult)
    {
        var names = new List<string>();
        for (var result = parseResult.CommandResult; result.Parent is CommandResult parent; result = parent)
            names.Add(result.Command.Name);
        names.Add("outcomes");
        names.Reverse();
        return string.Join(' ', names);
    }
}
