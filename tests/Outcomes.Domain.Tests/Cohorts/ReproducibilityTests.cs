using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Disclosure;
using static Outcomes.Domain.Tests.Cohorts.CohortTestData;

namespace Outcomes.Domain.Tests.Cohorts;

public class ReproducibilityTests
{
    private static ReportDefinition Full(bool cox) => Definition(CohortDimension.Modality,
        new ReportOptions { CoxAdjustedForBaseline = cox, TrajectoryModelMaxCourses = 100 });

    [Fact]
    public void SameInput_GivesIdenticalJson()
    {
        var first = CohortReport.Compute(Random(400, 21, modalities: 4), Full(cox: true), Provenance);
        var second = CohortReport.Compute(Random(400, 21, modalities: 4), Full(cox: true), Provenance);

        Assert.Equal(JsonOf(first), JsonOf(second));
        Assert.Equal(JsonOf(ReportDisclosure.OverReleasedMicrodata(first, 0, 0)), JsonOf(ReportDisclosure.OverReleasedMicrodata(second, 0, 0)));
    }

    [Fact]
    public void MembersInAnotherOrder_GiveTheSamePublishedReport()
    {
        var members = Random(400, 22, modalities: 4);
        var shuffled = members.OrderBy(m => m.Course.PatientKey.GetHashCode(StringComparison.Ordinal)).ToList();

        var first = ReportDisclosure.OwnClinics(members, Full(cox: false), Provenance);
        var second = ReportDisclosure.OwnClinics(shuffled, Full(cox: false), Provenance);

        Assert.NotEqual(members.Select(m => m.Course), shuffled.Select(m => m.Course));
        Assert.Equal(JsonOf(first), JsonOf(second));
    }

    [Fact]
    public void Report_StatesItsProvenanceAndDefinition()
    {
        var published = ReportDisclosure.OwnClinics(Six(), Definition(), Provenance);

        var json = JsonOf(published);

        Assert.Equal(Provenance, published.Provenance);
        Assert.Contains("\"DefinitionsVersion\":\"outcomes-v1\"", json);
        Assert.Contains("\"EventStorePosition\":4242", json);
        Assert.Equal("test-report", published.Definition.Name);
    }
}
