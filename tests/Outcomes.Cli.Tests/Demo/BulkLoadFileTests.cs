using System.CommandLine;
using System.Text.Json;
using Outcomes.Cli.Demo;

namespace Outcomes.Cli.Tests.Demo;

public sealed class BulkLoadFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("outcomes-bulk-").FullName;
    private readonly StringWriter _output = new();
    private readonly StringWriter _error = new();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private Task<int> Run(params string[] args) =>
        new RootCommand { DemoCommand.Create() }.Parse(["demo", .. args])
            .InvokeAsync(new InvocationConfiguration { Output = _output, Error = _error });

    private static IReadOnlyList<JsonElement> Lines(string path) =>
        File.ReadLines(path).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    [Fact]
    public async Task OutWithoutDryRun_WritesSameMessagesAsTheFeedPatientByPatient()
    {
        var path = Path.Combine(_directory, "feed.ndjson");

        var exit = await Run("--patients", "40", "--seed", "5", "--out", path);

        Assert.Equal(0, exit);
        var lines = Lines(path);
        var feed = DemoFeed.Messages(new DemoSettings { Patients = 40, Seed = 5 });
        Assert.Equal(feed.Select(m => m.MessageId).Order(), lines.Select(l => l.GetProperty("messageId").GetString()!).Order());
        Assert.All(lines, l => Assert.Equal(["routingKey", "messageId", "correlationId", "body"], l.EnumerateObject().Select(p => p.Name)));
        // Patient by patient: a patient's lines are contiguous.
        var keys = lines.Select(l => l.GetProperty("body").GetProperty("patientKey").GetString()).ToList();
        Assert.Equal(keys.Distinct().Count(), keys.Where((k, i) => i == 0 || keys[i - 1] != k).Count());
        var first = feed.First(m => m.MessageId == lines[0].GetProperty("messageId").GetString());
        Assert.Equal(System.Text.Encoding.UTF8.GetString(first.Body), lines[0].GetProperty("body").GetRawText());
    }

    [Fact]
    public async Task OutWithInvalidMessages_NoAnnotationsAndNonJsonBodyAsString()
    {
        var path = Path.Combine(_directory, "feed.ndjson");

        var exit = await Run("--patients", "200", "--seed", "3", "--invalid", "0.2", "--duplicates", "0.05", "--out", path);

        Assert.Equal(0, exit);
        var lines = Lines(path);
        Assert.Equal(DemoFeed.Messages(new DemoSettings { Patients = 200, Seed = 3, Invalid = 0.2, Duplicates = 0.05 }).Count, lines.Count);
        Assert.DoesNotContain(lines, l => l.TryGetProperty("invalid", out _) || l.TryGetProperty("duplicate", out _) || l.TryGetProperty("bodyText", out _));
        Assert.Contains(lines, l => l.GetProperty("body").ValueKind == JsonValueKind.String);
    }

    [Fact]
    public void OpaqueKey_AllDigitHexGetsALetterOthersUnchanged()
    {
        Assert.Equal("pk-1553857425784738x", DemoCourse.OpaqueKey(0x1553857425784738UL));
        Assert.Equal("pk-00000000000000af", DemoCourse.OpaqueKey(0xafUL));
    }
}
