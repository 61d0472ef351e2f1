using Outcomes.Statistics;

namespace Outcomes.Domain.Cohorts;

/// Publishes a Kaplan-Meier curve without revealing small counts through its steps. Each drop of S(t) is
/// d/n of the courses at risk, and with the Greenwood interval both d and n can be solved for, so:
/// - the curve is shown only when its N and its event count are both shown (the caller checks);
/// - it stops before the first time with fewer than threshold at risk (FewAtRisk);
/// - consecutive event times are merged into one published step until it holds at least threshold events; the
///   survival shown at each step is the exact Kaplan-Meier value there;
/// - the events not in any step (the total is shown) must number 0 or at least threshold: otherwise the last step
///   is taken back (FewEvents);
/// - an estimate at a requested time (30, 60, 90 days) shows every event up to it, so it is shown only when all of
///   them are in steps that end by then; a step is moved to the last event before a requested time when that makes
///   it so.
internal static class SurvivalDisclosure
{
    public static PublishedSurvival Withheld(Cell n, Cell events, SuppressionReason reason) =>
        new(n, events, reason, [], null, null, new PublishedMedian(null, null, null, null), [], []);

    public static PublishedSurvival Publish(SurvivalAnalysis analysis, Cell n, Cell events, IReadOnlyList<PublishedAtRisk> atRisk, int threshold)
    {
        var table = analysis.Curve.Table;
        var requested = analysis.SurvivalAt;
        var steps = new List<(int Row, int Events)>();
        var fewEventsAt = new HashSet<double>();
        var pending = 0;
        var segmentStart = 0;
        var lastEventRow = -1;
        var next = 0;
        var stoppedAt = -1;

        for (var row = 0; row < table.Count; row++)
        {
            for (; next < requested.Count && requested[next].Time < table[row].Time; next++) CloseSegment();
            if (table[row].NRisk < threshold)
            {
                stoppedAt = row;
                break;
            }
            if (table[row].NEvent == 0) continue;
            pending += table[row].NEvent;
            lastEventRow = row;
            if (pending < threshold) continue;
            steps.Add((row, pending));
            pending = 0;
        }
        if (stoppedAt < 0)
            for (; next < requested.Count; next++) CloseSegment();

        var hidden = analysis.Curve.Events - steps.Sum(s => s.Events);
        while (hidden is > 0 && hidden < threshold && steps.Count > 0)
        {
            hidden += steps[^1].Events;
            steps.RemoveAt(steps.Count - 1);
        }

        // The curve is exact up to its first event outside a step, or to where too few are at risk.
        var lastStepRow = steps.Count > 0 ? steps[^1].Row : -1;
        var firstHidden = -1;
        for (var row = lastStepRow + 1; row < table.Count && firstHidden < 0; row++)
            if (table[row].NEvent > 0) firstHidden = row;
        double? shownUntil = null;
        SuppressionReason? curveEnd = null;
        if (firstHidden >= 0 && (stoppedAt < 0 || firstHidden < stoppedAt))
        {
            shownUntil = table[firstHidden].Time;
            curveEnd = SuppressionReason.FewEvents;
        }
        else if (stoppedAt >= 0)
        {
            shownUntil = table[stoppedAt].Time;
            curveEnd = SuppressionReason.FewAtRisk;
        }

        var curve = steps.Select(s => new SurvivalStep(table[s.Row].Time, table[s.Row].Survival, table[s.Row].Lower, table[s.Row].Upper)).ToList();
        var survivalAt = requested.Select(r =>
                fewEventsAt.Contains(r.Time) ? new PublishedSurvivalAt(r.Time, null, null, null, SuppressionReason.FewEvents)
                : shownUntil is { } until && r.Time >= until ? new PublishedSurvivalAt(r.Time, null, null, null, curveEnd)
                : new PublishedSurvivalAt(r.Time, r.Survival, r.Lower, r.Upper, null))
            .ToList();
        return new PublishedSurvival(n, events, null, curve, shownUntil, curveEnd, Median(analysis.Curve.Median, shownUntil, curveEnd), atRisk, survivalAt);

        // At a requested time every event so far must be in a step: fold the events since the segment's last step
        // into it, moving it to the last of them; with no step to fold into, the estimate there is withheld.
        void CloseSegment()
        {
            if (pending > 0 && steps.Count > segmentStart)
            {
                steps[^1] = (lastEventRow, steps[^1].Events + pending);
                pending = 0;
            }
            if (pending > 0) fewEventsAt.Add(requested[next].Time);
            segmentStart = steps.Count;
        }
    }

    /// The median and its limits are times read off the curves; each is shown only inside the part of the curve
    /// that is shown, since a time beyond it marks an event among fewer than threshold at risk or outside a step.
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
