using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Outcomes;
using Outcomes.Statistics;

namespace Outcomes.Domain.Disclosure;

/// A computed report in its published form with every figure as computed: the own-clinics tier and a report over
/// released microdata (analytics/methods/disclosure-control.md). Nothing is withheld, rounded or perturbed; the
/// published shape is the protected tier's, so readers of a report need not know which tier made it.
internal static class ExactFigures
{
    public static PublishedCohortReport Publish(CohortReport report, DisclosureStatement disclosure)
    {
        var options = report.Definition.Options;
        return new PublishedCohortReport
        {
            Definition = report.Definition,
            Provenance = report.Provenance,
            Overall = Group(report.Overall, options),
            Groups = report.Groups.Select(g => Group(g, options)).ToList(),
            Comparisons = report.Comparisons is { } c ? Comparisons(c, report) : null,
            Disclosure = disclosure,
        };
    }

    private static PublishedGroup Group(GroupReport g, ReportOptions options)
    {
        var counts = new PublishedCounts(Cell.Of(g.Counts.Enrolled), Cell.Of(g.Counts.WithBaseline), Cell.Of(g.Counts.Eligible),
            g.Counts.Funnel.Select(step => new PublishedFunnelStep(step.Sessions, step.OrMore, Cell.Of(step.Courses))).ToList(),
            g.Counts.EndReasons.Select(reason => new PublishedEndReason(reason.Reason, Cell.Of(reason.Courses))).ToList());
        var response = g.Response is { } r
            ? new PublishedResponse(r.InductionWindowDays, Measures.Rates.Select(m => Rate(r[m])).ToList())
            : null;
        var timeToResponse = g.TimeToResponse is { } t
            ? new PublishedTimeToResponse(Survival(t.Days, options.AtRiskDays), Survival(t.Sessions, options.AtRiskSessions))
            : null;
        var durability = g.Durability is { } d ? new PublishedDurability(Survival(d.Days, options.DurabilityAtRiskDays)) : null;
        var trajectory = g.Trajectory is { } tr
            ? new PublishedTrajectory(
                tr.Weeks.Select(w => new PublishedWeek(w.Week, Cell.Of(w.Courses), w.Mean, w.Lower, w.Upper, null)).ToList(),
                tr.Slope is { } s
                    ? new PublishedSlope(Cell.Of(s.Courses), Cell.Of(s.Observations), s.Subsampled, s.PerWeek?.Estimate, s.PerWeek?.Se, s.Problem, null)
                    : null)
            : null;
        var item9 = g.Item9 is { } i9
            ? new PublishedItem9(Cell.Of(i9.BaselineKnown), Rate(i9.PositiveAtBaseline), Cell.Of(i9.NegativeAtBaseline),
                Rate(i9.NewDuringTreatment), Rate(i9.Resolved))
            : null;
        return new PublishedGroup(g.Group, null, counts, response, timeToResponse, durability, trajectory, item9);
    }

    private static PublishedRate Rate(Rate rate) =>
        new(Cell.Of(rate.Events), Cell.Of(rate.N), rate.Estimate.Estimate, rate.Estimate.Lower, rate.Estimate.Upper, null);

    /// Every step of the curve (each time with an event), the numbers at risk at the asked times in ascending order
    /// (0 past the last observed time), the median and the estimates at the asked times.
    private static PublishedSurvival Survival(SurvivalAnalysis analysis, IReadOnlyList<int> atRiskTimes)
    {
        var curve = analysis.Curve;
        var steps = curve.Table.Where(row => row.NEvent > 0)
            .Select(row => new SurvivalStep(row.Time, row.Survival, row.Lower, row.Upper)).ToList();
        var atRisk = atRiskTimes.Order()
            .Select(time => new PublishedAtRisk(time, Cell.Of(analysis.AtRisk.FirstOrDefault(a => a.Time == time).NRisk))).ToList();
        var survivalAt = analysis.SurvivalAt.Select(a => new PublishedSurvivalAt(a.Time, a.Survival, a.Lower, a.Upper, null)).ToList();
        return new PublishedSurvival(Cell.Of(curve.N), Cell.Of(curve.Events), null, steps, null, null,
            new PublishedMedian(curve.Median.Estimate, curve.Median.Lower, curve.Median.Upper, null), atRisk, survivalAt);
    }

    private static PublishedComparisons Comparisons(GroupComparisons c, CohortReport report)
    {
        var byLabel = report.Groups.ToDictionary(g => g.Group!, StringComparer.Ordinal);

        PublishedLogRank? LogRank(LogRankTest? test, Func<GroupReport, SurvivalAnalysis?> analysis) =>
            test is null
                ? null
                : new PublishedLogRank(test.ChiSquare, test.Df, test.P, test.Groups.Select(row =>
                {
                    var curve = analysis(byLabel[row.Group!])!.Curve;
                    return new PublishedLogRankGroup(row.Group!, Cell.Of(curve.N), Cell.Of(curve.Events), row.Expected);
                }).ToList());

        PublishedCox? cox = null;
        if (c.TimeToResponseAdjusted is { } adjusted)
        {
            var overall = report.Overall.TimeToResponse!.Days.Curve;
            cox = new PublishedCox(adjusted.ReferenceGroup, Cell.Of(overall.N), Cell.Of(overall.Events), adjusted.Fit.Converged,
                adjusted.Fit.Warnings, adjusted.Fit.Coefficients.Select(coefficient => new PublishedHazardRatio(coefficient.Name,
                    coefficient.Name.StartsWith("group", StringComparison.Ordinal) ? coefficient.Name["group".Length..] : null,
                    coefficient.HazardRatio, coefficient.Lower, coefficient.Upper, coefficient.P, null)).ToList());
        }

        return new PublishedComparisons(
            LogRank(c.TimeToResponseDays, g => g.TimeToResponse?.Days),
            LogRank(c.TimeToResponseSessions, g => g.TimeToResponse?.Sessions),
            LogRank(c.Durability, g => g.Durability?.Days),
            cox);
    }
}
