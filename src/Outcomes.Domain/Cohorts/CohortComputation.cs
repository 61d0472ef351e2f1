using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;
using Outcomes.Statistics;

namespace Outcomes.Domain.Cohorts;

// One pass over the members tallies every count for the whole cohort and its group at once and gathers the
// survival arrays; the statistics library then runs once per analysis (one sort shared by a grouping's curves and
// its log-rank test). Nothing here allocates per member.
internal static class CohortComputation
{
    public const string Ongoing = "ongoing";
    private const double Confidence = 0.95;
    private static readonly int EndReasonCount = Enum.GetValues<CourseEndReason>().Length;

    public static CohortReport Compute(IReadOnlyList<CohortMember> members, ReportDefinition definition, ReportProvenance provenance) =>
        Compute(members, definition, provenance, null, null);

    /// With record keys, every count is tallied a second time weighted by its courses' record keys (the cell keys of
    /// the cell-key method, in the report's own shape) and the survival samples on the protected tier's grids.
    public static CohortReport Compute(IReadOnlyList<CohortMember> members, ReportDefinition definition, ReportProvenance provenance,
        Disclosure.MemberKeys? recordKeys, Disclosure.PerturbationParameters? grid)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(provenance);
        var violations = definition.Validate();
        if (violations.Count > 0)
            throw new ArgumentException(
                $"Report definition '{definition.Name}' breaks rules: {string.Join("; ", violations.Select(v => $"{v.Field} {v.Rule}"))}",
                nameof(definition));
        var options = definition.Options;
        var grouping = Grouping.Of(members, definition, provenance);
        var slots = grouping.Labels.Length + 1;

        var tallies = new Tally[slots];
        for (var s = 0; s < slots; s++) tallies[s] = new Tally(options.FunnelSessions, EndReasonCount + 1, options.TrajectoryWeeks);
        var keyTallies = recordKeys is null ? null : new Tally[slots];
        var keyOf = recordKeys is null ? null : new int[members.Count];
        var signatures = recordKeys is null ? null : new Disclosure.CohortSignature[slots];
        var eligibleSignatures = recordKeys is null ? null : new Disclosure.CohortSignature[slots];
        if (keyTallies is not null)
            for (var s = 0; s < slots; s++) keyTallies[s] = new Tally(options.FunnelSessions, EndReasonCount + 1, options.TrajectoryWeeks);
        var eligible = new EligibleCourses(grouping.Included);
        var weekly = new int[options.TrajectoryWeeks + 1];
        var rateContext = new RateContext(options.InductionWindowDays, provenance.AsOf.UtcTicks / TimeSpan.TicksPerDay);
        var trajectory = options.Includes(ReportSection.Trajectory);
        // One course's part in each rate, reused for every course: -1 outside the denominator, else 0 or 1.
        var rates = new sbyte[Measures.Rates.Count];

        for (var i = 0; i < members.Count; i++)
        {
            var slot = grouping.Slot[i];
            if (slot < 0) continue;
            var member = members[i];
            var c = Contribution.Of(member.Outcome, rateContext, rates);
            var hasWeeks = trajectory && c.Eligible && WeeklyTotals(member.Outcome, options.TrajectoryWeeks, weekly);
            tallies[0].Add(c, rates, hasWeeks ? weekly : null, 1);
            if (slot > 0) tallies[slot].Add(c, rates, hasWeeks ? weekly : null, 1);
            if (keyTallies is not null)
            {
                var key = keyOf![i] = recordKeys!.Of(i, member.Course);
                keyTallies[0].Add(c, rates, hasWeeks ? weekly : null, key);
                if (slot > 0) keyTallies[slot].Add(c, rates, hasWeeks ? weekly : null, key);
                var hash = Disclosure.CohortSignatures.Hash(member.Course);
                Sign(signatures!, slot, hash);
                if (c.Eligible) Sign(eligibleSignatures!, slot, hash);
            }
            if (c.Eligible) eligible.Add(i, slot, member.Outcome, grouping.LabelOfSlot(slot));
        }

        eligible.Complete();
        // The survival analyses, the Cox model and the mixed models are independent of each other and the costliest
        // part; each result goes to its own variable or slot, so running them side by side changes nothing in the report.
        SurvivalSet survival = null!;
        GroupComparisons? comparisons = null;
        var slopes = new TrajectorySlope?[slots];
        Parallel.Invoke(
            () =>
            {
                survival = SurvivalSet.Compute(eligible, grouping, options);
                comparisons = grouping.IsGrouped ? survival.Comparisons() : null;
            },
            () =>
            {
                if (!trajectory || !options.TrajectoryModel) return;
                var hashes = new ulong[members.Count];
                foreach (var m in eligible.MembersOf(0)) hashes[m] = TrajectorySample.Hash(members[m].Course);
                Parallel.For(0, slots, s => slopes[s] = Slope(members, hashes, eligible, s, options));
            });
        var reports = new GroupReport[slots];
        for (var s = 0; s < slots; s++)
        {
            var label = s == 0 ? null : grouping.Labels[s - 1];
            reports[s] = new GroupReport(
                label,
                tallies[s].Counts(),
                options.Includes(ReportSection.Response) ? tallies[s].Rates(options.InductionWindowDays) : null,
                survival.TimeToResponse(s),
                survival.Durability(s),
                trajectory ? new TrajectoryAnalysis(tallies[s].WeeklyMeans(), slopes[s]) : null,
                options.Includes(ReportSection.Item9) ? tallies[s].Item9() : null);
        }
        var report = new CohortReport(definition, provenance, reports[0], reports[1..], comparisons);
        if (keyTallies is null) return report;
        var keyReports = new GroupReport[slots];
        for (var s = 0; s < slots; s++)
            keyReports[s] = new GroupReport(reports[s].Group, keyTallies[s].Counts(),
                options.Includes(ReportSection.Response) ? keyTallies[s].Rates(options.InductionWindowDays) : null,
                null, null, trajectory ? new TrajectoryAnalysis(keyTallies[s].WeeklyMeans(), null) : null,
                options.Includes(ReportSection.Item9) ? keyTallies[s].Item9() : null);
        return report with
        {
            Keys = new Disclosure.CellKeySums(keyReports, LifeTables(eligible, keyOf!, slots, options, grid!),
                new Disclosure.CohortSignatures(signatures!, eligibleSignatures!)),
        };
    }

    /// A course added to the whole cohort's signature and its group's.
    private static void Sign(Disclosure.CohortSignature[] signatures, int slot, long hash)
    {
        signatures[0] = new(signatures[0].Courses + 1, unchecked(signatures[0].HashSum + hash));
        if (slot > 0) signatures[slot] = new(signatures[slot].Courses + 1, unchecked(signatures[slot].HashSum + hash));
    }

    private static Disclosure.SlotLifeTables[] LifeTables(EligibleCourses eligible, int[] keyOf, int slots, ReportOptions options,
        Disclosure.PerturbationParameters grid)
    {
        var onsetKeys = eligible.Members.Select(m => keyOf[m]).ToArray();
        var durabilityKeys = eligible.DurabilityMembers.Select(m => keyOf[m]).ToArray();
        var timeToResponse = options.Includes(ReportSection.TimeToResponse);
        var days = timeToResponse
            ? Disclosure.LifeTable.TallyBySlot(grid.TimeToResponseDayPoints(), eligible.OnsetDays, eligible.Responded, onsetKeys, eligible.Slots, slots)
            : null;
        var sessions = timeToResponse
            ? Disclosure.LifeTable.TallyBySlot(grid.TimeToResponseSessionPoints(), eligible.OnsetSessions, eligible.Responded, onsetKeys, eligible.Slots, slots)
            : null;
        var durability = options.Includes(ReportSection.Durability)
            ? Disclosure.LifeTable.TallyBySlot(grid.DurabilityDayPoints(), eligible.DurabilityDays, eligible.DurabilityEnded, durabilityKeys,
                eligible.DurabilitySlots, slots)
            : null;
        var tables = new Disclosure.SlotLifeTables[slots];
        for (var s = 0; s < slots; s++) tables[s] = new Disclosure.SlotLifeTables(days?[s], sessions?[s], durability?[s]);
        return tables;
    }

    /// Each course's last total per week: week 0 the baseline, week k its last assessment on days 7(k-1)+1..7k
    /// (a same-day post-session score, day 0, counts in week 1). Returns false when there is no baseline.
    private static bool WeeklyTotals(CourseOutcome outcome, int weeks, int[] totals)
    {
        Array.Fill(totals, -1);
        var series = outcome.SeriesSpan();
        var b = SessionReview.BaselineIndex(outcome, series);
        if (b < 0) return false;
        totals[0] = series[b].Total;
        for (var k = b + 1; k < series.Length; k++)
        {
            ref readonly var assessment = ref series[k];
            var day = assessment.Day.GetValueOrDefault();
            if (day > 7 * weeks) break;
            totals[WeekOf(day)] = assessment.Total;
        }
        return true;
    }

    private static int WeekOf(int dayAfterFirstSession) => Math.Max(1, (dayAfterFirstSession + 6) / 7);

    private static TrajectorySlope Slope(IReadOnlyList<CohortMember> members, ulong[] hashes, EligibleCourses eligible, int slot,
        ReportOptions options)
    {
        var (sample, subsampled) = TrajectorySample.Select(members, hashes, eligible.MembersOf(slot), options.TrajectoryModelMaxCourses);
        if (sample.Length == 0) return new TrajectorySlope(0, 0, false, null, "There are no eligible courses.");
        var subjects = new List<int>();
        var time = new List<double>();
        var outcome = new List<double>();
        var maxDay = 7 * options.TrajectoryWeeks;
        for (var s = 0; s < sample.Length; s++)
        {
            var course = members[sample[s]].Outcome;
            var series = course.SeriesSpan();
            for (var k = SessionReview.BaselineIndex(course, series); k < series.Length; k++)
            {
                var day = Math.Max(0, series[k].Day.GetValueOrDefault());
                if (day > maxDay) break;
                subjects.Add(s);
                time.Add(day / 7.0);
                outcome.Add(series[k].Total);
            }
        }
        var fit = MixedModel.Fit(subjects, time, outcome, RandomEffectsTerm.InterceptAndSlope);
        var perWeek = fit.FixedEffects.FirstOrDefault(e => e.Name == "time");
        return new TrajectorySlope(sample.Length, outcome.Count, subsampled, perWeek, fit.Problem);
    }

    /// One course's part in every count but the rates, worked out once and added to the cohort's and its group's
    /// tallies; its part in each rate goes to the caller's buffer, one entry per measure of Measures.Rates.
    private readonly record struct Contribution(
        int Sessions,
        bool WithBaseline,
        bool Eligible,
        int EndReason,
        sbyte BaselineItem9,
        sbyte NewItem9,
        sbyte ResolvedItem9)
    {
        public static Contribution Of(CourseOutcome o, RateContext context, sbyte[] rates)
        {
            for (var m = 0; m < rates.Length; m++) rates[m] = Known(Measures.Rates[m].Of(o, context));
            var item9 = o.Item9;
            return new Contribution(
                o.SessionsReceived,
                o.Baseline is not null,
                o.Eligible,
                o.EndReason is { } reason ? (int)reason : EndReasonCount,
                Known(item9.PositiveAtBaseline),
                Known(item9.NewDuringTreatment),
                Known(item9.Resolved));
        }

        private static sbyte Known(bool? flag) => flag is { } f ? (sbyte)(f ? 1 : 0) : (sbyte)-1;
    }

    private sealed class Tally(int funnelSessions, int endReasons, int weeks)
    {
        private int _enrolled, _withBaseline, _eligible;
        private readonly int[] _funnel = new int[funnelSessions];
        private readonly int[] _endReasons = new int[endReasons];
        private readonly int[] _rateKnown = new int[Measures.Rates.Count];
        private readonly int[] _rateEvents = new int[Measures.Rates.Count];
        private int _item9Known, _item9Positive, _newKnown, _new, _resolvedKnown, _resolved;
        private readonly int[] _weekCourses = new int[weeks + 1];
        private readonly double[] _weekSum = new double[weeks + 1];
        private readonly double[] _weekSumOfSquares = new double[weeks + 1];

        // Weight 1 counts courses; a course's record key as the weight sums the cell keys of the same cells.
        public void Add(in Contribution c, sbyte[] rates, int[]? weekly, int w)
        {
            _enrolled += w;
            for (var k = 0; k < _funnel.Length && k < c.Sessions; k++) _funnel[k] += w;
            _endReasons[c.EndReason] += w;
            if (c.WithBaseline) _withBaseline += w;
            for (var m = 0; m < rates.Length; m++)
            {
                if (rates[m] < 0) continue;
                _rateKnown[m] += w;
                _rateEvents[m] += w * rates[m];
            }
            if (c.BaselineItem9 >= 0)
            {
                _item9Known += w;
                _item9Positive += w * c.BaselineItem9;
            }
            if (c.NewItem9 >= 0)
            {
                _newKnown += w;
                _new += w * c.NewItem9;
            }
            if (c.ResolvedItem9 >= 0)
            {
                _resolvedKnown += w;
                _resolved += w * c.ResolvedItem9;
            }
            if (!c.Eligible) return;
            _eligible += w;
            if (weekly is null) return;
            for (var week = 0; week < weekly.Length; week++)
            {
                var total = weekly[week];
                if (total < 0) continue;
                _weekCourses[week] += w;
                _weekSum[week] += total;
                _weekSumOfSquares[week] += (double)total * total;
            }
        }

        public CohortCounts Counts()
        {
            var funnel = new FunnelStep[_funnel.Length];
            for (var k = 0; k < funnel.Length; k++) funnel[k] = new FunnelStep(k + 1, k == funnel.Length - 1, _funnel[k]);
            var reasons = new EndReasonCount[_endReasons.Length];
            for (var r = 0; r < reasons.Length; r++)
                reasons[r] = new EndReasonCount(r < EndReasonCount ? CohortDimensions.EndReasonLabel((CourseEndReason)r) : Ongoing, _endReasons[r]);
            return new CohortCounts(_enrolled, _withBaseline, _eligible, funnel, reasons);
        }

        public ResponseRates Rates(int window)
        {
            var rates = new Rate[_rateKnown.Length];
            for (var m = 0; m < rates.Length; m++) rates[m] = RateOf(_rateEvents[m], _rateKnown[m]);
            return new ResponseRates(window, rates);
        }

        public Item9Summary Item9() => new(
            _item9Known,
            RateOf(_item9Positive, _item9Known),
            _item9Known - _item9Positive,
            RateOf(_new, _newKnown),
            RateOf(_resolved, _resolvedKnown));

        public IReadOnlyList<WeeklyMean> WeeklyMeans()
        {
            var means = new WeeklyMean[_weekCourses.Length];
            for (var w = 0; w < means.Length; w++) means[w] = MeanOf(w, _weekCourses[w], _weekSum[w], _weekSumOfSquares[w]);
            return means;
        }

        private static Rate RateOf(int events, int n) => new(events, n, Proportion.Wilson(events, n, Confidence));

        /// Mean ± t(0.975, n - 1) · s/√n. Totals are small integers, so the sums are exact in double.
        private static WeeklyMean MeanOf(int week, int n, double sum, double sumOfSquares)
        {
            if (n == 0) return new WeeklyMean(week, 0, null, null, null);
            var mean = sum / n;
            if (n == 1) return new WeeklyMean(week, 1, mean, null, null);
            var variance = Math.Max(0, (sumOfSquares - sum * sum / n) / (n - 1));
            var half = StudentT.Quantile(1 - (1 - Confidence) / 2, n - 1) * Math.Sqrt(variance / n);
            return new WeeklyMean(week, n, mean, mean - half, mean + half);
        }
    }
}
