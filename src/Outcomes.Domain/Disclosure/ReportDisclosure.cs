using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Outcomes;
using Outcomes.Statistics;

namespace Outcomes.Domain.Disclosure;

/// The one place a cohort report becomes publishable, by tier (analytics/methods/disclosure-control.md): the API,
/// the dashboard and the offline tools all publish through it.
public static class ReportDisclosure
{
    private const double Confidence = 0.95;
    private const double PhqTotalMaximum = Courses.Phq9Score.MaxTotal;

    /// The caller's own clinics: every figure exact.
    public static PublishedCohortReport OwnClinics(IReadOnlyList<CohortMember> members, ReportDefinition definition, ReportProvenance provenance)
    {
        return ExactFigures.Publish(CohortReport.Compute(members, definition, provenance), DisclosureStatement.OwnClinics);
    }

    /// A researcher's own report over released microdata (an export): exact over what was released, and saying so: how
    /// many of the cohort's subjects carry generalised values, and how many subjects of the researcher's clinics the
    /// release suppressed (how many of those the cohort would hold is not known from an export, by design).
    public static PublishedCohortReport OverReleasedMicrodata(CohortReport report, int suppressedInScope, int generalisedInCohort)
    {
        ArgumentNullException.ThrowIfNull(report);
        return ExactFigures.Publish(report,
            DisclosureStatement.ReleasedMicrodata(report.Overall.Counts.Enrolled, generalisedInCohort, suppressedInScope));
    }

    /// Across clinics or for a researcher: every count perturbed by its cell key, everything else derived from
    /// perturbed counts and sums, curves on fixed grids, models only over large groups and rounded.
    /// <paramref name="storedKeys"/>, when given, holds each member's record key as its release stored it (-1 where
    /// none was stored): the same values as <paramref name="recordKeys"/> gives, read instead of derived.
    public static PublishedCohortReport Protected(IReadOnlyList<CohortMember> members, ReportDefinition definition, ReportProvenance provenance,
        RecordKeys recordKeys, PerturbationParameters parameters, ReleasePoint? release, IReadOnlyList<short>? storedKeys = null) =>
        Protected(ComputeProtected(members, definition, provenance, recordKeys, parameters, storedKeys), release);

    /// The protected report computed but not yet published: the service asks the differencing lock-out about its
    /// slots' signatures (I/O) before publishing it.
    public static ProtectedComputation ComputeProtected(IReadOnlyList<CohortMember> members, ReportDefinition definition,
        ReportProvenance provenance, RecordKeys recordKeys, PerturbationParameters parameters, IReadOnlyList<short>? storedKeys = null)
    {
        ArgumentNullException.ThrowIfNull(recordKeys);
        ArgumentNullException.ThrowIfNull(parameters);
        return new ProtectedComputation(
            CohortComputation.Compute(members, definition, provenance, new MemberKeys(recordKeys, storedKeys), parameters), parameters);
    }

    /// Publishes a protected computation; the slots in <paramref name="lockedOut"/> (0: the whole cohort) are withheld
    /// whole, as the lock-out decided (none when it did not ask).
    public static PublishedCohortReport Protected(ProtectedComputation computed, ReleasePoint? release, IReadOnlySet<int>? lockedOut = null)
    {
        ArgumentNullException.ThrowIfNull(computed);
        var (report, parameters) = (computed.Report, computed.Parameters);
        var keys = report.Keys!;
        GroupReport[] slots = [report.Overall, .. report.Groups];
        var published = new PublishedGroup[slots.Length];
        for (var s = 0; s < slots.Length; s++)
            published[s] = lockedOut?.Contains(s) == true
                ? Withheld(slots[s].Group)
                : Group(slots[s], keys.Slots[s], keys.LifeTables[s], report.Definition.Options, parameters);

        return new PublishedCohortReport
        {
            Definition = report.Definition,
            Provenance = report.Provenance,
            Overall = published[0],
            Groups = published[1..],
            Comparisons = report.Comparisons is { } c ? Comparisons(c, published, parameters) : null,
            Disclosure = DisclosureStatement.Protected(parameters, release),
        };
    }

    private static PublishedGroup Withheld(string? group) => new(group, SuppressionReason.Protected, null, null, null, null, null, null);

    private static Cell C(int count, int key) => Cell.Of(CellKeyTable.Count(count, key));

    private static PublishedGroup Group(GroupReport g, GroupReport k, SlotLifeTables tables, ReportOptions options, PerturbationParameters p)
    {
        // A group too small to speak of is withheld whole, its size included: a filter that isolates a course shows
        // nothing of it (not even that its stop reason's count is not 0).
        if (CellKeyTable.Count(g.Counts.Enrolled, k.Counts.Enrolled) < p.MinimumBase) return Withheld(g.Group);

        var counts = new PublishedCounts(
            C(g.Counts.Enrolled, k.Counts.Enrolled),
            C(g.Counts.WithBaseline, k.Counts.WithBaseline),
            C(g.Counts.Eligible, k.Counts.Eligible),
            g.Counts.Funnel.Select((step, i) => new PublishedFunnelStep(step.Sessions, step.OrMore, C(step.Courses, k.Counts.Funnel[i].Courses))).ToList(),
            g.Counts.EndReasons.Select((reason, i) => new PublishedEndReason(reason.Reason, C(reason.Courses, k.Counts.EndReasons[i].Courses))).ToList());

        var response = g.Response is { } r && k.Response is { } kr
            ? new PublishedResponse(r.InductionWindowDays, Measures.Rates.Select(m => Rate(r[m], kr[m], p)).ToList())
            : null;

        var timeToResponse = tables.OnsetDays is { } days && tables.OnsetSessions is { } sessions
            ? new PublishedTimeToResponse(Survival(days, [], interpolate: true, p), Survival(sessions, [], interpolate: false, p))
            : null;
        var durability = tables.Durability is { } d
            ? new PublishedDurability(Survival(d, options.DurabilitySurvivalDays, interpolate: true, p))
            : null;

        PublishedTrajectory? trajectory = null;
        if (g.Trajectory is { } tr && k.Trajectory is { } ktr)
        {
            var weeks = tr.Weeks.Select((w, i) => Week(w, ktr.Weeks[i].Courses, p)).ToList();
            // The slope is a model over the group's courses: shown only over enough of them, and rounded.
            PublishedSlope? slope = null;
            if (tr.Slope is { } sl)
            {
                var courses = C(sl.Courses, k.Counts.Eligible);
                var shown = courses.Value >= p.MinimumModelCourses && sl.PerWeek is not null;
                slope = new PublishedSlope(courses, Cell.Hidden(SuppressionReason.Protected), sl.Subsampled,
                    shown ? Math.Round(sl.PerWeek!.Estimate, 1) : null, shown ? Math.Round(sl.PerWeek!.Se, 2) : null, sl.Problem,
                    shown ? null : SuppressionReason.Protected);
            }
            trajectory = new PublishedTrajectory(weeks, slope);
        }

        var item9 = g.Item9 is { } i9 && k.Item9 is { } ki9
            ? new PublishedItem9(C(i9.BaselineKnown, ki9.BaselineKnown),
                Rate(i9.PositiveAtBaseline, ki9.PositiveAtBaseline, p),
                C(i9.NegativeAtBaseline, ki9.NegativeAtBaseline),
                Rate(i9.NewDuringTreatment, ki9.NewDuringTreatment, p),
                Rate(i9.Resolved, ki9.Resolved, p))
            : null;

        return new PublishedGroup(g.Group, null, counts, response, timeToResponse, durability, trajectory, item9);
    }

    /// Perturbed events over perturbed N with the Wilson interval of those (events capped at N); over a base smaller
    /// than the minimum only N.
    private static PublishedRate Rate(Rate exact, Rate keys, PerturbationParameters p)
    {
        var n = CellKeyTable.Count(exact.N, keys.N);
        if (n < Math.Max(1, p.MinimumBase)) return new PublishedRate(Cell.Hidden(SuppressionReason.Protected), Cell.Of(n), null, null, null, SuppressionReason.Protected);
        var events = Math.Min(CellKeyTable.Count(exact.Events, keys.Events), n);
        var estimate = Proportion.Wilson(events, n, Confidence);
        return new PublishedRate(Cell.Of(events), Cell.Of(n), estimate.Estimate, estimate.Lower, estimate.Upper, null);
    }

    /// The weekly mean from a perturbed count and perturbed sums; its interval adds the perturbation's own variance
    /// to the sampling variance, so it covers the noise it publishes.
    private static PublishedWeek Week(WeeklyMean exact, int key, PerturbationParameters p)
    {
        var n = CellKeyTable.Count(exact.Courses, key);
        if (n < Math.Max(2, p.MinimumBase) || exact.Mean is null) return new PublishedWeek(exact.Week, Cell.Of(n), null, null, null, SuppressionReason.Protected);
        var trueSum = exact.Mean.Value * exact.Courses;
        var sum = trueSum + CellKeyTable.SumNoise(key, PhqTotalMaximum);
        var mean = Math.Clamp(sum / n, 0, PhqTotalMaximum);
        // The exact variance back from the exact interval is not needed: the sum of squares is perturbed on its own.
        var trueSumOfSquares = SumOfSquares(exact);
        var sumOfSquares = trueSumOfSquares + CellKeyTable.SumOfSquaresNoise(key, PhqTotalMaximum);
        var sampleVariance = Math.Max(0, (sumOfSquares - sum * sum / n) / (n - 1));
        var noiseVariance = PhqTotalMaximum * PhqTotalMaximum / ((double)n * n);
        var half = StudentT.Quantile(1 - (1 - Confidence) / 2, n - 1) * Math.Sqrt(sampleVariance / n + noiseVariance);
        return new PublishedWeek(exact.Week, Cell.Of(n), Math.Round(mean, 1), Math.Round(mean - half, 1), Math.Round(mean + half, 1), null);
    }

    /// Back from the exact mean and its t interval: s² = (half / t)² · n, then Σx² = (n - 1) s² + n·mean².
    private static double SumOfSquares(WeeklyMean w)
    {
        var n = w.Courses;
        var mean = w.Mean!.Value;
        if (n < 2 || w.Upper is null) return n * mean * mean;
        var t = StudentT.Quantile(1 - (1 - Confidence) / 2, n - 1);
        var s = (w.Upper.Value - mean) / t * Math.Sqrt(n);
        return (n - 1) * s * s + n * mean * mean;
    }

    /// A life table from perturbed counts (actuarial: those censored in an interval count half at risk), its
    /// log-scale Greenwood band, numbers at risk at the grid points, the median read off the curve (interpolated
    /// within its interval on a time axis, the interval's start on the sessions axis) and estimates at asked times.
    private static PublishedSurvival Survival(LifeTable table, IReadOnlyList<int> survivalAt, bool interpolate, PerturbationParameters p)
    {
        if (table.Total.Perturbed < p.MinimumBase)
            return new PublishedSurvival(Cell.Of(table.Total.Perturbed), Cell.Hidden(SuppressionReason.Protected), SuppressionReason.Protected, [],
                null, null, new PublishedMedian(null, null, null, SuppressionReason.Protected), [],
                survivalAt.Select(t => new PublishedSurvivalAt(t, null, null, null, SuppressionReason.Protected)).ToList());
        var points = table.Points;
        var intervals = points.Length - 1;
        var steps = new List<SurvivalStep>(intervals);
        var atRisk = new List<PublishedAtRisk>(intervals);
        double survival = 1, greenwood = 0;
        var z = StandardNormal.Quantile(1 - (1 - Confidence) / 2);
        var curve = new List<(double Time, double S, double? Lower, double? Upper)> { (points[0], 1, 1, 1) };
        for (var j = 0; j < intervals; j++)
        {
            var start = table.AtStart[j].Perturbed;
            atRisk.Add(new PublishedAtRisk(points[j], Cell.Of(start)));
            if (start <= 0) break;
            var events = Math.Min(table.EventsIn[j].Perturbed, start);
            var censored = table.CensoredIn[j].Perturbed;
            var exposed = Math.Max(events, start - censored / 2.0);
            if (events > 0)
            {
                survival *= 1 - events / exposed;
                if (exposed > events) greenwood += events / (exposed * (exposed - events));
            }
            double? lower = null, upper = null;
            if (survival > 0)
            {
                var se = Math.Sqrt(greenwood);
                lower = Math.Round(survival * Math.Exp(-z * se), 4);
                upper = Math.Round(Math.Min(1, survival * Math.Exp(z * se)), 4);
            }
            steps.Add(new SurvivalStep(points[j + 1], Math.Round(survival, 4), lower, upper));
            curve.Add((points[j + 1], survival, lower, upper));
        }

        var median = new PublishedMedian(
            Crossing(curve, c => c.S, interpolate), Crossing(curve, c => c.Lower, interpolate), Crossing(curve, c => c.Upper, interpolate), null);
        var at = survivalAt.Select(t => At(curve, t)).ToList();
        return new PublishedSurvival(Cell.Of(table.Total.Perturbed), Cell.Of(Math.Min(table.Events.Perturbed, table.Total.Perturbed)), null,
            steps, points[^1], null, median, atRisk, at);
    }

    /// The first time the curve (or a band) reaches 0.5: within the interval by linear interpolation, or its start.
    private static double? Crossing(List<(double Time, double S, double? Lower, double? Upper)> curve,
        Func<(double Time, double S, double? Lower, double? Upper), double?> value, bool interpolate)
    {
        for (var j = 1; j < curve.Count; j++)
        {
            if (value(curve[j]) is not { } s || s > 0.5) continue;
            var (t0, t1) = (curve[j - 1].Time, curve[j].Time);
            if (!interpolate) return t0;
            var s0 = value(curve[j - 1]) ?? 1;
            return Math.Round(s0 - s <= 0 ? t1 : t0 + (s0 - 0.5) / (s0 - s) * (t1 - t0), 1);
        }
        return null;
    }

    private static PublishedSurvivalAt At(List<(double Time, double S, double? Lower, double? Upper)> curve, double t)
    {
        for (var j = 1; j < curve.Count; j++)
        {
            if (curve[j].Time < t) continue;
            var (a, b) = (curve[j - 1], curve[j]);
            var f = b.Time == a.Time ? 1 : (t - a.Time) / (b.Time - a.Time);
            double? Lerp(double? x, double? y) => x is { } xa && y is { } yb ? Math.Round(xa + f * (yb - xa), 4) : null;
            return new PublishedSurvivalAt(t, Lerp(a.S, b.S), Lerp(a.Lower, b.Lower), Lerp(a.Upper, b.Upper), null);
        }
        return new PublishedSurvivalAt(t, null, null, null, SuppressionReason.Protected);
    }

    /// Tests across groups: only when every group has enough perturbed eligible courses, rounded; their group rows
    /// carry the groups' perturbed counts.
    private static PublishedComparisons Comparisons(GroupComparisons c, PublishedGroup[] published, PerturbationParameters p)
    {
        var byLabel = published.Skip(1).ToDictionary(g => g.Group!, StringComparer.Ordinal);
        bool Large(string group, Func<PublishedGroup, int?> n) =>
            byLabel.TryGetValue(group, out var g) && g.Withheld is null && n(g) >= p.MinimumModelCourses;
        static int? Eligible(PublishedGroup g) => g.Counts?.Eligible.Value;

        PublishedLogRank? LogRank(LogRankTest? test, Func<PublishedGroup, Cell> n, Func<PublishedGroup, Cell> observed)
        {
            if (test is null || !test.Groups.All(row => Large(row.Group!, g => n(g).Value))) return null;
            return new PublishedLogRank(Math.Round(test.ChiSquare, 1), test.Df, RoundP(test.P),
                test.Groups.Select(row => new PublishedLogRankGroup(row.Group!, n(byLabel[row.Group!]), observed(byLabel[row.Group!]),
                    Math.Round(row.Expected))).ToList());
        }

        PublishedCox? cox = null;
        if (c.TimeToResponseAdjusted is { } adjusted && byLabel.Keys.All(group => Large(group, Eligible)))
            cox = new PublishedCox(adjusted.ReferenceGroup, published[0].Counts?.Eligible ?? Cell.Hidden(SuppressionReason.Protected),
                published[0].TimeToResponse?.Days.Events ?? Cell.Hidden(SuppressionReason.Protected), adjusted.Fit.Converged, adjusted.Fit.Warnings,
                adjusted.Fit.Coefficients.Select(coefficient => new PublishedHazardRatio(coefficient.Name,
                    coefficient.Name.StartsWith("group", StringComparison.Ordinal) ? coefficient.Name["group".Length..] : null,
                    Round2(coefficient.HazardRatio), Round2(coefficient.Lower), Round2(coefficient.Upper), RoundP(coefficient.P), null)).ToList());

        return new PublishedComparisons(
            LogRank(c.TimeToResponseDays, g => g.Counts!.Eligible, g => g.TimeToResponse!.Days.Events),
            LogRank(c.TimeToResponseSessions, g => g.Counts!.Eligible, g => g.TimeToResponse!.Sessions.Events),
            LogRank(c.Durability, g => g.Durability!.Days.N, g => g.Durability!.Days.Events),
            cox);
    }

    private static double? Round2(double? value) => value is { } v ? Math.Round(v, 2) : null;

    /// Two significant digits, and nothing finer than 0.001.
    private static double? RoundP(double? p) => p switch
    {
        null => null,
        < 0.001 => 0.001,
        { } v => Math.Round(v, Math.Max(0, 1 - (int)Math.Floor(Math.Log10(v)))),
    };
}

/// A protected report computed and not yet published (ReportDisclosure.ComputeProtected).
public sealed class ProtectedComputation
{
    internal ProtectedComputation(CohortReport report, PerturbationParameters parameters)
    {
        Report = report;
        Parameters = parameters;
    }

    internal CohortReport Report { get; }

    internal PerturbationParameters Parameters { get; }

    /// The slots' signatures (0: the whole cohort), for the differencing lock-out.
    public CohortSignatures Signatures => Report.Keys!.Signatures;
}
