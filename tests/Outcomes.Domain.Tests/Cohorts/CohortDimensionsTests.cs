using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Tests.Outcomes;
using static Outcomes.Domain.Tests.Cohorts.CohortTestData;

namespace Outcomes.Domain.Tests.Cohorts;

public class CohortDimensionsTests
{
    [Theory]
    [InlineData(0, "0-1")]
    [InlineData(1, "0-1")]
    [InlineData(2, "2")]
    [InlineData(3, "3+")]
    [InlineData(9, "3+")]
    public void PriorFailedTrials_InTheReportBands(int trials, string label)
    {
        Assert.Equal(label, CohortDimensions.PriorFailedTrialsLabel(trials));
    }

    [Theory]
    [InlineData("2026-01-01T00:00:00+00:00", "2026-Q1")]
    [InlineData("2026-03-31T23:59:59+00:00", "2026-Q1")]
    [InlineData("2026-04-01T00:30:00+02:00", "2026-Q1")]
    [InlineData("2025-12-31T12:00:00+00:00", "2025-Q4")]
    [InlineData("2025-07-15T12:00:00+00:00", "2025-Q3")]
    public void FirstSessionPeriod_IsTheUtcYearQuarter(string at, string label)
    {
        Assert.Equal(label, CohortDimensions.PeriodLabel(DateTimeOffset.Parse(at)));
    }

    [Theory]
    [InlineData("2026-Q1", true)]
    [InlineData("2026-Q4", true)]
    [InlineData("2026-Q5", false)]
    [InlineData("2026-q1", false)]
    [InlineData("26-Q1", false)]
    [InlineData(null, false)]
    public void PeriodLabels_Parse(string? label, bool ok)
    {
        Assert.Equal(ok, CohortDimensions.TryParsePeriod(label, out _, out _));
    }

    [Fact]
    public void Labels_UseTheWireSpelling()
    {
        var member = Member(new TestCourse().Sessions(0).Score(-1, 17), "p1", Modality.IntranasalEsketamine, 0,
            ageBand: AgeBand.From90, sex: Sex.Male);

        Assert.Equal("intranasal-esketamine", CohortDimensions.Label(member, CohortDimension.Modality));
        Assert.Equal("90+", CohortDimensions.Label(member, CohortDimension.AgeBand));
        Assert.Equal("male", CohortDimensions.Label(member, CohortDimension.Sex));
        Assert.Equal("treatment-resistant-depression", CohortDimensions.Label(member, CohortDimension.DiagnosisGroup));
        Assert.Equal("moderately-severe", CohortDimensions.Label(member, CohortDimension.BaselineSeverity));
        Assert.Equal("0-1", CohortDimensions.Label(member, CohortDimension.PriorFailedTrials));
        Assert.Equal("2024-Q1", CohortDimensions.Label(member, CohortDimension.FirstSessionPeriod));
        Assert.Equal("clinic-a", CohortDimensions.Label(member, CohortDimension.Clinic));
    }

    [Fact]
    public void CourseWithoutEnrolmentBaselineOrSession_HasItsOwnLabels()
    {
        var member = Member(new TestCourse(), "p1", enrolled: false);

        Assert.Equal(CohortDimensions.NoEnrolment, CohortDimensions.Label(member, CohortDimension.Modality));
        Assert.Equal(CohortDimensions.NoEnrolment, CohortDimensions.Label(member, CohortDimension.Sex));
        Assert.Equal(CohortDimensions.NoEnrolment, CohortDimensions.Label(member, CohortDimension.PriorFailedTrials));
        Assert.Equal(CohortDimensions.NoBaseline, CohortDimensions.Label(member, CohortDimension.BaselineSeverity));
        Assert.Equal(CohortDimensions.NoSession, CohortDimensions.Label(member, CohortDimension.FirstSessionPeriod));
    }

    [Fact]
    public void EnrolmentAfterAsOf_IsNotYetKnown()
    {
        var member = Member(new TestCourse().Sessions(0), "p1", asOf: TestCourse.At(-4, 0));

        Assert.Null(member.Attributes);
    }

    [Fact]
    public void Filter_CombinesDimensionsWithAndAndLabelsWithOr()
    {
        var filter = new CohortFilter { Modality = ["iv-ketamine", "oral-ketamine"], PriorFailedTrials = ["2"] };

        Assert.True(filter.Matches(Member(new TestCourse(), "p1", Modality.OralKetamine, 2)));
        Assert.False(filter.Matches(Member(new TestCourse(), "p2", Modality.OralKetamine, 3)));
        Assert.False(filter.Matches(Member(new TestCourse(), "p3", Modality.ImKetamine, 2)));
        Assert.False(filter.Matches(Member(new TestCourse(), "p4", enrolled: false)));
        Assert.True(new CohortFilter { Modality = [CohortDimensions.NoEnrolment] }.Matches(Member(new TestCourse(), "p5", enrolled: false)));
    }

    [Fact]
    public void PeriodRange_IsInclusiveAndDropsCoursesWithoutSessions()
    {
        var filter = new CohortFilter { FirstSessionFrom = "2024-Q1", FirstSessionTo = "2024-Q1" };
        var later = new CohortFilter { FirstSessionFrom = "2024-Q2" };

        // TestCourse's day 0 is 2024-03-04; day 40 is in April.
        Assert.True(filter.Matches(Member(new TestCourse().Sessions(0), "p1")));
        Assert.False(filter.Matches(Member(new TestCourse().Sessions(40), "p2")));
        Assert.True(later.Matches(Member(new TestCourse().Sessions(40), "p3")));
        Assert.False(filter.Matches(Member(new TestCourse(), "p4")));
    }

    [Fact]
    public void FixedLabels_CoverEveryEnumValuePlusTheMissingLabel()
    {
        Assert.Equal(["iv-ketamine", "im-ketamine", "intranasal-esketamine", "oral-ketamine", "ketamine-assisted-psychotherapy", "no-enrolment"],
            CohortDimensions.FixedLabels(CohortDimension.Modality)!);
        Assert.Equal(["minimal", "mild", "moderate", "moderately-severe", "severe", "no-baseline"],
            CohortDimensions.FixedLabels(CohortDimension.BaselineSeverity)!);
        Assert.Null(CohortDimensions.FixedLabels(CohortDimension.Clinic));
        Assert.Null(CohortDimensions.FixedLabels(CohortDimension.FirstSessionPeriod));
    }
}
