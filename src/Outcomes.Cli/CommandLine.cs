using System.CommandLine;

namespace Outcomes.Cli;

/// <summary>
/// How `outcomes` runs a command line: a word that is no command gets one line saying so and naming the commands
/// (not the whole help), and a service that cannot be reached is one line, never a stack trace.
/// </summary>
public static class CommandLine
{
    public static async Task<int> RunAsync(RootCommand root, string[] args, TextWriter? error = null)
    {
        error ??= Console.Error;
        var parse = root.Parse(args);
        if (args.Length > 0 && parse.Errors.Count > 0 && parse.CommandResult.Command == root)
        {
            error.WriteLine(RootProblem(root, parse));
            return 1;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Error = error });
        }
        catch (HttpRequestException e)
        {
            error.WriteLine($"error: {Unreachable(e)}");
            return 1;
        }
        catch (TaskCanceledException e) when (e.InnerException is TimeoutException)
        {
            error.WriteLine("error: the service did not answer in time");
            return 1;
        }
    }

    /// The first word is no command (or an option the root does not have): say which, and what the commands are.
    internal static string RootProblem(RootCommand root, ParseResult parse)
    {
        var commands = string.Join(", ", root.Subcommands.Where(c => !c.Hidden).Select(c => c.Name));
        var unknown = parse.UnmatchedTokens.FirstOrDefault() ?? parse.Tokens.FirstOrDefault()?.Value;
        var what = unknown is { Length: > 0 } word && word.StartsWith('-')
            ? $"unknown option '{word}'"
            : $"'{unknown}' is not a command";
        return $"outcomes: {what}. Commands: {commands}. 'outcomes COMMAND --help' describes one.";
    }

    /// Why a request never got an answer, in one line: the system's reason and the address it tried.
    internal static string Unreachable(HttpRequestException e) => $"the service could not be reached: {e.Message}";
}
