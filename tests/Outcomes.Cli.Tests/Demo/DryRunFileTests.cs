using System.Text;
using System.Text.Json;
using Outcomes.Cli.Demo;

namespace Outcomes.Cli.Tests.Demo;

public sealed class DryRunFileTests
{
    private static readonly IReadOnlyList<DemoMessage> Feed =
        DemoFeed.Messages(new DemoSettings { Patients = 80, Duplicates = 0.1, Invalid = 0.2 });

    [Fact]
    public void WriteThenRead_GivesBackTheExactMessages()
    {
        using var stream = new MemoryStream();
        DryRunFile.Write(stream, Feed);
        stream.Position = 0;
        var read = DryRunFile.Read(new StreamReader(stream)).ToList();

        Assert.Equal(Feed.Count, read.Count);
        for (var i = 0; i < Feed.Count; i++)
            Assert.Equal(Feed[i] with { Body = [] }, read[i] with { Body = [] });
        Assert.Equal(Feed.Select(m => m.Body), read.Select(m => m.Body));
    }

    [Fact]
    public void EachLine_IsOneJsonObjectNamingRoutingKeyIdsAndBody()
    {
        var lines = Lines(Feed);

        Assert.Equal(Feed.Count, lines.Count);
        for (var i = 0; i < lines.Count; i++)
        {
            using var line = JsonDocument.Parse(lines[i]);
            var root = line.RootElement;
            Assert.Equal(Feed[i].RoutingKey, root.GetProperty("routingKey").GetString());
            Assert.StartsWith("v1.", root.GetProperty("routingKey").GetString());
            Assert.Equal(Feed[i].MessageId, root.GetProperty("messageId").GetString());
            Assert.Equal(Feed[i].CorrelationId, root.GetProperty("correlationId").GetString());
            if (Feed[i].Invalid == InvalidMessages.MalformedJson)
            {
                Assert.Equal(Encoding.UTF8.GetString(Feed[i].Body), root.GetProperty("bodyText").GetString());
            }
            else
            {
                Assert.Equal(JsonValueKind.Object, root.GetProperty("body").ValueKind);
                Assert.Equal(Feed[i].MessageId, root.GetProperty("body").GetProperty("eventId").GetString());
            }
            Assert.Equal(Feed[i].Invalid is not null, root.TryGetProperty("invalid", out _));
            Assert.Equal(Feed[i].Duplicate, root.TryGetProperty("duplicate", out _));
        }
    }

    [Fact]
    public void ValidLine_MatchesTheDocumentedShape()
    {
        var message = Feed.First(m => m.Invalid is null && !m.Duplicate);

        var line = Lines([message]).Single();

        Assert.StartsWith(
            $"{{\"routingKey\":\"{message.RoutingKey}\",\"messageId\":\"{message.MessageId}\",\"correlationId\":\"{message.CorrelationId}\",\"body\":{{\"eventId\":\"{message.MessageId}\"",
            line);
        Assert.EndsWith("}}", line);
    }

    private static List<string> Lines(IEnumerable<DemoMessage> messages)
    {
        using var stream = new MemoryStream();
        DryRunFile.Write(stream, messages);
        var text = Encoding.UTF8.GetString(stream.ToArray());
        Assert.EndsWith("\n", text);
        return text.TrimEnd('\n').Split('\n').ToList();
    }
}
