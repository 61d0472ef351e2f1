using Outcomes.Statistics;

namespace Outcomes.Domain.Cohorts;

/// The Kaplan-Meier curves of one report: for the whole cohort and, from one shared sorted sample per analysis,
/// for every group; the same samples give the log-rank tests.
internal sealed class SurvivalSet
{
    private static readonly KaplanMeierCurve[] NoCurves = [];

    private readonly ReportOptions _options;
    private readonly string[] _labels;
    private Analysis? _onsetDays, _onsetSessions, _durability;
    private CoxComparison? _cox;

    private SurvivalSet(ReportOptions options, string[] labels)
    {
        _options = options;
        _labels = labels;
    }

    public static SurvivalSet Compute(EligibleCourses eligible, Grouping grouping, ReportOptions options)
    {
        var set = new SurvivalSet(options, grouping.Labels);
        // Four independent estimations, each into its own field (the Cox model, the costliest, beside the curves).
        Parallel.Invoke(
            () =>
            {
                if (grouping.IsGrouped && options.Includes(ReportSection.TimeToResponse) && options.CoxAdjustedForBaseline)
                    set._cox = Cox(eligible, grouping);
            },
            () =>
            {
                if (options.Includes(ReportSection.TimeToResponse))
                    set._onsetDays = Analysis.Of(eligible.OnsetDays, eligible.Responded, eligible.Labels, grouping);
            },
            () =>
            {
                if (options.Includes(ReportSection.TimeToResponse))
                    set._onsetSessions = Analysis.Of(eligible.OnsetSessions, eligible.Responded, eligible.Labels, grouping);
            },
            () =>
            {
                if (options.Includes(ReportSection.Durability))
                    set._durability = Analysis.Of(eligible.DurabilityDays, eligible.DurabilityEnded, eligible.DurabilityLabels, grouping);
            });
        return set;
    }

    public TimeToResponse? TimeToResponse(int slot) =>
        _onsetDays is null || _onsetSessions is null
            ? null
            : new TimeToResponse(
                Read(_onsetDays.CurveOf(slot, _labels), _options.AtRiskDays, []),
                Read(_onsetSessions.CurveOf(slot, _labels), _options.AtRiskSessions, []));

    public DurabilityAnalysis? Durability(int slot) =>
        _durability is null
            ? null
            : new DurabilityAnalysis(Read(_durability.CurveOf(slot, _labels), _options.DurabilityAtRiskDays, _options.DurabilitySurvivalDays));

    public GroupComparisons Comparisons() => new(_onsetDays?.Test(), _onsetSessions?.Test(), _durability?.Test(), _cox);

    private static SurvivalAnalysis Read(KaplanMeierCurve curve, IReadOnlyList<int> atRisk, IReadOnlyList<int> survivalAt) => new(
        curve,
        KaplanMeier.At(curve, atRisk.Select(t => (double)t).ToArray(), extend: true),
        KaplanMeier.At(curve, survivalAt.Select(t => (double)t).ToArray()));

    /// Time to response in days on the group (reference: the group with most eligible courses, so the hazard
    /// ratios are as precise as the data allow) and the baseline total; groups without eligible courses are left
    /// out of the design. Null with fewer than two such groups.
    private static CoxComparison? Cox(EligibleCourses eligible, Grouping grouping)
    {
        var counts = new int[grouping.Labels.Length];
        foreach (var slot in eligible.Slots) counts[slot - 1]++;
        var present = Enumerable.Range(0, counts.Length).Where(g => counts[g] > 0).ToList();
        if (present.Count < 2) return null;
        var reference = present.MaxBy(g => counts[g]);
        var levels = present.Where(g => g != reference).Prepend(reference).Select(g => grouping.Labels[g]).ToArray();
        var design = DesignMatrix.FromColumns([
            DesignColumn.Factor("group", eligible.Labels, levels),
            DesignColumn.Numeric("baselineTotal", eligible.BaselineTotals),
        ]);
        var events = eligible.Responded.Select(r => r == 1).ToArray();
        return new CoxComparison(levels[0], CoxRegression.Fit(eligible.OnsetDays, events, design));
    }

    private static KaplanMeierCurve Empty(string? label) => new(label, 0, 0, new SurvivalTimeEstimate(null, null, null), []);

    private sealed class Analysis
    {
        private KaplanMeierCurve _overall = Empty(null);
        private Dictionary<string, KaplanMeierCurve> _byGroup = [];
        private SurvivalSample? _grouped;

        public static Analysis Of(double[] time, int[] status, string[] labels, Grouping grouping)
        {
            var analysis = new Analysis();
            if (time.Length == 0) return analysis;
            analysis._overall = KaplanMeier.Estimate(time, status);
            if (!grouping.IsGrouped) return analysis;
            analysis._grouped = SurvivalSample.Create(time, status, labels, grouping.Order);
            analysis._byGroup = KaplanMeier.EstimateByGroup(analysis._grouped).ToDictionary(c => c.Group!, StringComparer.Ordinal);
            return analysis;
        }

        public KaplanMeierCurve CurveOf(int slot, string[] labels) =>
            slot == 0 ? _overall : _byGroup.GetValueOrDefault(labels[slot - 1]) ?? Empty(labels[slot - 1]);

        public LogRankTest? Test() => _grouped is null ? null : LogRank.Test(_grouped);
    }
}
