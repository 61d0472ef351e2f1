namespace Outcomes.Cli.Tests.Stats;

/// Option errors: exit code 2 (not System.CommandLine's 1), System.CommandLine's message on standard error,
/// nothing on standard output (where a script expects JSON).
public class StatsActionTests
{
    private static readonly string Aml = StatsRun.Data("km-aml.csv");

    public static TheoryData<string[], string> BadOptions() => new()
    {
        { ["km", "--csv", Aml, "--event", "status"], "Option '--time' is required." },
        { ["km", "--time", "time", "--event", "status"], "Option '--csv' is required." },
        { ["km", "--csv", Aml, "--time", "time", "--event", "status", "--conf-level", "1"], "--conf-level must be a number between 0 and 1" },
        { ["km", "--csv", Aml, "--time", "time", "--event", "status", "--conf-level", "abc"], "--conf-level must be a number between 0 and 1" },
        { ["km", "--csv", Aml, "--time", "time", "--event", "status", "--conf-level"], "Required argument missing for option: '--conf-level'." },
        { ["km", "--csv", Aml, "--time", "time", "--event", "status", "--conf-type", "arcsin"], "Argument 'arcsin' not recognized." },
        { ["km", "--csv", Aml, "--time", "time", "--event", "status", "--at", "30,x"], "--at must be a comma-separated list of times >= 0" },
        { ["km", "--csv", Aml, "--time", "time", "--event", "status", "--at", "-1"], "--at must be a comma-separated list of times >= 0" },
        { ["km", "--csv", Aml, "--time", "time", "--event", "status", "--bogus"], "Unrecognized command or argument '--bogus'." },
        { ["km", "--csv", Aml, "extra.csv", "--time", "time", "--event", "status"], "Unrecognized command or argument 'extra.csv'." },
        { ["logrank", "--csv", Aml, "--time", "time", "--event", "status"], "Option '--group' is required." },
        { ["cox", "--csv", Aml, "--time", "time", "--event", "status"], "Option '--covariates' is required." },
        { ["cox", "--csv", Aml, "--time", "time", "--event", "status", "--covariates", "age,,sex"], "--covariates must be a comma-separated list" },
        { ["cox", "--csv", Aml, "--time", "time", "--event", "status", "--covariates", "age,age"], "--covariates names 'age' twice" },
        { ["cox", "--csv", Aml, "--time", "time", "--event", "status", "--covariates", "group", "--ties", "exact"], "Argument 'exact' not recognized." },
        { ["proportion", "--successes", "3"], "Option '--trials' is required." },
        { ["proportion", "--successes", "-1", "--trials", "10"], "--successes must be a whole number 0 or more, got '-1'" },
        { ["proportion", "--successes", "2.5", "--trials", "10"], "--successes must be a whole number 0 or more, got '2.5'" },
        { ["proportion", "--successes", "3", "--trials", "10", "--method", "wald"], "Argument 'wald' not recognized." },
        { ["lmm", "--csv", Aml, "--subject", "s", "--time", "t", "--outcome", "y", "--random", "quadratic"], "Argument 'quadratic' not recognized." },
        { ["bogus"], "Unrecognized command or argument 'bogus'." },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void BadOptions_ExitWithTwoAndTheParsersMessage(string[] args, string message)
    {
        var run = StatsRun.Of(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Error);
        Assert.Contains("--help'.", run.Error);
        Assert.Equal("", run.Output);
    }

    [Fact]
    public void StatsWithoutACommand_ExitsWithTwoNamingTheCommands()
    {
        var run = StatsRun.Of();

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("km, logrank, cox, proportion or lmm", run.Error);
        Assert.Equal("", run.Output);
    }

    [Fact]
    public void MoreSuccessesThanTrials_ExitsWithTwo()
    {
        var run = StatsRun.Of("proportion", "--successes", "11", "--trials", "10");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: --successes (11) cannot exceed --trials (10)" + Environment.NewLine, run.Error);
        Assert.Equal("", run.Output);
    }

    [Fact]
    public void Help_ExitsWithZeroAndListsTheOptions()
    {
        var run = StatsRun.Of("km", "--help");

        Assert.Equal(0, run.ExitCode);
        foreach (var option in new[] { "--csv", "--time", "--event", "--group", "--conf-type", "--conf-level", "--at" })
            Assert.Contains(option, run.Output);
    }
}
