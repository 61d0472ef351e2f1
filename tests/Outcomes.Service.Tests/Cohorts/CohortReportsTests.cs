using System.Net;
using System.Text.Json.Nodes;
using Outcomes.Contracts;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.Cohorts;

[Collection(IngestionCollection.Name)]
public sealed class CohortReportsTests(IngestionFixture fixture)
{
    private static string NewClinic() => "clinic-r" + Guid.NewGuid().ToString("N")[..8];

    private async Task<List<CourseFeed>> Feed(string clinic, int patients)
    {
        var feeds = Enumerable.Range(0, patients).Select(_ => CourseFeed.ForNewPatient(clinic)).ToList();
        await fixture.Publisher.PublishAll(feeds.SelectMany(f => f.Induction()));
        foreach (var feed in feeds)
            await fixture.CourseWith(feed, feed.Induction().Count);
        return feeds;
    }

    [Fact]
    public async Task OverviewOfOneClinic_CountsItsCoursesAndStatesProvenance()
    {
        var clinic = NewClinic();
        await Feed(clinic, 12);

        var report = JsonNode.Parse(await fixture.Client.GetStringAsync($"/api/v1/reports/overview?clinicId={clinic}"))!;

        Assert.Equal(12, (int)report["overall"]!["counts"]!["enrolled"]!["value"]!);
        Assert.Equal("outcomes-v1", (string)report["provenance"]!["definitionsVersion"]!);
        Assert.True((long)report["provenance"]!["eventStorePosition"]! > 0);
        Assert.Equal("own-clinics", (string)report["disclosure"]!["tier"]!);
    }

    [Fact]
    public async Task SamePositionAskedAgainAfterMoreFacts_SameReport()
    {
        var clinic = NewClinic();
        await Feed(clinic, 11);
        var first = await fixture.Client.GetStringAsync($"/api/v1/reports/overview?clinicId={clinic}");
        var position = (long)JsonNode.Parse(first)!["provenance"]!["eventStorePosition"]!;

        await Feed(clinic, 3);
        var again = await fixture.Client.GetStringAsync($"/api/v1/reports/overview?clinicId={clinic}&asOfPosition={position}");
        var now = JsonNode.Parse(await fixture.Client.GetStringAsync($"/api/v1/reports/overview?clinicId={clinic}"))!;

        Assert.Equal(first, again);
        Assert.Equal(14, (int)now["overall"]!["counts"]!["enrolled"]!["value"]!);
    }

    [Fact]
    public async Task SmallClinic_ExactForItsOwnQualityLead_NothingWithheld()
    {
        var clinic = NewClinic();
        await Feed(clinic, 4);

        var text = await fixture.ClientFor(AccessToken.Roles.Quality, clinic).GetStringAsync($"/api/v1/reports/overview?clinicId={clinic}");
        var report = JsonNode.Parse(text)!;

        Assert.Equal(4, (int)report["overall"]!["counts"]!["enrolled"]!["value"]!);
        Assert.Null(report["overall"]!["withheld"]);
        Assert.Equal("own-clinics", (string)report["disclosure"]!["tier"]!);
    }

    [Fact]
    public async Task OtherClinicsQualityUser_Forbidden()
    {
        var clinic = NewClinic();
        var outsider = fixture.ClientFor(AccessToken.Roles.Quality, NewClinic());

        var response = await outsider.GetAsync($"/api/v1/reports/overview?clinicId={clinic}");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task UnknownReport_NotFound()
    {
        var response = await fixture.Client.GetAsync("/api/v1/reports/no-such-report");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Catalogue_ListsTheCommittedDefinitions()
    {
        var list = JsonNode.Parse(await fixture.Client.GetStringAsync("/api/v1/reports"))!.AsArray();

        Assert.Contains("onset-by-modality", list.Select(d => (string)d!["name"]!));
        Assert.Contains("overview", list.Select(d => (string)d!["name"]!));
    }
}
