using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Disclosure;
using Outcomes.Domain.Exports;
using Outcomes.Domain.Outcomes;
using static Outcomes.Domain.Tests.Cohorts.CohortTestData;

namespace Outcomes.Domain.Tests.Exports;

public class ExportedCohortTests
{
    /// Both reports published exactly (the released-microdata tier), so every figure is compared.
    private static PublishedCohortReport Exact(CohortReport report) => ReportDisclosure.OverReleasedMicrodata(report, 0, 0);

    [Theory]
    [InlineData(null)]
    [InlineData(CohortDimension.Modality)]
    [InlineData(CohortDimension.PriorFailedTrials)]
    [InlineData(CohortDimension.Clinic)]
    public void ReportFromExport_EqualsReportFromFacts(CohortDimension? groupBy)
    {
        var courses = RandomCourses(400, 31, modalities: 3);
        var definition = Definition(groupBy, new ReportOptions { TrajectoryModelMaxCourses = null });
        var direct = CohortReport.Compute(
            courses.Select(c => CohortMember.AtPosition(c.Key, c.Facts, OutcomeDefinitions.Default, AsOf)).ToList(),
            definition, Provenance with { EventStorePosition = 4242 });

        var export = TestExport.Of(courses, TestExport.Scope());
        var offline = ExportedCohort.Report(export.Manifest, definition, export.Subjects.Table(), export.Assessments.Table());

        Assert.Equal(400, export.Subjects.Rows.Count);
        ReportJson.AssertEquivalent(JsonOf(Exact(direct)), JsonOf(Exact(offline)));
    }

    [Fact]
    public void FilteredExport_HoldsOnlyTheCohort_AndItsReportMatches()
    {
        var courses = RandomCourses(300, 32);
        var filter = new CohortFilter { BaselineSeverity = ["moderate", "moderately-severe", "severe"] };
        var definition = Definition(CohortDimension.BaselineSeverity) with { Filter = filter };
        var direct = CohortReport.Compute(
            courses.Select(c => CohortMember.AtPosition(c.Key, c.Facts, OutcomeDefinitions.Default, AsOf)).ToList(),
            definition, Provenance);

        var export = TestExport.Of(courses, TestExport.Scope(filter));
        var offline = ExportedCohort.Report(export.Manifest, definition, export.Subjects.Table(), export.Assessments.Table());

        Assert.All(export.Subjects.Rows, r => Assert.Contains(r[Column("baseline_severity")], filter.BaselineSeverity));
        Assert.Equal(direct.Overall.Counts.Enrolled, export.Subjects.Rows.Count);
        ReportJson.AssertEquivalent(JsonOf(Exact(direct)), JsonOf(Exact(offline)));
    }

    [Fact]
    public void StoreTimeInsideCourses_FactsStampedLaterStillCount_AsInAReport()
    {
        // A store time on day 10: most courses have facts stamped later (clock skew, back-dated feeds), and every
        // one of them is stored at the position, so the report and the export both count them.
        var storeTime = Outcomes.TestCourse.DayZero.AddDays(10);
        var courses = RandomCourses(300, 36);
        var definition = Definition(CohortDimension.Modality, new ReportOptions { TrajectoryModelMaxCourses = null });
        var members = courses.Select(c => CohortMember.AtPosition(c.Key, c.Facts, OutcomeDefinitions.Default, storeTime)).ToList();
        var direct = CohortReport.Compute(members, definition, Provenance with { EventStorePosition = 4242, AsOf = storeTime });

        var export = TestExport.Of(courses, TestExport.Scope(storeTime: storeTime));
        var offline = ExportedCohort.Report(export.Manifest, definition, export.Subjects.Table(), export.Assessments.Table());

        Assert.Equal(courses.Sum(c => c.Facts.Scores.Count), export.Assessments.Rows.Count);
        Assert.Equal(courses.Sum(c => c.Facts.Sessions.Count), export.Sessions.Rows.Count);
        Assert.Contains(export.Subjects.Rows, r => r[Column("induction_window_elapsed")] == "false");
        Assert.Contains(members, m => m.Outcome.LastAssessmentDay > 10);
        ReportJson.AssertEquivalent(JsonOf(Exact(direct)), JsonOf(Exact(offline)));
    }

    [Fact]
    public void QuarterFilter_IsRefused()
    {
        var export = TestExport.Of(RandomCourses(20, 33), TestExport.Scope());
        var definition = Definition() with { Filter = new CohortFilter { FirstSessionFrom = "2024-Q2" } };

        var e = Assert.Throws<ExportReadException>(() =>
            ExportedCohort.Report(export.Manifest, definition, export.Subjects.Table(), export.Assessments.Table()));
        Assert.Contains("quarters", e.Message);
    }

    [Fact]
    public void GroupingOnAGeneralisedModality_IsRefused()
    {
        var export = TestExport.Of(RandomCourses(20, 34), TestExport.Scope(), level: ReleaseParameters.DefaultOrder.Count);

        var e = Assert.Throws<ExportReadException>(() => ExportedCohort.Report(export.Manifest,
            Definition(CohortDimension.Modality), export.Subjects.Table(), export.Assessments.Table()));
        Assert.Contains("modality", e.Message);
    }

    [Fact]
    public void OtherInductionWindow_IsRefused()
    {
        var export = TestExport.Of(RandomCourses(20, 35), TestExport.Scope(window: 28));

        Assert.Throws<ExportReadException>(() => ExportedCohort.Report(export.Manifest, Definition(),
            export.Subjects.Table(), export.Assessments.Table()));
    }

    [Fact]
    public void ResponseBySession6_IsASubjectsColumn_AndAShiftedExportGivesTheSameRateOffline()
    {
        var courses = RandomCourses(400, 31, modalities: 3);
        var members = courses.Select(c => CohortMember.AtPosition(c.Key, c.Facts, OutcomeDefinitions.Default, AsOf)).ToList();
        var export = TestExport.Of(courses, TestExport.Scope(), jitter: true);
        var context = new RateContext(42, AsOf.UtcTicks / TimeSpan.TicksPerDay);

        var expected = members.Select(m => Measures.ResponseBySession6.Of(m.Outcome, context) switch { true => "true", false => "false", null => null })
            .Order().ToList();
        var written = export.Subjects.Rows.Select(r => r[Column("response_by_session_6")]).Order().ToList();
        Assert.Equal(expected, written);
        Assert.Contains("true", written);
        Assert.Contains("false", written);
        Assert.Contains(null, written);

        var definition = Definition();
        var direct = CohortReport.Compute(members, definition, Provenance).Overall.Response![Measures.ResponseBySession6];
        var offline = ExportedCohort.Report(export.Manifest, definition, export.Subjects.Table(), export.Assessments.Table())
            .Overall.Response![Measures.ResponseBySession6];
        Assert.Equal((direct.Events, direct.N), (offline.Events, offline.N));
    }

    private static int Column(string name) => ExportDatasets.Subjects.Columns.Select(c => c.Name).ToList().IndexOf(name);
}
