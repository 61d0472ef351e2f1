using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;
using Outcomes.Domain.Tests.Outcomes;
using static Outcomes.Domain.Tests.Cohorts.CohortTestData;

namespace Outcomes.Domain.Tests.Cohorts;

public class SmallCellSuppressionTests
{
    private const int Threshold = 11;

    private static PublishedCohortReport Publish(IReadOnlyList<CohortMember> members, CohortDimension? groupBy = null,
        ReportOptions? options = null, int threshold = Threshold) =>
        SmallCellSuppression.Apply(CohortReport.Compute(members, Definition(groupBy, options), Provenance), threshold);

    /// Courses with the given number of sessions and no PHQ-9, ended as given (null: ongoing).
    private static IEnumerable<CohortMember> Courses(int count, int sessions, string prefix,
        CourseEndReason? ended = null, Modality modality = Modality.IvKetamine)
    {
        for (var i = 0; i < count; i++)
        {
            var course = new TestCourse().Sessions(Enumerable.Range(0, sessions).Select(s => 2 * s).ToArray());
            if (ended is { } reason) course.Ended(2 * sessions + 1, reason);
            yield return Member(course, $"{prefix}{i:D3}", modality);
        }
    }

    /// Eligible courses (baseline 20) responding on the given day, or not responding (null), last assessed on lastDay.
    private static IEnumerable<CohortMember> Responders(int count, int? onsetDay, string prefix, Modality modality = Modality.IvKetamine,
        int lastDay = 60)
    {
        for (var i = 0; i < count; i++)
        {
            var course = new TestCourse().Sessions(0, 2, 4).Score(-1, 20);
            if (onsetDay is { } day) course.Score(day, 8).Score(lastDay, 8);
            else course.Score(7, 18).Score(lastDay, 18);
            yield return Member(course, $"{prefix}{i:D3}", modality);
        }
    }

    [Fact]
    public void CountsOneToTen_AreSuppressed_ZeroIsShown()
    {
        var published = Publish([.. Courses(30, 1, "a", CourseEndReason.Completed), .. Courses(4, 1, "b", CourseEndReason.Other),
            .. Courses(20, 1, "c")]);

        var reasons = published.Overall.Counts!.EndReasons.ToDictionary(r => r.Reason, r => r.Courses);
        Assert.Equal(Cell.Hidden(SuppressionReason.BelowThreshold), reasons["other"]);
        Assert.Equal(Cell.Of(0), reasons["lost-to-follow-up"]);
        Assert.Equal(Cell.Of(54), published.Overall.Counts.Enrolled);
    }

    [Fact]
    public void EndReasons_OneSuppressedCell_HidesTheNextSmallest()
    {
        var published = Publish([.. Courses(30, 1, "a", CourseEndReason.Completed), .. Courses(5, 1, "b", CourseEndReason.LostToFollowUp),
            .. Courses(20, 1, "c")]);

        var reasons = published.Overall.Counts!.EndReasons.ToDictionary(r => r.Reason, r => r.Courses);
        Assert.Equal(SuppressionReason.BelowThreshold, reasons["lost-to-follow-up"].Suppressed);
        Assert.Equal(SuppressionReason.Complementary, reasons["ongoing"].Suppressed);
        Assert.Equal(Cell.Of(30), reasons["completed"]);
        Assert.Equal(Cell.Of(55), published.Overall.Counts.Enrolled);
    }

    [Fact]
    public void Funnel_SmallDropFromTheStepAbove_IsHidden_AndLaterStepsCompareWithTheLastShown()
    {
        var published = Publish([.. Courses(3, 0, "a"), .. Courses(12, 1, "b"), .. Courses(25, 6, "c")]);

        var funnel = published.Overall.Counts!.Funnel.Select(s => s.Courses).ToList();
        // 40 enrolled, 37 reached session 1 (3 fewer: hidden), 25 reached 2..6+ (15 fewer than the 40 shown).
        Assert.Equal(Cell.Hidden(SuppressionReason.Complementary), funnel[0]);
        Assert.All(funnel.Skip(1), c => Assert.Equal(Cell.Of(25), c));
        Assert.Equal(Cell.Of(40), published.Overall.Counts.Enrolled);
    }

    [Fact]
    public void SmallGroup_IsWithheldWhole_AndTheNextSmallestGroupHidesItsComplements()
    {
        var published = Publish([.. Courses(30, 1, "a"), .. Courses(5, 1, "b", modality: Modality.ImKetamine),
            .. Courses(40, 1, "c", modality: Modality.OralKetamine)], CohortDimension.Modality);

        var groups = published.Groups.ToDictionary(g => g.Group!);
        Assert.Equal(SuppressionReason.SmallGroup, groups["im-ketamine"].Withheld);
        Assert.Null(groups["im-ketamine"].Counts);
        Assert.Null(groups["im-ketamine"].TimeToResponse);
        Assert.Null(groups["iv-ketamine"].Withheld);
        Assert.Equal(Cell.Hidden(SuppressionReason.Complementary), groups["iv-ketamine"].Counts!.Enrolled);
        Assert.Equal(Cell.Of(40), groups["oral-ketamine"].Counts!.Enrolled);
        Assert.Equal(Cell.Of(75), published.Overall.Counts!.Enrolled);
        // iv's enrolled is hidden, so its one non-zero end reason (all ongoing) would give it away.
        Assert.False(groups["iv-ketamine"].Counts!.EndReasons.Single(r => r.Reason == "ongoing").Courses.IsShown);
        Assert.Contains(published.Suppression, n => n.Reason == SuppressionReason.SmallGroup);
    }

    [Fact]
    public void WholeCohortBelowThreshold_IsWithheld()
    {
        var published = Publish([.. Courses(7, 1, "a"), .. Courses(2, 1, "b", modality: Modality.OralKetamine)], CohortDimension.Modality);

        Assert.Equal(SuppressionReason.SmallGroup, published.Overall.Withheld);
        Assert.Null(published.Overall.Counts);
        Assert.All(published.Groups, g => Assert.Equal(SuppressionReason.SmallGroup, g.Withheld));
        Assert.Null(published.Comparisons);
    }

    [Fact]
    public void Rate_WithFewNonResponders_HidesTheRespondersAndTheRate()
    {
        // 40 eligible, 37 respond on day 7: 3 non-responders would be 40 - 37.
        var published = Publish([.. Responders(37, 7, "r"), .. Responders(3, null, "n")]);

        var response = published.Overall.Response![Measures.ResponseEver];
        Assert.Equal(Cell.Of(40), response.N);
        Assert.Equal(Cell.Hidden(SuppressionReason.Complementary), response.Events);
        Assert.Null(response.Estimate);
        Assert.Equal(SuppressionReason.DerivedFromSuppressed, response.Suppressed);
        // The onset curve would show 37 of 40 responding on day 7.
        Assert.Equal(SuppressionReason.DerivedFromSuppressed, published.Overall.TimeToResponse!.Days.Withheld);
        Assert.Empty(published.Overall.TimeToResponse.Days.Curve);
    }

    [Fact]
    public void Rate_WithShownCounts_KeepsTheWilsonInterval()
    {
        var raw = CohortReport.Compute([.. Responders(20, 7, "r"), .. Responders(25, null, "n")], Definition(), Provenance);

        var rate = SmallCellSuppression.Apply(raw, Threshold).Overall.Response![Measures.ResponseEver];

        Assert.Equal((Cell.Of(20), Cell.Of(45)), (rate.Events, rate.N));
        Assert.Equal(raw.Overall.Response![Measures.ResponseEver].Estimate.Lower, rate.Lower);
        Assert.Null(rate.Suppressed);
    }

    [Fact]
    public void SurvivalCurve_StepsHoldAtLeastThresholdEvents_AndASmallRemainderTakesBackTheLastStep()
    {
        // 60 eligible: responses on days 7 (15), 14 (4), 21 (8), 28 (12), 35 (5); 16 never respond (censored day 60).
        var published = Publish([.. Responders(15, 7, "a"), .. Responders(4, 14, "b"), .. Responders(8, 21, "c"),
            .. Responders(12, 28, "d"), .. Responders(5, 35, "e"), .. Responders(16, null, "n")]);

        var days = published.Overall.TimeToResponse!.Days;
        // Steps: day 7 (15 events), day 21 (4 + 8 merged), day 28 (12); day 35's 5 events would be the shown total (44)
        // minus the steps, so the day-28 step is taken back and 17 events stay unshown.
        Assert.Equal([7.0, 21.0], days.Curve.Select(s => s.Time));
        Assert.Equal(45.0 / 60, days.Curve[0].Survival, 12);
        Assert.Equal(33.0 / 60, days.Curve[1].Survival, 12);
        Assert.Equal(28.0, days.ShownUntil);
        Assert.Equal(SuppressionReason.FewEvents, days.CurveEnd);
        Assert.Equal(Cell.Of(60), days.N);
        Assert.Equal(Cell.Of(44), days.Events);
    }

    [Fact]
    public void AtRisk_BelowThreshold_IsSuppressed_AndTheCurveStops()
    {
        // 40 eligible: 20 respond on day 7; of the others 15 are last assessed on day 30 and 5 on day 60.
        var published = Publish([.. Responders(20, 7, "a"), .. Responders(15, null, "b", lastDay: 30), .. Responders(5, null, "c")],
            options: new ReportOptions { AtRiskDays = [0, 14, 45, 61] });

        var days = published.Overall.TimeToResponse!.Days;
        Assert.Equal([Cell.Of(40), Cell.Of(20), Cell.Hidden(SuppressionReason.BelowThreshold), Cell.Of(0)],
            days.AtRisk.Select(a => a.AtRisk));
        Assert.Equal([7.0], days.Curve.Select(s => s.Time));
        Assert.Equal(60.0, days.ShownUntil);
        Assert.Equal(SuppressionReason.FewAtRisk, days.CurveEnd);
    }

    [Fact]
    public void AtRiskFallingByFewerThanThreshold_IsHidden()
    {
        // At risk on day 0: 40; on day 14: 35 (5 responded on day 7): the drop of 5 is a count.
        var published = Publish([.. Responders(5, 7, "a"), .. Responders(35, null, "n")], options: new ReportOptions { AtRiskDays = [0, 14, 61] });

        var atRisk = published.Overall.TimeToResponse!.Days.AtRisk.Select(a => a.AtRisk).ToList();
        Assert.Equal(Cell.Of(40), atRisk[0]);
        Assert.Equal(Cell.Hidden(SuppressionReason.Complementary), atRisk[1]);
        Assert.Equal(Cell.Of(0), atRisk[2]);
    }

    [Fact]
    public void Durability_SurvivalAt30_60_90_ShownOnlyWhenEveryEventBeforeIsInAStepEndingByThen()
    {
        // 50 responders from day 7. Losses 13 days after onset (20), 43 days (6) and 70 days (12); 12 keep responding.
        var members = new List<CohortMember>();
        for (var i = 0; i < 50; i++)
        {
            var course = new TestCourse().Sessions(0, 2, 4).Score(-1, 20).Score(7, 8);
            int? lossDay = i < 20 ? 20 : i < 26 ? 50 : i < 38 ? 77 : null;
            if (lossDay is { } d) course.Score(d, 16).Score(d + 7, 16);
            else course.Score(120, 8);
            members.Add(Member(course, $"p{i:D3}"));
        }

        var durability = Publish(members).Overall.Durability!.Days;

        // The 6 losses at 43 days share a step with the 12 at 70 days, so the estimate at 60 days would show them.
        Assert.Equal([13.0, 70.0], durability.Curve.Select(s => s.Time));
        Assert.Equal(0.6, durability.SurvivalAt[0].Survival!.Value, 12);
        Assert.Null(durability.SurvivalAt[1].Survival);
        Assert.Equal(SuppressionReason.FewEvents, durability.SurvivalAt[1].Suppressed);
        Assert.Equal(0.24, durability.SurvivalAt[2].Survival!.Value, 12);
        Assert.Null(durability.ShownUntil);
    }

    [Fact]
    public void Median_InsideTheShownCurve_IsShown_BeyondIt_Withheld()
    {
        // 70 eligible, 30 respond on day 7 and 15 on day 28: S(28) = 25/70, the median is day 28, a shown step.
        var shown = Publish([.. Responders(30, 7, "a"), .. Responders(15, 28, "b"), .. Responders(25, null, "n")]);
        // With 10 on day 28 that step is too small, and the 10 left over would be 40 - 30: the day-7 step goes too.
        var hidden = Publish([.. Responders(30, 7, "a"), .. Responders(10, 28, "b"), .. Responders(30, null, "n")]);

        Assert.Equal(28.0, shown.Overall.TimeToResponse!.Days.Median.Estimate);
        var days = hidden.Overall.TimeToResponse!.Days;
        Assert.Null(days.Median.Estimate);
        Assert.Equal(SuppressionReason.FewEvents, days.Median.Suppressed);
        Assert.Empty(days.Curve);
        Assert.Equal(7.0, days.ShownUntil);
    }

    [Fact]
    public void WeeklyMean_OfFewCourses_IsWithheld()
    {
        var members = new List<CohortMember>([.. Responders(30, 7, "a")]);
        for (var i = 0; i < 4; i++)
            members.Add(Member(new TestCourse().Sessions(0).Score(-1, 20).Score(30, 16), $"late{i}"));

        var weeks = Publish(members).Overall.Trajectory!.Weeks;

        Assert.Equal(Cell.Of(34), weeks[0].Courses);
        Assert.NotNull(weeks[0].Mean);
        Assert.Equal(Cell.Hidden(SuppressionReason.BelowThreshold), weeks[5].Courses);
        Assert.Null(weeks[5].Mean);
        Assert.Equal(SuppressionReason.DerivedFromSuppressed, weeks[5].Suppressed);
    }

    [Fact]
    public void LowerThreshold_ShowsWhatElevenHides()
    {
        var members = new List<CohortMember>([.. Courses(30, 1, "a", CourseEndReason.Completed), .. Courses(7, 1, "b", CourseEndReason.Other),
            .. Courses(20, 1, "c")]);

        var at11 = Publish(members).Overall.Counts!.EndReasons.Single(r => r.Reason == "other").Courses;
        var at6 = Publish(members, threshold: 6).Overall.Counts!.EndReasons.Single(r => r.Reason == "other").Courses;

        Assert.False(at11.IsShown);
        Assert.Equal(Cell.Of(7), at6);
    }

    [Fact]
    public void WithoutAThreshold_TheDefinitionsIsUsed()
    {
        var report = CohortReport.Compute([.. Courses(30, 1, "a", CourseEndReason.Completed), .. Courses(7, 1, "b", CourseEndReason.Other),
            .. Courses(20, 1, "c")], Definition(options: new ReportOptions { SuppressionThreshold = 6 }), Provenance);

        var published = SmallCellSuppression.Apply(report);

        Assert.Equal(6, published.SuppressionThreshold);
        Assert.Equal(Cell.Of(7), published.Overall.Counts!.EndReasons.Single(r => r.Reason == "other").Courses);
    }

    [Fact]
    public void LogRankAndCox_RowsOfWithheldAndComplementedGroupsAreSuppressed()
    {
        var members = new List<CohortMember>([
            .. Responders(20, 7, "a"), .. Responders(20, null, "b"),
            .. Responders(15, 14, "c", Modality.OralKetamine), .. Responders(30, null, "d", Modality.OralKetamine),
            .. Responders(30, 10, "e", Modality.IntranasalEsketamine), .. Responders(30, null, "f", Modality.IntranasalEsketamine),
            .. Responders(5, null, "g", Modality.ImKetamine)]);

        var published = Publish(members, CohortDimension.Modality, new ReportOptions { CoxAdjustedForBaseline = true });

        // im-ketamine (5 courses) is withheld; iv-ketamine, the next smallest, hides its counts to protect it.
        var rows = published.Comparisons!.TimeToResponseDays!.Groups.ToDictionary(g => g.Group);
        Assert.Equal(Cell.Hidden(SuppressionReason.SmallGroup), rows["im-ketamine"].N);
        Assert.Equal(Cell.Hidden(SuppressionReason.Complementary), rows["iv-ketamine"].N);
        Assert.Null(rows["im-ketamine"].Expected);
        Assert.Null(rows["iv-ketamine"].Expected);
        Assert.Equal(Cell.Of(45), rows["oral-ketamine"].N);
        Assert.NotNull(rows["oral-ketamine"].Expected);
        Assert.NotNull(rows["intranasal-esketamine"].Expected);

        var cox = published.Comparisons.TimeToResponseAdjusted!;
        var ratios = cox.HazardRatios.ToDictionary(h => h.Group ?? h.Term);
        Assert.Equal("intranasal-esketamine", cox.ReferenceGroup);
        Assert.Equal(SuppressionReason.SmallGroup, ratios["im-ketamine"].Suppressed);
        Assert.Equal(SuppressionReason.DerivedFromSuppressed, ratios["iv-ketamine"].Suppressed);
        Assert.NotNull(ratios["oral-ketamine"].HazardRatio);
        // Every baseline here is 20: the model cannot estimate that term (R's NA), which is not suppression.
        Assert.Null(ratios["baselineTotal"].HazardRatio);
        Assert.Null(ratios["baselineTotal"].Suppressed);
    }

    [Theory]
    [InlineData(1, 260, CohortDimension.Modality, 11)]
    [InlineData(2, 260, CohortDimension.Modality, 11)]
    [InlineData(3, 120, CohortDimension.Modality, 6)]
    [InlineData(4, 400, CohortDimension.Clinic, 11)]
    [InlineData(5, 90, CohortDimension.PriorFailedTrials, 5)]
    [InlineData(6, 150, CohortDimension.BaselineSeverity, 11)]
    [InlineData(7, 300, CohortDimension.PriorFailedTrials, 11)]
    [InlineData(8, 60, null, 11)]
    public void RandomCohorts_NoSmallCountIsShownOrRecoverable(int seed, int courses, CohortDimension? groupBy, int threshold)
    {
        var members = Random(courses, seed, modalities: 5);
        var report = CohortReport.Compute(members, Definition(groupBy), Provenance);

        var published = SmallCellSuppression.Apply(report, threshold);

        DisclosureAudit.Check(report, published, threshold);
        Assert.Contains(published.Suppression, n => n.Reason is SuppressionReason.BelowThreshold or SuppressionReason.SmallGroup);
    }

    [Fact]
    public void Audit_CatchesAReportSuppressedWithALowerThreshold()
    {
        var report = CohortReport.Compute(Random(260, 1, modalities: 5), Definition(CohortDimension.Modality), Provenance);

        var published = SmallCellSuppression.Apply(report, 5);

        Assert.ThrowsAny<Exception>(() => DisclosureAudit.Check(report, published, 11));
    }

    [Fact]
    public void Notes_SayWhichRulesHidValues()
    {
        var published = Publish([.. Courses(30, 1, "a", CourseEndReason.Completed), .. Courses(5, 1, "b", CourseEndReason.LostToFollowUp),
            .. Courses(20, 1, "c")]);

        var note = published.Suppression.Single(n => n.Reason == SuppressionReason.BelowThreshold);
        Assert.Contains("1 to 10", note.Rule);
        Assert.True(note.Values >= 1);
        Assert.Equal(Threshold, published.SuppressionThreshold);
    }
}
