using Outcomes.Domain.Outcomes;
using Outcomes.Statistics;

namespace Outcomes.Domain.Cohorts;

/// Turns a computed report into a publishable one: no count from 1 to threshold-1 is shown, nor recoverable by
/// subtraction from totals, nested counts or the other groups; rates, means and curves resting on a suppressed
/// count are withheld, and groups smaller than the threshold are withheld whole. The algorithm and its sources:
/// analytics/methods/small-cell-suppression.md.
public static class SmallCellSuppression
{
    /// With the threshold the report's definition states (options.suppressionThreshold).
    public static PublishedCohortReport Apply(CohortReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return Apply(report, report.Definition.Options.SuppressionThreshold);
    }

    /// The threshold is the smallest count that may be shown (11: no count of 1-10); it must be at least 2.
    public static PublishedCohortReport Apply(CohortReport report, int threshold)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentOutOfRangeException.ThrowIfLessThan(threshold, 2);
        return Run(report, threshold);
    }

    /// The report as it is: threshold 1 leaves every count, step and estimate in place (the own-clinics tier).
    internal static PublishedCohortReport Exact(CohortReport report) => Run(report, 1);

    private static PublishedCohortReport Run(CohortReport report, int threshold)
    {
        GroupReport[] slots = [report.Overall, .. report.Groups];
        var graph = new DisclosureGraph();
        var nodes = new SlotNodes[slots.Length];
        for (var s = 0; s < slots.Length; s++) nodes[s] = SlotNodes.Register(graph, s, slots[s], report.Definition.Options);

        var withheld = new bool[slots.Length];
        for (var s = 0; s < slots.Length; s++)
        {
            withheld[s] = slots[s].Counts.Enrolled < threshold;
            if (withheld[s]) graph.Withhold(s);
        }
        graph.Protect(threshold);

        var derived = new List<SuppressionReason>();
        var published = new PublishedGroup[slots.Length];
        for (var s = 0; s < slots.Length; s++)
            published[s] = withheld[s]
                ? new PublishedGroup(slots[s].Group, SuppressionReason.SmallGroup, null, null, null, null, null, null)
                : Publish(slots[s], nodes[s], graph, threshold, derived);

        var bySlot = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var s = 1; s < slots.Length; s++) bySlot[slots[s].Group!] = s;
        // A cohort below the threshold publishes nothing beyond its withholding, tests included.
        var comparisons = report.Comparisons is { } c && !withheld[0] ? Publish(c, nodes, bySlot, graph, withheld, derived) : null;

        return new PublishedCohortReport
        {
            Definition = report.Definition,
            Provenance = report.Provenance,
            SuppressionThreshold = threshold,
            Overall = published[0],
            Groups = published[1..],
            Comparisons = comparisons,
            Suppression = Notes(graph.Reasons().Concat(derived), threshold),
        };
    }

    private static PublishedGroup Publish(GroupReport g, SlotNodes n, DisclosureGraph graph, int threshold, List<SuppressionReason> derived)
    {
        Cell C(int id) => graph.Cell(id);
        var counts = new PublishedCounts(
            C(n.Enrolled), C(n.WithBaseline), C(n.Eligible),
            g.Counts.Funnel.Select((step, k) => new PublishedFunnelStep(step.Sessions, step.OrMore, C(n.Funnel[k]))).ToList(),
            g.Counts.EndReasons.Select((reason, k) => new PublishedEndReason(reason.Reason, C(n.EndReasons[k]))).ToList());

        PublishedRate Rate(Rate rate, int events, int total)
        {
            if (graph.IsShown(events) && graph.IsShown(total))
                return new PublishedRate(C(events), C(total), rate.Estimate.Estimate, rate.Estimate.Lower, rate.Estimate.Upper, null);
            derived.Add(SuppressionReason.DerivedFromSuppressed);
            return new PublishedRate(C(events), C(total), null, null, null, SuppressionReason.DerivedFromSuppressed);
        }

        var response = g.Response is { } r
            ? new PublishedResponse(r.InductionWindowDays,
                Measures.Rates.Select(m => Rate(r[m], n.Rates[m.RateIndex].Events, n.Rates[m.RateIndex].Known)).ToList())
            : null;

        PublishedSurvival Survival(SurvivalAnalysis analysis, int total, int events, int[] atRiskNodes)
        {
            var atRisk = atRiskNodes.Select(id => new PublishedAtRisk(n.AtRiskTimes[id], C(id))).ToList();
            if (graph.IsShown(total) && graph.IsShown(events))
            {
                var shown = SurvivalDisclosure.Publish(analysis, C(total), C(events), atRisk, threshold);
                if (shown.CurveEnd is { } end) derived.Add(end);
                if (shown.Median.Suppressed is { } median) derived.Add(median);
                derived.AddRange(shown.SurvivalAt.Where(a => a.Suppressed is not null).Select(a => a.Suppressed!.Value));
                return shown;
            }
            derived.Add(SuppressionReason.DerivedFromSuppressed);
            return SurvivalDisclosure.Withheld(C(total), C(events), SuppressionReason.DerivedFromSuppressed) with { AtRisk = atRisk };
        }

        var timeToResponse = g.TimeToResponse is { } t
            ? new PublishedTimeToResponse(
                Survival(t.Days, n.Eligible, n.Responders, n.OnsetDaysAtRisk),
                Survival(t.Sessions, n.Eligible, n.Responders, n.OnsetSessionsAtRisk))
            : null;
        var durability = g.Durability is { } d
            ? new PublishedDurability(Survival(d.Days, n.Responders, n.DurabilityEnded, n.DurabilityAtRisk))
            : null;

        PublishedTrajectory? trajectory = null;
        if (g.Trajectory is { } tr)
        {
            var weeks = tr.Weeks.Select((w, k) =>
            {
                var cell = C(n.Weeks[k]);
                if (cell.IsShown) return new PublishedWeek(w.Week, cell, w.Mean, w.Lower, w.Upper, null);
                derived.Add(SuppressionReason.DerivedFromSuppressed);
                return new PublishedWeek(w.Week, cell, null, null, null, SuppressionReason.DerivedFromSuppressed);
            }).ToList();
            PublishedSlope? slope = null;
            if (tr.Slope is { } sl)
            {
                var courses = C(n.SlopeCourses);
                var shown = courses.IsShown && graph.IsShown(n.SlopeObservations);
                if (!shown) derived.Add(SuppressionReason.DerivedFromSuppressed);
                slope = new PublishedSlope(courses, C(n.SlopeObservations), sl.Subsampled,
                    shown ? sl.PerWeek?.Estimate : null, shown ? sl.PerWeek?.Se : null, sl.Problem,
                    shown ? null : SuppressionReason.DerivedFromSuppressed);
            }
            trajectory = new PublishedTrajectory(weeks, slope);
        }

        var item9 = g.Item9 is { } i9
            ? new PublishedItem9(C(n.Item9Known),
                Rate(i9.PositiveAtBaseline, n.Item9Positive, n.Item9Known),
                C(n.Item9Negative),
                Rate(i9.NewDuringTreatment, n.Item9New, n.Item9NewKnown),
                Rate(i9.Resolved, n.Item9Resolved, n.Item9ResolvedKnown))
            : null;

        return new PublishedGroup(g.Group, null, counts, response, timeToResponse, durability, trajectory, item9);
    }

    private static PublishedComparisons Publish(
        GroupComparisons c, SlotNodes[] nodes, Dictionary<string, int> bySlot, DisclosureGraph graph, bool[] withheld,
        List<SuppressionReason> derived)
    {
        PublishedLogRank? LogRankOf(LogRankTest? test, Func<SlotNodes, int> total, Func<SlotNodes, int> events) =>
            test is null
                ? null
                : new PublishedLogRank(test.ChiSquare, test.Df, test.P, test.Groups.Select(row =>
                {
                    var n = nodes[bySlot[row.Group!]];
                    var shown = graph.IsShown(total(n)) && graph.IsShown(events(n));
                    if (!shown) derived.Add(SuppressionReason.DerivedFromSuppressed);
                    return new PublishedLogRankGroup(row.Group!, graph.Cell(total(n)), graph.Cell(events(n)), shown ? row.Expected : null);
                }).ToList());

        PublishedCox? cox = null;
        if (c.TimeToResponseAdjusted is { } adjusted)
        {
            bool Shown(int slot) => !withheld[slot] && graph.IsShown(nodes[slot].Eligible) && graph.IsShown(nodes[slot].Responders);
            var referenceShown = Shown(bySlot[adjusted.ReferenceGroup]);
            var rows = adjusted.Fit.Coefficients.Select(coefficient =>
            {
                string? group = coefficient.Name.StartsWith("group", StringComparison.Ordinal) ? coefficient.Name["group".Length..] : null;
                var shown = group is null ? Shown(0) : referenceShown && Shown(bySlot[group]);
                if (!shown) derived.Add(SuppressionReason.DerivedFromSuppressed);
                return shown
                    ? new PublishedHazardRatio(coefficient.Name, group, coefficient.HazardRatio, coefficient.Lower, coefficient.Upper, coefficient.P, null)
                    : new PublishedHazardRatio(coefficient.Name, group, null, null, null, null,
                        group is not null && withheld[bySlot[group]] ? SuppressionReason.SmallGroup : SuppressionReason.DerivedFromSuppressed);
            }).ToList();
            cox = new PublishedCox(adjusted.ReferenceGroup, graph.Cell(nodes[0].Eligible), graph.Cell(nodes[0].Responders),
                adjusted.Fit.Converged, adjusted.Fit.Warnings, rows);
        }

        return new PublishedComparisons(
            LogRankOf(c.TimeToResponseDays, n => n.Eligible, n => n.Responders),
            LogRankOf(c.TimeToResponseSessions, n => n.Eligible, n => n.Responders),
            LogRankOf(c.Durability, n => n.Responders, n => n.DurabilityEnded),
            cox);
    }

    private static IReadOnlyList<SuppressionNote> Notes(IEnumerable<SuppressionReason> reasons, int threshold) =>
        reasons.GroupBy(r => r).OrderBy(g => g.Key).Select(g => new SuppressionNote(g.Key, g.Count(), g.Key switch
        {
            SuppressionReason.BelowThreshold => $"Counts from 1 to {threshold - 1} are not shown (0 is).",
            SuppressionReason.Complementary =>
                $"Hidden so that no count from 1 to {threshold - 1} can be worked out from totals, nested counts or other groups.",
            SuppressionReason.SmallGroup => $"Groups with fewer than {threshold} courses are withheld whole.",
            SuppressionReason.DerivedFromSuppressed => "Rates, means, curves and tests resting on a suppressed count are withheld.",
            SuppressionReason.FewAtRisk => $"Survival curves stop before fewer than {threshold} courses are at risk.",
            _ => $"Survival steps and estimates each cover at least {threshold} events.",
        })).ToList();
}
