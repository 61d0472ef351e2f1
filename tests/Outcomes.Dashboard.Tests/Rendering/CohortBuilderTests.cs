using System.Net;
using System.Text.RegularExpressions;
using Outcomes.Contracts;
using Outcomes.Service.Tests.Fixtures;
using Roles = Outcomes.Contracts.AccessToken.Roles;

namespace Outcomes.Dashboard.Tests.Rendering;

/// The cohort builder as a quality lead uses it, over the in-memory host with the real database: the page says whose
/// courses it shows, links back to its form filled in, a refused cohort keeps its choices, clinics are picked from a list.
[Collection(IngestionCollection.Name)]
public sealed partial class CohortBuilderTests(IngestionFixture fixture)
{
    private static string NewClinic() => "clinic-c" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task CohortOfOneClinic_SaysThatClinic_NotEveryClinic()
    {
        var clinic = NewClinic();

        var page = await fixture.ClientFor(Roles.Admin, AccessToken.AllClinics).GetStringAsync($"/dashboard/cohort?clinic={clinic}&groupBy=modality");

        Assert.Contains($"Courses of: {clinic}.", page);
        Assert.DoesNotContain("every clinic", page);
    }

    [Fact]
    public async Task CohortPage_LinksBackToItsFormFilledIn()
    {
        var clinic = NewClinic();
        var client = fixture.ClientFor(Roles.Quality, clinic);

        var page = await client.GetStringAsync($"/dashboard/cohort?clinic={clinic}&modality=iv-ketamine&modality=im-ketamine&groupBy=sex" +
                                               "&sections=counts&sections=durability&firstSessionFrom=2026-Q1");
        var edit = EditLink().Match(page);
        Assert.True(edit.Success, "the cohort's page links back to its form");
        var form = await client.GetStringAsync(WebUtility.HtmlDecode(edit.Groups[1].Value));

        Assert.Contains($"name=\"clinic\" value=\"{clinic}\" checked", form);
        Assert.Contains("name=\"modality\" value=\"iv-ketamine\" checked", form);
        Assert.Contains("name=\"modality\" value=\"im-ketamine\" checked", form);
        Assert.DoesNotContain("name=\"modality\" value=\"oral-ketamine\" checked", form);
        Assert.Contains("<option value=\"sex\" selected>", form);
        Assert.Contains("name=\"sections\" value=\"durability\" checked", form);
        Assert.DoesNotContain("name=\"sections\" value=\"trajectory\" checked", form);
        Assert.Contains("value=\"2026-Q1\"", form);
    }

    [Fact]
    public async Task RefusedCohort_NamesTheFieldAndRule_AndKeepsEveryChoice()
    {
        var clinic = NewClinic();

        var response = await fixture.ClientFor(Roles.Quality, clinic)
            .GetAsync($"/dashboard/cohort?clinic={clinic}&modality=iv-ketamine&groupBy=shoe-size&firstSessionFrom=2026-Q1");
        var page = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Matches("<strong>groupBy</strong>: must be one of [^<]*got &#39;shoe-size&#39;", page);
        Assert.Contains("action=\"/dashboard/cohort\"", page);
        Assert.Contains($"name=\"clinic\" value=\"{clinic}\" checked", page);
        Assert.Contains("name=\"modality\" value=\"iv-ketamine\" checked", page);
        Assert.Contains("value=\"2026-Q1\"", page);
    }

    [Fact]
    public async Task AdminOfEveryClinic_PicksClinicsFromThoseWithCourses_NoFreeText()
    {
        var clinic = NewClinic();
        await fixture.Publisher.PublishAll(DemoClinic.Courses(clinic, 1));
        var admin = fixture.ClientFor(Roles.Admin, AccessToken.AllClinics);

        var page = await Eventually.Until(() => admin.GetStringAsync("/dashboard"), p => p.Contains($"value=\"{clinic}\"", StringComparison.Ordinal),
            $"{clinic} offered on the cohort form", TimeSpan.FromSeconds(90));

        Assert.Matches($"(<input type=\"checkbox\" name=\"clinic\" value=\"{clinic}\">|<option value=\"{clinic}\">)", page);
        Assert.DoesNotContain("<input name=\"clinic\"", page);
    }

    [GeneratedRegex("<p class=\"edit-cohort\"><a href=\"([^\"]+)\"")]
    private static partial Regex EditLink();
}
