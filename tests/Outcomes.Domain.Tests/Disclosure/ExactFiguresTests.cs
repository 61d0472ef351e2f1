using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Disclosure;
using Outcomes.Domain.Outcomes;
using Outcomes.Domain.Tests.Outcomes;
using static Outcomes.Domain.Tests.Cohorts.CohortTestData;

namespace Outcomes.Domain.Tests.Disclosure;

/// The exact tiers (own clinics, released microdata): the published report is the computed one, figure for figure.
public class ExactFiguresTests
{
    private static readonly ReportDefinition Grouped = Definition(CohortDimension.Modality, new ReportOptions { CoxAdjustedForBaseline = true });

    /// Courses with the given number of sessions and no PHQ-9, ended as given (null: ongoing).
    private static IEnumerable<CohortMember> Courses(int count, int sessions, string prefix, CourseEndReason? ended = null,
        Modality modality = Modality.IvKetamine)
    {
        for (var i = 0; i < count; i++)
        {
            var course = new TestCourse().Sessions(Enumerable.Range(0, sessions).Select(s => 2 * s).ToArray());
            if (ended is { } reason) course.Ended(2 * sessions + 1, reason);
            yield return Member(course, $"{prefix}{i:D3}", modality);
        }
    }

    [Fact]
    public void EveryFigure_IsTheComputedOne()
    {
        var members = Random(400, seed: 11);
        var computed = CohortReport.Compute(members, Grouped, Provenance);

        var published = ReportDisclosure.OwnClinics(members, Grouped, Provenance);

        Assert.Equal(DisclosureTier.OwnClinics, published.Disclosure.Tier);
        Assert.Null(published.Disclosure.Perturbation);
        Assert.Equal(computed.Groups.Count, published.Groups.Count);
        AssertExact(computed.Overall, published.Overall, Grouped.Options);
        for (var g = 0; g < computed.Groups.Count; g++) AssertExact(computed.Groups[g], published.Groups[g], Grouped.Options);

        var c = computed.Comparisons!;
        var p = published.Comparisons!;
        foreach (var (test, shown) in new[] { (c.TimeToResponseDays, p.TimeToResponseDays), (c.TimeToResponseSessions, p.TimeToResponseSessions),
                     (c.Durability, p.Durability) })
        {
            Assert.Equal(test!.ChiSquare, shown!.ChiSquare);
            Assert.Equal(test.P, shown.P);
            Assert.Equal(test.Groups.Select(row => (row.Group!, (double?)row.Expected)), shown.Groups.Select(row => (row.Group, row.Expected)));
            Assert.All(shown.Groups, row => Assert.True(row.N.IsShown && row.Observed.IsShown));
        }
        var cox = p.TimeToResponseAdjusted!;
        Assert.Equal(c.TimeToResponseAdjusted!.Fit.Coefficients.Select(k => (k.HazardRatio, k.Lower, k.Upper, k.P)),
            cox.HazardRatios.Select(k => (k.HazardRatio, k.Lower, k.Upper, k.P)));
        Assert.Equal(Cell.Of(computed.Overall.Counts.Eligible), cox.N);
    }

    [Fact]
    public void SmallCells_AreShownAsTheyAre()
    {
        // 4 "other" ends, a funnel falling by 3, a group of 5: each was withheld or hidden by small-cell suppression.
        var published = ReportDisclosure.OwnClinics([.. Courses(30, 1, "a", CourseEndReason.Completed), .. Courses(4, 1, "b", CourseEndReason.Other),
            .. Courses(3, 0, "c"), .. Courses(5, 1, "d", modality: Modality.ImKetamine)], Definition(CohortDimension.Modality), Provenance);

        var reasons = published.Overall.Counts!.EndReasons.ToDictionary(r => r.Reason, r => r.Courses);
        Assert.Equal(Cell.Of(4), reasons["other"]);
        Assert.Equal(Cell.Of(42), published.Overall.Counts.Enrolled);
        Assert.Equal(Cell.Of(39), published.Overall.Counts.Funnel[0].Courses);
        var im = published.Groups.Single(g => g.Group == "im-ketamine");
        Assert.Null(im.Withheld);
        Assert.Equal(Cell.Of(5), im.Counts!.Enrolled);
    }

    [Fact]
    public void OneCourse_ItsOwnFiguresArePublished()
    {
        // The own clinic's staff hold the record: a cohort of one is shown, its week-0 mean being its baseline.
        var one = Member(new TestCourse().Sessions(0, 2, 4).Score(-1, 21).Score(7, 9), "solo");

        var published = ReportDisclosure.OwnClinics([one], Definition(), Provenance);

        Assert.Equal(Cell.Of(1), published.Overall.Counts!.Eligible);
        Assert.Equal(21, published.Overall.Trajectory!.Weeks.Single(w => w.Week == 0).Mean);
        Assert.Equal(Cell.Of(1), published.Overall.Response![Measures.ResponseEver].Events);
        Assert.Equal(7, published.Overall.TimeToResponse!.Days.Curve.Single().Time);
    }

    [Fact]
    public void EmptyCohort_PublishesZeros_NotAWithheldCohort()
    {
        var published = ReportDisclosure.OwnClinics([], Definition(), Provenance);

        Assert.Null(published.Overall.Withheld);
        Assert.Equal(Cell.Of(0), published.Overall.Counts!.Enrolled);
        Assert.Equal(Cell.Of(0), published.Overall.Response![Measures.ResponseEver].N);
        Assert.Null(published.Overall.Response[Measures.ResponseEver].Estimate);
    }

    [Fact]
    public void OverReleasedMicrodata_IsExact_AndSaysWhatTheReleaseMoved()
    {
        var members = Random(120, seed: 3);
        var computed = CohortReport.Compute(members, Definition(), Provenance);

        var published = ReportDisclosure.OverReleasedMicrodata(computed, suppressedInScope: 7, generalisedInCohort: 12);

        Assert.Equal(DisclosureTier.ReleasedMicrodata, published.Disclosure.Tier);
        Assert.Contains("120 subjects in this cohort, 12 of them with generalised values", published.Disclosure.Rule, StringComparison.Ordinal);
        Assert.Contains("suppressed 7 subjects of your clinics", published.Disclosure.Rule, StringComparison.Ordinal);
        Assert.Equal(JsonOf(ReportDisclosure.OwnClinics(members, Definition(), Provenance) with { Disclosure = published.Disclosure }),
            JsonOf(published));
    }

    private static void AssertExact(GroupReport computed, PublishedGroup published, ReportOptions options)
    {
        Assert.Equal(computed.Group, published.Group);
        Assert.Null(published.Withheld);
        var counts = published.Counts!;
        Assert.Equal([computed.Counts.Enrolled, computed.Counts.WithBaseline, computed.Counts.Eligible],
            new[] { counts.Enrolled, counts.WithBaseline, counts.Eligible }.Select(c => c.Value!.Value));
        Assert.Equal(computed.Counts.Funnel.Select(s => s.Courses), counts.Funnel.Select(s => s.Courses.Value!.Value));
        Assert.Equal(computed.Counts.EndReasons.Select(r => (r.Reason, r.Courses)), counts.EndReasons.Select(r => (r.Reason, r.Courses.Value!.Value)));
        foreach (var measure in Measures.Rates) AssertRate(computed.Response![measure], published.Response![measure]);

        AssertSurvival(computed.TimeToResponse!.Days, published.TimeToResponse!.Days, options.AtRiskDays);
        AssertSurvival(computed.TimeToResponse.Sessions, published.TimeToResponse.Sessions, options.AtRiskSessions);
        AssertSurvival(computed.Durability!.Days, published.Durability!.Days, options.DurabilityAtRiskDays);

        Assert.Equal(computed.Trajectory!.Weeks.Select(w => (w.Week, w.Courses, w.Mean, w.Lower, w.Upper)),
            published.Trajectory!.Weeks.Select(w => (w.Week, w.Courses.Value!.Value, w.Mean, w.Lower, w.Upper)));
        Assert.Equal(computed.Trajectory.Slope!.PerWeek?.Estimate, published.Trajectory.Slope!.PerWeek);
        Assert.Equal(computed.Trajectory.Slope.PerWeek?.Se, published.Trajectory.Slope.Se);

        var i9 = computed.Item9!;
        Assert.Equal(i9.BaselineKnown, published.Item9!.BaselineKnown.Value);
        Assert.Equal(i9.NegativeAtBaseline, published.Item9.NegativeAtBaseline.Value);
        AssertRate(i9.PositiveAtBaseline, published.Item9.PositiveAtBaseline);
        AssertRate(i9.NewDuringTreatment, published.Item9.NewDuringTreatment);
        AssertRate(i9.Resolved, published.Item9.Resolved);
    }

    private static void AssertRate(Rate computed, PublishedRate published)
    {
        Assert.Equal((computed.Events, computed.N), (published.Events.Value!.Value, published.N.Value!.Value));
        Assert.Equal((computed.Estimate.Estimate, computed.Estimate.Lower, computed.Estimate.Upper), (published.Estimate, published.Lower, published.Upper));
        Assert.Null(published.Suppressed);
    }

    private static void AssertSurvival(SurvivalAnalysis computed, PublishedSurvival published, IReadOnlyList<int> atRiskTimes)
    {
        Assert.Equal((computed.Curve.N, computed.Curve.Events), (published.N.Value!.Value, published.Events.Value!.Value));
        Assert.Null(published.ShownUntil);
        // Every time with an event is a step, at the curve's own value.
        Assert.Equal(computed.Curve.Table.Where(r => r.NEvent > 0).Select(r => (r.Time, r.Survival, r.Lower, r.Upper)),
            published.Curve.Select(s => (s.Time, s.Survival, s.Lower, s.Upper)));
        Assert.Equal((computed.Curve.Median.Estimate, computed.Curve.Median.Lower, computed.Curve.Median.Upper),
            (published.Median.Estimate, published.Median.Lower, published.Median.Upper));
        Assert.Equal(atRiskTimes.Order().Select(t => (double)t), published.AtRisk.Select(a => a.Time));
        Assert.Equal(atRiskTimes.Order().Select(t => computed.AtRisk.FirstOrDefault(a => a.Time == t).NRisk),
            published.AtRisk.Select(a => a.AtRisk.Value!.Value));
        Assert.Equal(computed.SurvivalAt.Select(a => ((double?)a.Survival, a.Lower, a.Upper)),
            published.SurvivalAt.Select(a => (a.Survival, a.Lower, a.Upper)));
    }
}
