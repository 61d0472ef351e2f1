using Outcomes.Domain.Courses;

namespace Outcomes.Domain.Outcomes;

// The rules are stated in analytics/methods/outcome-definitions.md; this file is their only implementation.
// It runs once per course over hundreds of thousands of courses, so it works on sorted arrays with index scans
// instead of repeated LINQ queries.
internal static class OutcomeDerivation
{
    // A fraction like 0.3 times a baseline can land a hair below the intended integer.
    private const double FractionTolerance = 1e-9;

    public static CourseOutcome Derive(CourseFacts facts, OutcomeDefinitions definitions, DateTimeOffset asOf)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(definitions);
        var asOfTicks = asOf.UtcTicks;

        var sessionTicks = SortedSessionTicks(facts.Sessions, asOfTicks);
        var hasSessions = sessionTicks.Length > 0;
        var firstSessionTicks = hasSessions ? sessionTicks[0] : 0L;
        var originDay = DayNumber(firstSessionTicks);

        var scores = SortedScores(facts.Scores, asOfTicks);
        var series = Collapse(scores, sessionTicks, hasSessions, firstSessionTicks, originDay);
        var last = series.Length - 1;

        var end = facts.Ended is { } e && e.OccurredAt.UtcTicks <= asOfTicks ? e : null;
        int? endDay = end is not null && hasSessions ? DayOf(end.OccurredAt.UtcTicks, originDay) : null;

        // Series is sorted, so the pre-treatment assessments are a prefix; the baseline candidate ends it.
        var preTreatment = 0;
        while (hasSessions && preTreatment < series.Length && series[preTreatment].OccurredAt.UtcTicks <= firstSessionTicks)
            preTreatment++;
        var candidate = preTreatment - 1;

        NoBaselineReason? noBaseline =
            !hasSessions ? NoBaselineReason.NoSessions
            : series.Length == 0 ? NoBaselineReason.NoScores
            : candidate < 0 ? NoBaselineReason.OnlyPostTreatmentScores
            : series[candidate].Day < -definitions.BaselineWindowDays ? NoBaselineReason.NoScoreInWindow
            : null;
        var b = noBaseline is null ? candidate : -1;
        var lastPost = b >= 0 && last > b ? last : -1;

        var eligible = b >= 0 && series[b].Total >= definitions.EligibilityMinimumBaseline;
        int? change = lastPost >= 0 ? series[lastPost].Total - series[b].Total : null;
        var response = eligible
            ? ResponseOutcomes(series, b, lastPost, end, endDay, sessionTicks, DayOf(asOfTicks, originDay), definitions)
            : default;

        return new CourseOutcome
        {
            DefinitionsId = definitions.Id,
            DefinitionsVersion = definitions.Version,
            AsOf = asOf,
            EnrolmentKnown = facts.Enrolment is { } enrolment && enrolment.OccurredAt.UtcTicks <= asOfTicks,
            FirstSessionAt = hasSessions ? new DateTimeOffset(firstSessionTicks, TimeSpan.Zero) : null,
            SessionsReceived = sessionTicks.Length,
            CourseEnded = end is not null,
            EndReason = end?.Reason,
            CourseEndDay = endDay,
            Series = series,
            SupersededSameDayScores = scores.Length - series.Length,
            LastAssessmentDay = last >= 0 ? series[last].Day : null,
            Baseline = b >= 0 ? series[b] : null,
            NoBaselineReason = noBaseline,
            Eligible = eligible,
            FirstResponse = response.FirstResponse,
            FirstRemission = response.FirstRemission,
            ResponseOnset = response.Onset,
            LossOfResponse = response.LossOfResponse,
            Relapse = response.Relapse,
            Durability = definitions.Durability == DurabilityDefinition.Relapse ? response.Relapse : response.LossOfResponse,
            SustainedResponse = response.Sustained,
            RemissionEver = eligible ? response.FirstRemission is not null : null,
            ResponseByEndOfInduction = response.ByEndOfInduction,
            ChangeFromBaseline = change,
            ReliableImprovement = change is { } c1 ? -c1 >= definitions.ReliableImprovementMinimumDrop : null,
            MinimalClinicallyImportantImprovement = change is { } c2 ? -c2 >= definitions.MinimalClinicallyImportantDrop : null,
            Item9 = Item9(scores, series, b, hasSessions, firstSessionTicks),
        };
    }

    private readonly record struct Response(
        Milestone? FirstResponse,
        Milestone? FirstRemission,
        ResponseOnset? Onset,
        DurabilityTime? LossOfResponse,
        DurabilityTime? Relapse,
        bool? Sustained,
        bool? ByEndOfInduction);

    private static Response ResponseOutcomes(
        Phq9Assessment[] series, int b, int lastPost, CourseEnded? end, int? endDay, long[] sessionTicks, int asOfDay,
        OutcomeDefinitions definitions)
    {
        var responseMaxTotal = (int)Math.Floor(series[b].Total * (1 - definitions.ResponseMinimumDropFraction) + FractionTolerance);
        int onset = -1, remission = -1;
        for (var k = b + 1; k < series.Length && (onset < 0 || remission < 0); k++)
        {
            if (onset < 0 && series[k].Total <= responseMaxTotal) onset = k;
            if (remission < 0 && series[k].Total < definitions.RemissionBelowTotal) remission = k;
        }
        Milestone? firstRemission = remission >= 0 ? MilestoneAt(series[remission]) : null;

        if (onset < 0)
            return new Response(
                FirstResponse: null,
                FirstRemission: firstRemission,
                Onset: CensoredOnset(series, lastPost, end, endDay, sessionTicks, definitions.NonResponderCensoring),
                LossOfResponse: null,
                Relapse: null,
                Sustained: false,
                // Unanswered inside the window while the course goes on; a course that ended without response is a
                // non-responder (intention to treat).
                ByEndOfInduction: end is not null || asOfDay >= definitions.InductionWindowDays ? false : null);

        var lossAt = FirstQualifyingRun(series, onset + 1, responseMaxTotal + 1, Phq9Score.MaxTotal,
            definitions.LossOfResponseConsecutiveAssessments, definitions.LossOfResponseMinimumGapDays, int.MaxValue);
        var relapseAt = FirstQualifyingRun(series, onset + 1, definitions.RelapseMinimumTotal, Phq9Score.MaxTotal,
            definitions.RelapseConsecutiveAssessments, definitions.RelapseMinimumGapDays, definitions.RelapseMaximumGapDays);
        var sustainedAt = FirstQualifyingRun(series, onset, 0, responseMaxTotal,
            definitions.SustainedResponseConsecutiveAssessments, definitions.SustainedResponseMinimumGapDays, int.MaxValue);
        var onsetDay = Day(series[onset]);
        return new Response(
            FirstResponse: MilestoneAt(series[onset]),
            FirstRemission: firstRemission,
            Onset: new ResponseOnset(true, onsetDay, series[onset].SessionsReceived),
            LossOfResponse: DurabilityFrom(series, onset, lossAt),
            Relapse: DurabilityFrom(series, onset, relapseAt),
            Sustained: sustainedAt >= 0,
            ByEndOfInduction: onsetDay <= definitions.InductionWindowDays);
    }

    private static long DayNumber(long utcTicks) => utcTicks / TimeSpan.TicksPerDay;

    private static int DayOf(long utcTicks, long originDay) => (int)(DayNumber(utcTicks) - originDay);

    // Post-baseline assessments exist only when there is a session, so their Day is always set.
    private static int Day(in Phq9Assessment assessment) => assessment.Day.GetValueOrDefault();

    private static Milestone MilestoneAt(in Phq9Assessment a) => new(Day(a), a.SessionsReceived, a.Total);

    private static long[] SortedSessionTicks(IReadOnlyList<TreatmentSessionGiven> sessions, long asOfTicks)
    {
        var count = 0;
        for (var i = 0; i < sessions.Count; i++)
            if (sessions[i].OccurredAt.UtcTicks <= asOfTicks) count++;
        var ticks = new long[count];
        for (int i = 0, k = 0; i < sessions.Count; i++)
        {
            var t = sessions[i].OccurredAt.UtcTicks;
            if (t <= asOfTicks) ticks[k++] = t;
        }
        Array.Sort(ticks);
        return ticks;
    }

    internal static Phq9Completed[] SortedScores(IReadOnlyList<Phq9Completed> scores, long asOfTicks)
    {
        var count = 0;
        for (var i = 0; i < scores.Count; i++)
            if (scores[i].OccurredAt.UtcTicks <= asOfTicks) count++;
        var sorted = new Phq9Completed[count];
        for (int i = 0, k = 0; i < scores.Count; i++)
            if (scores[i].OccurredAt.UtcTicks <= asOfTicks) sorted[k++] = scores[i];
        Array.Sort(sorted, ScoreOrder.Instance);
        return sorted;
    }

    /// Keeps the last score of each UTC day and side of the first session: a pre-infusion and a post-infusion
    /// PHQ-9 on the first day are different assessments (baseline and the first post-treatment one).
    private static Phq9Assessment[] Collapse(
        Phq9Completed[] scores, long[] sessionTicks, bool hasSessions, long firstSessionTicks, long originDay)
    {
        var kept = 0;
        for (var i = 0; i < scores.Length; i++)
            if (!IsSuperseded(scores, i, hasSessions, firstSessionTicks)) kept++;
        var series = new Phq9Assessment[kept];
        for (int i = 0, k = 0, sessionsBefore = 0; i < scores.Length; i++)
        {
            if (IsSuperseded(scores, i, hasSessions, firstSessionTicks)) continue;
            var ticks = scores[i].OccurredAt.UtcTicks;
            while (sessionsBefore < sessionTicks.Length && sessionTicks[sessionsBefore] < ticks) sessionsBefore++;
            var score = scores[i].Score;
            series[k++] = new Phq9Assessment(
                scores[i].OccurredAt,
                hasSessions ? DayOf(ticks, originDay) : null,
                sessionsBefore,
                score.Total,
                score.Severity,
                score.IsTotalOnly,
                score.Item9);
        }
        return series;
    }

    internal static bool IsSuperseded(Phq9Completed[] scores, int i, bool hasSessions, long firstSessionTicks)
    {
        if (i + 1 >= scores.Length) return false;
        var t = scores[i].OccurredAt.UtcTicks;
        var next = scores[i + 1].OccurredAt.UtcTicks;
        return DayNumber(t) == DayNumber(next)
               && (hasSessions && t > firstSessionTicks) == (hasSessions && next > firstSessionTicks);
    }

    private static ResponseOnset CensoredOnset(
        Phq9Assessment[] series, int lastPost, CourseEnded? end, int? endDay, long[] sessionTicks,
        NonResponderCensoring censoring)
    {
        // No post-baseline assessment means no time at risk was observed: censored at the origin.
        var day = lastPost >= 0 ? Day(series[lastPost]) : 0;
        var sessions = lastPost >= 0 ? series[lastPost].SessionsReceived : 0;
        if (censoring == NonResponderCensoring.LaterOfLastAssessmentAndCourseEnd && end is not null && endDay > day)
        {
            day = endDay.Value;
            sessions = SessionsOnOrBefore(sessionTicks, end.OccurredAt.UtcTicks);
        }
        return new ResponseOnset(false, day, sessions);
    }

    private static int SessionsOnOrBefore(long[] sortedTicks, long ticks)
    {
        int lo = 0, hi = sortedTicks.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sortedTicks[mid] <= ticks) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private static DurabilityTime DurabilityFrom(Phq9Assessment[] series, int onset, int eventAt)
    {
        // Responders without the event are censored at their last assessment.
        var at = eventAt >= 0 ? eventAt : series.Length - 1;
        return new DurabilityTime(eventAt >= 0, Day(series[at]) - Day(series[onset]), Day(series[at]), series[at].SessionsReceived);
    }

    /// The first assessment (from start on) that opens an uninterrupted run of assessments with totals in
    /// [minTotal, maxTotal], spanning at least `count` assessments and a gap between minGap and maxGap days to a later
    /// member of the run; -1 if none. Reading "two consecutive assessments N days apart" as a run, not a strict pair,
    /// keeps frequent assessment (every 2 days, say) from hiding a sustained change.
    private static int FirstQualifyingRun(
        ReadOnlySpan<Phq9Assessment> series, int start, int minTotal, int maxTotal, int count, int minGap, int maxGap)
    {
        var i = start;
        while (i < series.Length)
        {
            if (!InRange(series[i].Total, minTotal, maxTotal))
            {
                i++;
                continue;
            }
            var runEnd = i;
            while (runEnd < series.Length && InRange(series[runEnd].Total, minTotal, maxTotal)) runEnd++;

            // For each opening assessment, the nearest partner far enough away; it only moves forward.
            var partner = i;
            for (var open = i; open < runEnd; open++)
            {
                partner = Math.Max(partner, open + count - 1);
                while (partner < runEnd && Day(series[partner]) - Day(series[open]) < minGap) partner++;
                if (partner >= runEnd) break;
                if (Day(series[partner]) - Day(series[open]) <= maxGap) return open;
            }
            i = runEnd;
        }
        return -1;
    }

    private static bool InRange(int total, int min, int max) => total >= min && total <= max;

    private static Item9Status Item9(
        Phq9Completed[] scores, Phq9Assessment[] series, int b, bool hasSessions, long firstSessionTicks)
    {
        bool anyPositive = false, knownAfter = false, positiveAfter = false;
        foreach (var completed in scores)
        {
            var item9 = completed.Score.Item9;
            if (item9 is null) continue;
            if (item9 >= 1) anyPositive = true;
            if (hasSessions && completed.OccurredAt.UtcTicks > firstSessionTicks)
            {
                knownAfter = true;
                if (item9 >= 1) positiveAfter = true;
            }
        }

        int? lastKnown = null, lastKnownPostBaseline = null;
        for (var k = series.Length - 1; k >= 0 && lastKnown is null; k--)
            lastKnown = series[k].Item9;
        if (b >= 0)
            for (var k = series.Length - 1; k > b && lastKnownPostBaseline is null; k--)
                lastKnownPostBaseline = series[k].Item9;

        int? atBaseline = b >= 0 ? series[b].Item9 : null;
        return new Item9Status(
            BaselineItem9: atBaseline,
            PositiveAtBaseline: atBaseline is null ? null : atBaseline >= 1,
            NewDuringTreatment: atBaseline == 0 && knownAfter ? positiveAfter : null,
            Resolved: atBaseline >= 1 && lastKnownPostBaseline is not null ? lastKnownPostBaseline == 0 : null,
            LastKnownItem9: lastKnown,
            AnyPositive: anyPositive);
    }

    /// Time order; at one instant a score with items outranks a total-only one, then the higher total, then the
    /// items and the offset, so the score kept for that instant never depends on arrival order.
    private sealed class ScoreOrder : IComparer<Phq9Completed>
    {
        public static readonly ScoreOrder Instance = new();

        public int Compare(Phq9Completed? x, Phq9Completed? y)
        {
            if (ReferenceEquals(x, y)) return 0;
            if (x is null) return -1;
            if (y is null) return 1;
            var c = x.OccurredAt.UtcTicks.CompareTo(y.OccurredAt.UtcTicks);
            if (c != 0) return c;
            c = (x.Score.IsTotalOnly ? 0 : 1).CompareTo(y.Score.IsTotalOnly ? 0 : 1);
            if (c != 0) return c;
            c = x.Score.Total.CompareTo(y.Score.Total);
            if (c != 0) return c;
            if (x.Score.Items is { } xi && y.Score.Items is { } yi)
                for (var i = 0; i < Math.Min(xi.Count, yi.Count); i++)
                {
                    c = xi[i].CompareTo(yi[i]);
                    if (c != 0) return c;
                }
            return x.OccurredAt.Offset.CompareTo(y.OccurredAt.Offset);
        }
    }
}
