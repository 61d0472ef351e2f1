using System.CommandLine;
using System.Net;
using Outcomes.Cli;
using Outcomes.Cli.Tokens;

namespace Outcomes.Cli.Tests;

/// `outcomes` itself: a wrong word gets one line, an unreachable service one line, a refusal its reason.
public sealed class CommandLineTests
{
    private static RootCommand Root(Func<Task<int>>? action = null)
    {
        var fetch = new Command("fetch", "Fetch something");
        fetch.SetAction(async (_, _) => action is null ? 0 : await action());
        return new RootCommand("test") { fetch, new Command("other", "Other") };
    }

    [Fact]
    public async Task UnknownCommand_OneLineNamingItAndTheCommands_NoHelpText()
    {
        var error = new StringWriter();

        var exit = await CommandLine.RunAsync(Root(), ["bogus"], error);

        Assert.Equal(1, exit);
        Assert.Equal("outcomes: 'bogus' is not a command. Commands: fetch, other. 'outcomes COMMAND --help' describes one.", error.ToString().Trim());
    }

    [Fact]
    public async Task UnknownRootOption_OneLine()
    {
        var error = new StringWriter();

        Assert.Equal(1, await CommandLine.RunAsync(Root(), ["--frobnicate"], error));
        Assert.Single(error.ToString().Trim().Split('\n'));
        Assert.StartsWith("outcomes: unknown option '--frobnicate'.", error.ToString());
    }

    [Fact]
    public async Task UnreachableService_OneLineWithTheReason_NoStackTrace()
    {
        var error = new StringWriter();
        using var http = new HttpClient { BaseAddress = new Uri("http://127.0.0.1:1/") };

        var exit = await CommandLine.RunAsync(Root(async () => (int)(await http.GetAsync("x")).StatusCode), ["fetch"], error);

        Assert.Equal(1, exit);
        var text = error.ToString().Trim();
        Assert.Single(text.Split('\n'));
        Assert.StartsWith("error: the service could not be reached: ", text);
        Assert.Contains("127.0.0.1:1", text);
        Assert.DoesNotContain(" at ", text);
    }

    private static string TokenFor(string role, string clinics) => new TokenRequest
    {
        Subject = "ann",
        Roles = [role],
        Clinics = clinics.Split(','),
    }.Issue(new string('k', 40), DateTimeOffset.UtcNow);

    [Fact]
    public void Forbidden_WithoutABody_SaysWhatIsNeededAndWhatTheTokenHas()
    {
        var line = ServiceRefusal.Describe(HttpStatusCode.Forbidden, "", TokenFor("quality", "clinic-a"), "an export needs the researcher or admin role");

        Assert.StartsWith("error: 403 Forbidden: an export needs the researcher or admin role; the token has roles quality; clinics clinic-a; expires ", line);
    }

    [Fact]
    public void Forbidden_WithAProblem_GivesTheServicesReason()
    {
        var line = ServiceRefusal.Describe(HttpStatusCode.Forbidden,
            """{"title":"Not among your clinics","detail":"clinic 'clinic-z' is outside the caller's clinic scope","status":403}""",
            TokenFor("researcher", "clinic-a,clinic-b"), "unused");

        Assert.StartsWith("error: 403 Forbidden: Not among your clinics: clinic 'clinic-z' is outside the caller's clinic scope (token: roles researcher; " +
                          "clinics clinic-a, clinic-b; expires ", line);
    }

    [Fact]
    public void Unauthorized_SaysTheTokenWasNotAccepted_AndHowToGetOne()
    {
        var line = ServiceRefusal.Describe(HttpStatusCode.Unauthorized, "", "not-a-token", "unused");

        Assert.Contains("did not accept the token (something that is not a JWT)", line);
        Assert.Contains("outcomes token", line);
    }

    [Fact]
    public void BadRequest_NamesTheFieldFromTheProblem()
    {
        var line = ServiceRefusal.Describe(HttpStatusCode.BadRequest,
            """{"title":"format: must be csv or parquet","status":400}""", TokenFor("researcher", "clinic-a"), "unused");

        Assert.Equal("error: 400 BadRequest: format: must be csv or parquet", line);
    }
}
