using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Domain.Safety;

/// What a safety signal says. They support oversight of a clinic's courses; they do not replace the point-of-care
/// screening and suicide-risk protocols the treating clinician follows at every visit.
[JsonConverter(typeof(JsonStringEnumConverter<SignalKind>))]
public enum SignalKind
{
    /// PHQ-9 item 9 (thoughts of being better off dead or of self-harm) scored 1 or more, at any assessment.
    [JsonStringEnumMemberName("item9-positive")] Item9Positive,

    /// Item 9 positive after a baseline item 9 of 0: new during treatment.
    [JsonStringEnumMemberName("item9-new-positive")] Item9NewPositive,

    /// The total rose by 5 or more points above baseline, or into the severe band (20-27) from below it.
    [JsonStringEnumMemberName("worsening")] Worsening,

    /// After 6 sessions no assessment has shown a drop of 25 % from baseline: a course to review.
    [JsonStringEnumMemberName("non-response-by-session-6")] NonResponseBySession6,
}

/// One signal raised on one course by one assessment. Its id is fixed by the course, the kind and the assessment, so
/// deriving the signals again (a redelivered fact, a rebuild) never raises one twice.
public sealed record SafetySignal(
    Guid Id,
    CourseKey Course,
    SignalKind Kind,
    DateTimeOffset AssessmentAt,
    int? Day,
    int SessionsReceived,
    int Total,
    int? Item9,
    int? BaselineTotal)
{
    public const int WorseningPoints = 5;
    public const int SevereFrom = 20;
    public const int NonResponseSessions = SessionReview.Sessions;
    public const double NonResponseMinimumDrop = 0.25;

    public static string Label(SignalKind kind) => kind switch
    {
        SignalKind.Item9Positive => "item9-positive",
        SignalKind.Item9NewPositive => "item9-new-positive",
        SignalKind.Worsening => "worsening",
        _ => "non-response-by-session-6",
    };

    /// The plain-language rule, for pages and the signal schema.
    public static string Rule(SignalKind kind) => kind switch
    {
        SignalKind.Item9Positive => "PHQ-9 item 9 (thoughts of being better off dead or of hurting oneself) scored 1 or more",
        SignalKind.Item9NewPositive => "item 9 scored 1 or more after a baseline item 9 of 0",
        SignalKind.Worsening => $"PHQ-9 total {WorseningPoints} or more points above baseline, or into the severe band ({SevereFrom}-27) from below it",
        _ => $"{NonResponseSessions} sessions received and no PHQ-9 since baseline at least {NonResponseMinimumDrop:P0} below it",
    };

    /// Every signal the course's facts raise: item 9 at every score (superseded same-day scores included: a safety
    /// signal is never hidden), the first new positive item 9, the first worsening and non-response by session 6.
    public static IReadOnlyList<SafetySignal> Derive(CourseKey course, CourseFacts facts, CourseOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(course);
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(outcome);
        var signals = new List<SafetySignal>();
        var baseline = outcome.Baseline;

        SafetySignal Raise(SignalKind kind, DateTimeOffset at, int total, int? item9)
        {
            var placed = Placed(outcome.SeriesSpan(), at.UtcTicks);
            return new SafetySignal(IdOf(course, kind, at), course, kind, at, placed?.Day, placed?.SessionsReceived ?? SessionsBefore(facts, at),
                total, item9, baseline?.Total);
        }

        foreach (var score in facts.Scores.OrderBy(s => s.OccurredAt.UtcTicks).ThenBy(s => s.Score.Total))
            if (score.Score.Item9 is >= 1)
                signals.Add(Raise(SignalKind.Item9Positive, score.OccurredAt, score.Score.Total, score.Score.Item9));

        if (baseline is not { } b) return signals;
        var after = outcome.Series.Where(a => a.OccurredAt.UtcTicks > b.OccurredAt.UtcTicks).ToList();
        if (b.Item9 == 0 && after.FirstOrDefault(a => a.Item9 is >= 1) is { OccurredAt.Ticks: > 0 } positive)
            signals.Add(Raise(SignalKind.Item9NewPositive, positive.OccurredAt, positive.Total, positive.Item9));
        if (after.FirstOrDefault(a => a.Total >= b.Total + WorseningPoints || (a.Total >= SevereFrom && b.Total < SevereFrom))
            is { OccurredAt.Ticks: > 0 } worse)
            signals.Add(Raise(SignalKind.Worsening, worse.OccurredAt, worse.Total, worse.Item9));
        // The assessment that decides session 6 (SessionReview): no assessment up to it 25 % below baseline raises the signal.
        var threshold = b.Total * (1 - NonResponseMinimumDrop);
        var baselineIndex = SessionReview.BaselineIndex(outcome);
        var review = SessionReview.DecidingAssessment(outcome.SeriesSpan(), baselineIndex, NonResponseSessions);
        if (b.Total > 0 && review >= 0 && !outcome.Series.Skip(baselineIndex + 1).Take(review - baselineIndex).Any(a => a.Total <= threshold))
        {
            var decided = outcome.Series[review];
            signals.Add(Raise(SignalKind.NonResponseBySession6, decided.OccurredAt, decided.Total, decided.Item9));
        }
        return signals;
    }

    /// The assessment of the series at this time (a series holds one per time), if any.
    private static Phq9Assessment? Placed(ReadOnlySpan<Phq9Assessment> series, long utcTicks)
    {
        foreach (var assessment in series)
            if (assessment.OccurredAt.UtcTicks == utcTicks) return assessment;
        return null;
    }

    private static int SessionsBefore(CourseFacts facts, DateTimeOffset at) => facts.Sessions.Count(s => s.OccurredAt.UtcTicks < at.UtcTicks);

    /// A name-based UUID (SHA-256 of course, kind and the assessment's instant; version 8 bits set).
    public static Guid IdOf(CourseKey course, SignalKind kind, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(course);
        // SHA-256 of the UTF-8 of $"safety-signal|{course}|{label}|{ticks}", written straight into bytes: every batch of a
        // course derives the ids of all its signals again, and the strings between were a tenth of ingestion's allocations.
        Span<byte> text = stackalloc byte[512];
        if (!System.Text.Unicode.Utf8.TryWrite(text, $"safety-signal|{course}|{Label(kind)}|{at.UtcTicks}", out var written))
            return IdOf(Encoding.UTF8.GetBytes($"safety-signal|{course}|{Label(kind)}|{at.UtcTicks}"));
        return IdOf(text[..written]);
    }

    private static Guid IdOf(ReadOnlySpan<byte> text)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(text, hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }
}
