using Outcomes.Domain.Courses;
using Outcomes.Domain.Safety;
using Outcomes.Domain.Tests.Outcomes;

namespace Outcomes.Domain.Tests.Safety;

public class SafetySignalTests
{
    private static readonly CourseKey Course = new("clinic-a", "pk1234abcd", 1);

    private static IReadOnlyList<SafetySignal> Signals(TestCourse course) => SafetySignal.Derive(Course, course.Facts(), course.Derive());

    /// Signal ids are stored and sent (the message id consumers de-duplicate by): written without strings between, they
    /// must stay the SHA-256 of the text they always were, for short keys and for keys too long for the stack buffer.
    [Theory]
    [InlineData("clinic-a", "p-1", 1, 638_000_000_000_000_000L)]
    [InlineData("clinic-network-east", "6f1c2a9e0b7d4c3f", 3, 639_123_456_789_012_345L)]
    [InlineData("c", "k", 1, 0L)]
    public void SignalIds_AreTheHashOfTheirText_AsBefore(string clinic, string patient, int courseNumber, long ticks)
    {
        foreach (var key in new[] { patient, new string('k', 600) })
        {
            var course = new CourseKey(clinic, key, courseNumber);
            var at = new DateTimeOffset(ticks, TimeSpan.Zero);
            foreach (var kind in Enum.GetValues<SignalKind>())
            {
                var hash = System.Security.Cryptography.SHA256.HashData(
                    System.Text.Encoding.UTF8.GetBytes($"safety-signal|{course}|{SafetySignal.Label(kind)}|{at.UtcTicks}"));
                var bytes = hash[..16];
                bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
                bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
                Assert.Equal(new Guid(bytes, bigEndian: true), SafetySignal.IdOf(course, kind, at));
            }
        }
    }

    [Fact]
    public void Item9PositiveAtAnyAssessment_OneSignalEach_BaselineIncluded()
    {
        var signals = Signals(new TestCourse().Sessions(0, 2, 4).Score(-1, 18, item9: 1).Score(3, 14, item9: 0).Score(7, 12, item9: 2));

        var item9 = signals.Where(s => s.Kind == SignalKind.Item9Positive).ToList();
        Assert.Equal([1, 2], item9.Select(s => s.Item9!.Value));
        Assert.DoesNotContain(signals, s => s.Kind == SignalKind.Item9NewPositive);
    }

    [Fact]
    public void NewPositiveAfterNegativeBaseline_RaisedOnceAtTheFirst()
    {
        var signals = Signals(new TestCourse().Sessions(0, 2, 4).Score(-1, 18, item9: 0).Score(3, 14, item9: 1).Score(7, 12, item9: 1));

        var fresh = Assert.Single(signals, s => s.Kind == SignalKind.Item9NewPositive);
        Assert.Equal(TestCourse.At(3, 9), fresh.AssessmentAt);
        Assert.Equal(3, fresh.Day);
    }

    [Theory]
    [InlineData(12, 17, true)]   // +5 points
    [InlineData(12, 16, false)]  // +4 points, still moderate
    [InlineData(18, 20, true)]   // into the severe band
    [InlineData(21, 24, false)]  // severe already, +3
    public void Worsening_FivePointsOrIntoSevere(int baseline, int later, bool raised)
    {
        var signals = Signals(new TestCourse().Sessions(0, 2).Score(-1, baseline, item9: 0).Score(5, later, item9: 0));

        Assert.Equal(raised, signals.Any(s => s.Kind == SignalKind.Worsening));
    }

    [Fact]
    public void NoQuarterDropBySessionSix_RaisedAtTheFirstAssessmentAfterIt()
    {
        var course = new TestCourse().Sessions(0, 2, 4, 7, 9, 11, 14).Score(-1, 20, item9: 0).Score(5, 18, item9: 0).Score(12, 17, item9: 0);

        var signal = Assert.Single(Signals(course), s => s.Kind == SignalKind.NonResponseBySession6);
        Assert.Equal(6, signal.SessionsReceived);
        Assert.Equal(17, signal.Total);
        Assert.Equal(20, signal.BaselineTotal);
    }

    [Fact]
    public void QuarterDropBeforeSessionSix_NoNonResponseSignal()
    {
        var course = new TestCourse().Sessions(0, 2, 4, 7, 9, 11, 14).Score(-1, 20, item9: 0).Score(5, 15, item9: 0).Score(12, 17, item9: 0);

        Assert.DoesNotContain(Signals(course), s => s.Kind == SignalKind.NonResponseBySession6);
    }

    [Fact]
    public void DerivedAgain_SameIds()
    {
        var course = new TestCourse().Sessions(0, 2).Score(-1, 12, item9: 0).Score(5, 20, item9: 2);

        Assert.Equal(Signals(course).Select(s => s.Id), Signals(course).Select(s => s.Id));
        Assert.Equal(Signals(course).Count, Signals(course).Select(s => s.Id).Distinct().Count());
    }
}
