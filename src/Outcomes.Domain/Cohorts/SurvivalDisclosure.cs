using Outcomes.Statistics;

namespace Outcomes.Domain.Cohorts;

/// Publishes a Kaplan-Meier curve without revealing small counts through its steps. Each drop of S(t) is
/// d/n of the courses at risk, and with the Greenwood interval both d and n can be solved for, so:
/// - the curve stops before the first time with fewer than threshold at risk (FewAtRisk);
/// - consecutive event times are merged into one published step until it holds at least threshold events
///   (FewEvents); the survival shown at each step is the exact Kaplan-Meier value there;
/// - an estimate at a requested time (30, 60, 90 days) is a published value too: shown if no events happened since
///   the previous step, or by merging that step into one ending at the requested time, else withheld (FewEvents).
internal static class SurvivalDisclosure
{
    public static PublishedSurvival Withheld(Cell n, Cell events, SuppressionReason reason) =>
        new(n, events, reason, [], null, null, new PublishedMedian(null, null, null, null), [], []);

    public static PublishedSurvival Publish(SurvivalAnalysis analysis, Cell n, Cell events, IReadOnlyList<PublishedAtRisk> atRisk, int threshold)
    {
        var table = analysis.Curve.Table;
        var requested = analysis.SurvivalAt;
        var steps = new List<(int Row, int Events)>();
        var shownAt = new Dictionary<double, SuppressionReason?>();
        var pending = 0;
        var firstPendingRow = -1;
        var segmentStart = 0;
        var lastEventRow = -1;
        var next = 0;
        var stoppedAt = -1;

        for (var row = 0; row < table.Count; row++)
        {
            for (; next < requested.Count && requested[next].Time < table[row].Time; next++) Requested(requested[next].Time);
            if (table[row].NRisk < threshold)
            {
                stoppedAt = row;
                break;
            }
            if (table[row].NEvent == 0) continue;
            if (pending == 0) firstPendingRow = row;
            pending += table[row].NEvent;
            lastEventRow = row;
            if (pending < threshold) continue;
            steps.Add((row, pending));
            pending = 0;
        }
        for (; next < requested.Count; next++)
        {
            if (stoppedAt >= 0) shownAt[requested[next].Time] = SuppressionReason.FewAtRisk;
            else Requested(requested[next].Time);
        }

        double? shownUntil = null;
        SuppressionReason? curveEnd = null;
        if (pending > 0)
        {
            shownUntil = table[firstPendingRow].Time;
            curveEnd = SuppressionReason.FewEvents;
        }
        else if (stoppedAt >= 0)
        {
            shownUntil = table[stoppedAt].Time;
            curveEnd = SuppressionReason.FewAtRisk;
        }

        var curve = steps.Select(s => new SurvivalStep(table[s.Row].Time, table[s.Row].Survival, table[s.Row].Lower, table[s.Row].Upper)).ToList();
        var survivalAt = requested.Select(r => shownAt[r.Time] is { } reason
                ? new PublishedSurvivalAt(r.Time, null, null, null, reason)
                : new PublishedSurvivalAt(r.Time, r.Survival, r.Lower, r.Upper, null))
            .ToList();
        return new PublishedSurvival(n, events, null, curve, shownUntil, curveEnd, Median(analysis.Curve.Median, shownUntil, curveEnd), atRisk, survivalAt);

        void Requested(double time)
        {
            if (pending == 0) shownAt[time] = null;
            else if (steps.Count > segmentStart)
            {
                var merged = steps[^1].Events + pending;
                steps[^1] = (lastEventRow, merged);
                pending = 0;
                shownAt[time] = null;
            }
            else
            {
                shownAt[time] = SuppressionReason.FewEvents;
                return;
            }
            segmentStart = steps.Count;
        }
    }

    /// The median and its limits are times read off the curves; each is shown only inside the part of the curve
    /// that is shown, since a time beyond it marks an event among fewer than threshold at risk.
    private static PublishedMedian Median(SurvivalTimeEstimate median, double? shownUntil, SuppressionReason? curveEnd)
    {
        var hidden = false;
        double? Inside(double? time)
        {
            if (time is null || shownUntil is null || time < shownUntil) return time;
            hidden = true;
            return null;
        }
        var estimate = Inside(median.Estimate);
        var lower = Inside(median.Lower);
        var upper = Inside(median.Upper);
        return new PublishedMedian(estimate, lower, upper, hidden ? curveEnd : null);
    }
}
