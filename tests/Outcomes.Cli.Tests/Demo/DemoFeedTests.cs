using Outcomes.Cli.Demo;

namespace Outcomes.Cli.Tests.Demo;

public sealed class DemoFeedTests
{
    private static readonly DemoSettings Plain = new() { Patients = 300, Seed = 5 };
    private static readonly DateTimeOffset UntilInstant = new(Plain.Until.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    [Fact]
    public void Unshuffled_IsInTheOrderTheFactsHappened()
    {
        var times = DemoFeed.Messages(Plain).Select(m => WireRules.TryRead(m.RoutingKey, m.Body)!.OccurredAt).ToList();

        Assert.Equal(times.Order(), times);
    }

    [Fact]
    public void Shuffle_SendsTheSameMessagesInAnotherSeededOrder()
    {
        var plain = DemoFeed.Messages(Plain);
        var shuffled = DemoFeed.Messages(Plain with { Shuffle = true });
        var again = DemoFeed.Messages(Plain with { Shuffle = true });

        Assert.Equal(plain.Select(m => m.MessageId).Order(), shuffled.Select(m => m.MessageId).Order());
        Assert.NotEqual(plain.Select(m => m.MessageId), shuffled.Select(m => m.MessageId));
        Assert.Equal(shuffled.Select(m => m.MessageId), again.Select(m => m.MessageId));
    }

    [Fact]
    public void Duplicates_AreByteIdenticalResendsOfEarlierMessages()
    {
        var feed = DemoFeed.Messages(Plain with { Duplicates = 0.1 });
        var seen = new Dictionary<string, byte[]>();
        var duplicates = 0;

        foreach (var message in feed)
        {
            if (message.Duplicate)
            {
                duplicates++;
                Assert.True(seen.TryGetValue(message.MessageId, out var original), "a duplicate comes after its original");
                Assert.Equal(original, message.Body);
            }
            else
            {
                Assert.True(seen.TryAdd(message.MessageId, message.Body), "only duplicates repeat an id");
            }
        }
        Assert.InRange(duplicates / (double)seen.Count, 0.07, 0.13);
    }

    [Fact]
    public void Invalid_EveryOneBreaksTheContract()
    {
        var feed = DemoFeed.Messages(Plain with { Invalid = 0.1 });
        var invalid = feed.Where(m => m.Invalid is not null).ToList();

        Assert.InRange(invalid.Count / (double)feed.Count, 0.07, 0.13);
        Assert.All(invalid, message =>
        {
            var fact = WireRules.TryRead(message.RoutingKey, message.Body);
            Assert.True(fact is null || WireRules.Violations(fact, UntilInstant).Count > 0,
                $"{message.Invalid} message passed: {System.Text.Encoding.UTF8.GetString(message.Body)}");
        });
    }

    [Fact]
    public void Invalid_ShowsEveryKindWithFreshEventIds()
    {
        var feed = DemoFeed.Messages(Plain with { Invalid = 0.2 });
        var invalid = feed.Where(m => m.Invalid is not null).ToList();
        var kinds = typeof(InvalidMessages).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetValue(null)!);

        Assert.Equal(kinds.Order(), invalid.Select(m => m.Invalid!).Distinct().Order());
        Assert.Equal(feed.Count, feed.Select(m => m.MessageId).Distinct().Count());
    }

    [Fact]
    public void DuplicatesAndInvalid_LeaveTheValidFactsAsTheyWere()
    {
        var plain = DemoFeed.Messages(Plain);
        var noisy = DemoFeed.Messages(Plain with { Duplicates = 0.2, Invalid = 0.2 });

        Assert.Equal(plain.Select(m => m.Body), noisy.Where(m => m.Invalid is null && !m.Duplicate).Select(m => m.Body));
    }
}
