using System.CommandLine;
using Outcomes.Cli.Demo;
using Outcomes.Contracts;

namespace Outcomes.Cli.Tests.Demo;

public sealed class DemoCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("outcomes-demo-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private readonly StringWriter _output = new();
    private readonly StringWriter _error = new();

    private Task<int> Run(params string[] args) =>
        new RootCommand { DemoCommand.Create() }.Parse(["demo", .. args])
            .InvokeAsync(new InvocationConfiguration { Output = _output, Error = _error });

    [Fact]
    public async Task DryRun_WritesTheFeedForTheSettingsAsJsonLines()
    {
        var path = Path.Combine(_directory, "feed.jsonl");

        var exit = await Run("--patients", "25", "--seed", "9", "--clinics", "3", "--duplicates", "0.1", "--invalid", "0.1",
            "--shuffle", "--until", "2025-06-30", "--dry-run", "--out", path);

        Assert.Equal(0, exit);
        Assert.StartsWith("dry run: ", _output.ToString());
        using var expected = new MemoryStream();
        DryRunFile.Write(expected, DemoFeed.Messages(new DemoSettings
        {
            Patients = 25, Seed = 9, Clinics = 3, Duplicates = 0.1, Invalid = 0.1, Shuffle = true, Until = new DateOnly(2025, 6, 30),
        }));
        Assert.Equal(expected.ToArray(), await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task DryRun_DefaultsToFiveHundredPatientsFromFourClinics()
    {
        var path = Path.Combine(_directory, "default.jsonl");

        Assert.Equal(0, await Run("--dry-run", "--out", path));

        var messages = DryRunFile.Read(new StringReader(await File.ReadAllTextAsync(path))).ToList();
        Assert.Equal(500, messages.Select(m => m.CorrelationId).Distinct().Count());
        Assert.Equal(4, messages.Select(m => WireRules.TryRead(m.RoutingKey, m.Body)!.ClinicId).Distinct().Count());
    }

    [Theory]
    [InlineData("--dry-run")]
    [InlineData("--patients", "0", "--dry-run", "--out", "x.jsonl")]
    [InlineData("--clinics", "27", "--dry-run", "--out", "x.jsonl")]
    [InlineData("--duplicates", "1.5", "--dry-run", "--out", "x.jsonl")]
    [InlineData("--invalid", "-0.1", "--dry-run", "--out", "x.jsonl")]
    [InlineData("--until", "2999-01-01", "--dry-run", "--out", "x.jsonl")]
    [InlineData("--until", "01/02/2025", "--dry-run", "--out", "x.jsonl")]
    [InlineData("--window", "0", "--amqp", "amqp://guest:guest@127.0.0.1:1/")]
    [InlineData("--amqp", "http://127.0.0.1:15672/")]
    [InlineData("--amqp", "amqp://guest:guest@127.0.0.1:1/,http://127.0.0.1:2/")]
    public async Task BadOptions_FailWithoutWritingOrConnecting(params string[] args)
    {
        var exit = await Run(args);

        Assert.Equal(1, exit);
        Assert.NotEqual("", _error.ToString());
        Assert.DoesNotContain($"to {WireContract.Exchange} on", _output.ToString());
        Assert.False(File.Exists("x.jsonl"));
    }

    [Fact]
    public async Task UnreachableBroker_FailsNamingTheBrokerButNotThePassword()
    {
        var exit = await Run("--patients", "5", "--amqp", "amqp://guest:secret@127.0.0.1:1/");

        Assert.Equal(1, exit);
        Assert.Contains("Cannot connect to RabbitMQ at 127.0.0.1:1/", _error.ToString());
        Assert.DoesNotContain("secret", _error.ToString() + _output.ToString());
    }

    [Fact]
    public async Task BrokerList_OneBadEntry_NamesTheOptionAndTheRuleButNotThePassword()
    {
        var exit = await Run("--patients", "5", "--amqp", "amqp://guest:secret@127.0.0.1:1/,ftp://guest:secret@127.0.0.1:2/");

        Assert.Equal(1, exit);
        Assert.Contains("--amqp each comma-separated entry must be an amqp:// or amqps:// URI", _error.ToString());
        Assert.DoesNotContain("secret", _error.ToString() + _output.ToString());
    }

    [Fact]
    public async Task BrokerList_NoNodeAnswers_FailsNamingEveryNode()
    {
        // Two cluster nodes, neither listening: the publisher tried both (RabbitMQ.Client moves on when a connect fails).
        var exit = await Run("--patients", "5", "--amqp", "amqp://guest:secret@127.0.0.1:1/,amqp://guest:secret@127.0.0.1:2/");

        Assert.Equal(1, exit);
        Assert.Contains("Cannot connect to RabbitMQ at 127.0.0.1:1, 127.0.0.1:2/", _error.ToString());
        Assert.DoesNotContain("secret", _error.ToString() + _output.ToString());
    }
}
