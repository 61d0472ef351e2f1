using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;
using Outcomes.Domain.Tests.Outcomes;
using Outcomes.Statistics;
using static Outcomes.Domain.Tests.Cohorts.CohortTestData;

namespace Outcomes.Domain.Tests.Cohorts;

public class CohortReportTests
{
    private static GroupReport SixOverall() => CohortReport.Compute(Six(), Definition(), Provenance).Overall;

    [Fact]
    public void SixCourses_CountsAndFunnelAsWorkedByHand()
    {
        var counts = SixOverall().Counts;

        Assert.Equal((6, 4, 3), (counts.Enrolled, counts.WithBaseline, counts.Eligible));
        Assert.Equal([5, 4, 3, 2, 2, 2], counts.Funnel.Select(s => s.Courses));
        Assert.Equal([1, 2, 3, 4, 5, 6], counts.Funnel.Select(s => s.Sessions));
        Assert.True(counts.Funnel[^1].OrMore);
        Assert.False(counts.Funnel[0].OrMore);
    }

    [Fact]
    public void SixCourses_EndReasonsInWireSpellingWithOngoing()
    {
        var reasons = SixOverall().Counts.EndReasons.ToDictionary(r => r.Reason, r => r.Courses);

        Assert.Equal(new Dictionary<string, int>
        {
            ["completed"] = 1, ["discontinued-adverse-effects"] = 0, ["lost-to-follow-up"] = 1, ["other"] = 0, ["ongoing"] = 4,
        }, reasons);
    }

    [Fact]
    public void SixCourses_RatesAndWilsonIntervalsFromTheLibrary()
    {
        var rates = SixOverall().Response!;

        Assert.Equal((1, 3), (rates[Measures.ResponseEver].Events, rates[Measures.ResponseEver].N));
        Assert.Equal((1, 3), (rates[Measures.RemissionEver].Events, rates[Measures.RemissionEver].N));
        Assert.Equal((1, 3), (rates[Measures.ResponseByEndOfInduction].Events, rates[Measures.ResponseByEndOfInduction].N));
        Assert.Equal((1, 3), (rates[Measures.RemissionByEndOfInduction].Events, rates[Measures.RemissionByEndOfInduction].N));
        Assert.Equal((3, 4), (rates[Measures.ReliableImprovement].Events, rates[Measures.ReliableImprovement].N));
        Assert.Equal((3, 4), (rates[Measures.MinimalClinicallyImportantImprovement].Events, rates[Measures.MinimalClinicallyImportantImprovement].N));
        // A responds at its first PHQ-9 after session 6; B ended after 2 sessions unanswered; F's first after session 6 is 18.
        Assert.Equal((1, 3), (rates[Measures.ResponseBySession6].Events, rates[Measures.ResponseBySession6].N));
        Assert.Equal(Proportion.Wilson(1, 3), rates[Measures.ResponseEver].Estimate);
        Assert.Equal(Proportion.Wilson(3, 4), rates[Measures.ReliableImprovement].Estimate);
    }

    [Fact]
    public void SixCourses_Item9AsWorkedByHand()
    {
        var item9 = SixOverall().Item9!;

        Assert.Equal(4, item9.BaselineKnown);
        Assert.Equal((1, 4), (item9.PositiveAtBaseline.Events, item9.PositiveAtBaseline.N));
        Assert.Equal(3, item9.NegativeAtBaseline);
        Assert.Equal((0, 3), (item9.NewDuringTreatment.Events, item9.NewDuringTreatment.N));
        Assert.Equal((0, 1), (item9.Resolved.Events, item9.Resolved.N));
    }

    [Fact]
    public void SixCourses_TimeToResponseIsTheLibrarysCurve()
    {
        var ttr = SixOverall().TimeToResponse!;

        // Eligible A (onset day 14 after 6 sessions), B (censored at day 5, 2 sessions), F (censored day 50, 8 sessions).
        var days = KaplanMeier.Estimate([14, 5, 50], [1, 0, 0]);
        var sessions = KaplanMeier.Estimate([6, 2, 8], [1, 0, 0]);
        Assert.Equal(JsonOf(days), JsonOf(ttr.Days.Curve));
        Assert.Equal(JsonOf(sessions), JsonOf(ttr.Sessions.Curve));
        Assert.Equal(JsonOf(KaplanMeier.At(days, [0, 7, 14, 21, 28, 42, 56, 84], extend: true)), JsonOf(ttr.Days.AtRisk));
        Assert.Equal([3, 2, 2, 1, 1, 1, 0, 0], ttr.Days.AtRisk.Select(r => r.NRisk));
    }

    [Fact]
    public void SixCourses_WeeklyMeansWithTInterval()
    {
        var weeks = SixOverall().Trajectory!.Weeks;

        // Week 0: baselines 20, 16, 24 (mean 20, s = 4); week 1: 14 (A day 7), 15 (B day 5); week 2: 8 (A), 18 (F day 10);
        // week 3: 4, 16; week 8: F's day 50 alone.
        Assert.Equal(13, weeks.Count);
        Assert.Equal([3, 2, 2, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0], weeks.Select(w => w.Courses));
        Assert.Equal(20, weeks[0].Mean);
        var half = StudentT.Quantile(0.975, 2) * 4 / Math.Sqrt(3);
        Assert.Equal(20 - half, weeks[0].Lower!.Value, 12);
        Assert.Equal(20 + half, weeks[0].Upper!.Value, 12);
        Assert.Equal([14.5, 13, 10], weeks.Skip(1).Take(3).Select(w => w.Mean!.Value));
        Assert.Equal(15, weeks[8].Mean);
        Assert.Null(weeks[8].Lower);
        Assert.Null(weeks[4].Mean);
    }

    [Fact]
    public void Trajectory_SlopeIsTheLibrarysMixedModelOnWeeks()
    {
        var members = Random(300, seed: 7);
        var report = CohortReport.Compute(members, Definition(), Provenance);

        var subjects = new List<int>();
        var weeks = new List<double>();
        var totals = new List<double>();
        var sample = members.Where(m => m.Outcome.Eligible).ToList();
        for (var s = 0; s < sample.Count; s++)
        {
            var outcome = sample[s].Outcome;
            foreach (var a in outcome.Series.Where(a => a.OccurredAt >= outcome.Baseline!.Value.OccurredAt && a.Day <= 84))
            {
                subjects.Add(s);
                weeks.Add(Math.Max(0, a.Day!.Value) / 7.0);
                totals.Add(a.Total);
            }
        }
        var fit = MixedModel.Fit(subjects, weeks, totals, RandomEffectsTerm.InterceptAndSlope);
        var slope = report.Overall.Trajectory!.Slope!;

        Assert.False(slope.Subsampled);
        Assert.Equal(sample.Count, slope.Courses);
        Assert.Equal(totals.Count, slope.Observations);
        // Same data in another order: equal up to the order of floating-point sums.
        Assert.Equal(fit.FixedEffects[1].Estimate, slope.PerWeek!.Estimate, 1e-9);
        Assert.Equal(fit.FixedEffects[1].Se, slope.PerWeek.Se, 1e-9);
        Assert.True(slope.PerWeek.Estimate < 0);
    }

    [Fact]
    public void Trajectory_CappedModel_FitsADeterministicSubsample()
    {
        var members = Random(400, seed: 8);
        var options = new ReportOptions { TrajectoryModelMaxCourses = 50 };

        var slope = CohortReport.Compute(members, Definition(options: options), Provenance).Overall.Trajectory!.Slope!;
        var reversed = CohortReport.Compute(members.AsEnumerable().Reverse().ToList(), Definition(options: options), Provenance)
            .Overall.Trajectory!.Slope!;

        Assert.True(slope.Subsampled);
        Assert.Equal(50, slope.Courses);
        Assert.Equal(JsonOf(slope), JsonOf(reversed));
    }

    [Fact]
    public void Grouped_KaplanMeierAndLogRankAreTheLibrarysOnTheSameData()
    {
        var members = Random(500, seed: 3);
        var report = CohortReport.Compute(members, Definition(CohortDimension.Modality), Provenance);

        var eligible = members.Where(m => m.Outcome.Eligible).ToList();
        var time = eligible.Select(m => (double)m.Outcome.ResponseOnset!.Value.Day).ToArray();
        var status = eligible.Select(m => m.Outcome.ResponseOnset!.Value.Responded ? 1 : 0).ToArray();
        var labels = eligible.Select(m => CohortDimensions.Label(m, CohortDimension.Modality)).ToArray();
        var order = report.Groups.Select(g => g.Group!).ToList();
        var byOrder = Comparer<string>.Create((a, b) => order.IndexOf(a).CompareTo(order.IndexOf(b)));

        Assert.Equal(["iv-ketamine", "im-ketamine", "intranasal-esketamine"], order);
        Assert.Equal(JsonOf(LogRank.Test(time, status, labels, byOrder)), JsonOf(report.Comparisons!.TimeToResponseDays));
        var curves = KaplanMeier.EstimateByGroup(time, status, labels, groupOrder: byOrder);
        Assert.Equal(JsonOf(curves), JsonOf(report.Groups.Select(g => g.TimeToResponse!.Days.Curve)));
        Assert.Equal(JsonOf(KaplanMeier.Estimate(time, status)), JsonOf(report.Overall.TimeToResponse!.Days.Curve));
    }

    [Fact]
    public void Durability_IsTheLibrarysCurveReadAt30_60_90()
    {
        var members = Random(500, seed: 4);
        var durability = CohortReport.Compute(members, Definition(), Provenance).Overall.Durability!.Days;

        var responders = members.Where(m => m.Outcome.Durability is not null).Select(m => m.Outcome.Durability!.Value).ToList();
        var curve = KaplanMeier.Estimate(responders.Select(d => (double)d.DaysFromOnset).ToArray(),
            responders.Select(d => d.Event ? 1 : 0).ToArray());
        Assert.Equal(JsonOf(curve), JsonOf(durability.Curve));
        Assert.Equal(JsonOf(KaplanMeier.At(curve, [30, 60, 90])), JsonOf(durability.SurvivalAt));
    }

    [Fact]
    public void CoxAdjusted_IsTheLibrarysFitWithTheLargestGroupAsReference()
    {
        var members = Random(600, seed: 5);
        var report = CohortReport.Compute(members,
            Definition(CohortDimension.Modality, new ReportOptions { CoxAdjustedForBaseline = true }), Provenance);

        var eligible = members.Where(m => m.Outcome.Eligible).ToList();
        var labels = eligible.Select(m => CohortDimensions.Label(m, CohortDimension.Modality)).ToArray();
        var reference = labels.GroupBy(l => l).OrderByDescending(g => g.Count()).First().Key;
        var order = report.Groups.Select(g => g.Group!).Where(g => g != reference).Prepend(reference).ToArray();
        var design = DesignMatrix.FromColumns([
            DesignColumn.Factor("group", labels, order),
            DesignColumn.Numeric("baselineTotal", eligible.Select(m => (double)m.Outcome.Baseline!.Value.Total).ToArray()),
        ]);
        var fit = CoxRegression.Fit(eligible.Select(m => (double)m.Outcome.ResponseOnset!.Value.Day).ToArray(),
            eligible.Select(m => m.Outcome.ResponseOnset!.Value.Responded).ToArray(), design);

        var cox = report.Comparisons!.TimeToResponseAdjusted!;
        Assert.Equal(reference, cox.ReferenceGroup);
        Assert.Equal(JsonOf(fit), JsonOf(cox.Fit));
        Assert.Equal("baselineTotal", cox.Fit.Coefficients[^1].Name);
    }

    [Fact]
    public void InductionWindowDefault_AgreesWithTheOutcomeEngine()
    {
        var members = Random(400, seed: 9, asOf: TestCourse.DayZero.AddDays(30));
        var provenance = Provenance with { AsOf = TestCourse.DayZero.AddDays(30) };

        var rate = CohortReport.Compute(members, Definition(), provenance).Overall.Response![Measures.ResponseByEndOfInduction];

        var known = members.Where(m => m.Outcome.ResponseByEndOfInduction is not null).ToList();
        Assert.Equal(known.Count, rate.N);
        Assert.Equal(known.Count(m => m.Outcome.ResponseByEndOfInduction == true), rate.Events);
        Assert.True(rate.N < members.Count(m => m.Outcome.Eligible));
    }

    [Fact]
    public void ShorterInductionWindow_CountsOnlyEarlierOnsets()
    {
        var options = new ReportOptions { InductionWindowDays = 10 };

        var rates = CohortReport.Compute(Six(), Definition(options: options), Provenance).Overall.Response!;

        // A's onset on day 14 is after a 10-day window.
        Assert.Equal((0, 3), (rates[Measures.ResponseByEndOfInduction].Events, rates[Measures.ResponseByEndOfInduction].N));
        Assert.Equal(10, rates.InductionWindowDays);
    }

    [Fact]
    public void Filter_KeepsOnlyMatchingCourses()
    {
        var members = Random(200, seed: 11);
        var definition = Definition() with
        {
            Filter = new CohortFilter { Modality = ["im-ketamine"], PriorFailedTrials = ["3+"] },
        };

        var enrolled = CohortReport.Compute(members, definition, Provenance).Overall.Counts.Enrolled;

        Assert.Equal(members.Count(m => m.Attributes!.Modality == Modality.ImKetamine && m.Attributes.PriorFailedTrials >= 3), enrolled);
    }

    [Fact]
    public void GroupedByPriorTrials_GroupsInBandOrderAndSumToTheCohort()
    {
        var members = Random(300, seed: 12);

        var report = CohortReport.Compute(members, Definition(CohortDimension.PriorFailedTrials), Provenance);

        Assert.Equal(["0-1", "2", "3+"], report.Groups.Select(g => g.Group));
        Assert.Equal(report.Overall.Counts.Enrolled, report.Groups.Sum(g => g.Counts.Enrolled));
        Assert.Equal(report.Overall.Counts.Eligible, report.Groups.Sum(g => g.Counts.Eligible));
        Assert.Null(report.Overall.Group);
    }

    [Fact]
    public void AsOfAPastMoment_LaterFactsAreNotCounted_AndTheSameAsOfGivesTheSameReport()
    {
        var asOf = TestCourse.DayZero.AddDays(12);
        var provenance = Provenance with { AsOf = asOf };

        var first = CohortReport.Compute(Six(asOf), Definition(), provenance);
        var again = CohortReport.Compute(Six(asOf), Definition(), provenance);

        Assert.Equal(JsonOf(first), JsonOf(again));
        // By day 12, A's response (day 14) and course end (day 30) have not happened; B ended on day 10.
        Assert.Equal(0, first.Overall.Response![Measures.ResponseEver].Events);
        Assert.Equal(1, first.Overall.Counts.EndReasons.Single(r => r.Reason == "lost-to-follow-up").Courses);
        Assert.Equal(0, first.Overall.Counts.EndReasons.Single(r => r.Reason == "completed").Courses);
        Assert.NotEqual(JsonOf(first.Overall.Counts), JsonOf(CohortReport.Compute(Six(), Definition(), Provenance).Overall.Counts));
    }

    [Fact]
    public void MemberDerivedUnderOtherDefinitions_IsRefused()
    {
        var members = Six().ToList();
        var other = new OutcomeDefinitions { Version = "outcomes-v2" };
        members.Add(CohortMember.From(new CourseKey("clinic-a", "g", 1), new TestCourse().Sessions(0).Facts(), other, AsOf));

        var error = Assert.Throws<ArgumentException>(() => CohortReport.Compute(members, Definition(), Provenance));

        Assert.Contains("outcomes-v2", error.Message);
    }

    [Fact]
    public void InvalidDefinition_IsRefusedNamingTheField()
    {
        var definition = Definition() with { Options = new ReportOptions { InductionWindowDays = 0 } };

        var error = Assert.Throws<ArgumentException>(() => CohortReport.Compute(Six(), definition, Provenance));

        Assert.Contains("options.inductionWindowDays", error.Message);
    }

    [Fact]
    public void SectionsLeftOut_AreNull()
    {
        var options = new ReportOptions { Sections = [ReportSection.Counts, ReportSection.Durability] };

        var overall = CohortReport.Compute(Six(), Definition(options: options), Provenance).Overall;

        Assert.Null(overall.Response);
        Assert.Null(overall.TimeToResponse);
        Assert.Null(overall.Trajectory);
        Assert.Null(overall.Item9);
        Assert.NotNull(overall.Durability);
    }

    [Fact]
    public void CourseWithNothingKnownAsOfTheReport_IsNotEnrolled()
    {
        var asOf = TestCourse.DayZero.AddDays(-10);
        var counts = CohortReport.Compute(Six(asOf), Definition(), Provenance with { AsOf = asOf }).Overall.Counts;

        // Enrolments are stamped on day -3 and nothing earlier exists.
        Assert.Equal(0, counts.Enrolled);
    }
}
