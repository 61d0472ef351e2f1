using System.CommandLine;
using Outcomes.Cli.Loading;

namespace Outcomes.Cli.Tests.Loading;

public sealed class LoadCommandTests
{
    private readonly StringWriter _output = new();
    private readonly StringWriter _error = new();

    private Task<int> Run(params string[] args) =>
        new RootCommand { LoadCommand.Create() }.Parse(["load", .. args])
            .InvokeAsync(new InvocationConfiguration { Output = _output, Error = _error });

    [Fact]
    public async Task MissingFileAndToken_ExitsOneNamingEachProblem()
    {
        var previous = Environment.GetEnvironmentVariable(LoadCommand.TokenVariable);
        Environment.SetEnvironmentVariable(LoadCommand.TokenVariable, null);
        try
        {
            var exit = await Run("/nonexistent/feed.ndjson", "--url", "http://127.0.0.1:1");

            Assert.Equal(1, exit);
            Assert.Contains("No such file", _error.ToString());
            Assert.Contains("--token is required", _error.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable(LoadCommand.TokenVariable, previous);
        }
    }

    [Fact]
    public async Task UrlThatIsNotHttp_Refused()
    {
        var exit = await Run("feed.ndjson", "--url", "amqp://127.0.0.1/", "--token", "t");

        Assert.NotEqual(0, exit);
        Assert.Contains("--url must be an http:// or https:// URL", _error.ToString());
    }

    [Fact]
    public async Task ServiceNotListening_ExitsOneSayingSo()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, "{}\n");

            var exit = await Run(file, "--url", "http://127.0.0.1:1", "--token", "t");

            Assert.Equal(1, exit);
            Assert.Contains("Cannot reach the service", _error.ToString());
            Assert.Contains("Resume with --from-line 1", _error.ToString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("--lines-per-request", "0", "--lines-per-request must be 1 or more")]
    [InlineData("--from-line", "0", "--from-line must be 1 or more")]
    public async Task PartOptionsOutOfRange_Refused(string option, string value, string rule)
    {
        var exit = await Run("feed.ndjson", "--url", "http://127.0.0.1:1", "--token", "t", option, value);

        Assert.NotEqual(0, exit);
        Assert.Contains(rule, _error.ToString());
    }

    [Fact]
    public async Task FromBeyondTheFile_ExitsOneSayingSo()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, "{}\n{}\n");

            var exit = await Run(file, "--url", "http://127.0.0.1:1", "--token", "t", "--from-line", "3");

            Assert.Equal(1, exit);
            Assert.Contains("fewer than 3 lines", _error.ToString());
        }
        finally
        {
            File.Delete(file);
        }
    }
}
