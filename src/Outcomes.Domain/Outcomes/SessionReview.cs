namespace Outcomes.Domain.Outcomes;

/// "By session N" in one place: the assessment that decides it is the first post-baseline PHQ-9 taken after at
/// least N sessions. SessionsReceived counts sessions strictly before the score, so a PHQ-9 taken just before the
/// sixth session is not yet "after session 6", and a course whose sixth session was followed by no PHQ-9 is not
/// decided yet. The response measure and the non-response safety signal both read it.
public static class SessionReview
{
    /// Domain.md's induction of 6 sessions.
    public const int Sessions = 6;

    /// The index in the series of the deciding assessment after the baseline at index <paramref name="baseline"/>;
    /// -1 when no PHQ-9 has followed the sixth session yet.
    public static int DecidingAssessment(ReadOnlySpan<Phq9Assessment> series, int baseline, int sessions = Sessions)
    {
        for (var k = baseline + 1; k < series.Length; k++)
            if (series[k].SessionsReceived >= sessions) return k;
        return -1;
    }

    /// The baseline's index in the course's series; -1 without a baseline.
    public static int BaselineIndex(CourseOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return BaselineIndex(outcome, outcome.SeriesSpan());
    }

    /// <see cref="BaselineIndex(CourseOutcome)"/> over the series the caller already holds as a span.
    public static int BaselineIndex(CourseOutcome outcome, ReadOnlySpan<Phq9Assessment> series)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (outcome.Baseline is not { } baseline) return -1;
        var at = baseline.OccurredAt.UtcTicks;
        for (var k = 0; k < series.Length; k++)
            if (series[k].OccurredAt.UtcTicks == at) return k;
        return -1;
    }
}
