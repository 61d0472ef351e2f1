using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Outcomes.Contracts;
using Outcomes.Service.Dashboard;
using Outcomes.Service.Tests.Fixtures;
using Roles = Outcomes.Contracts.AccessToken.Roles;

namespace Outcomes.Dashboard.Tests.Access;

/// Who may open the dashboard and what the sign-in cookie can and cannot do, over the in-memory host.
[Collection(IngestionCollection.Name)]
public sealed partial class DashboardAccessTests(IngestionFixture fixture)
{
    private HttpClient Browser() => fixture.Host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    private static string NewClinic() => "clinic-s" + Guid.NewGuid().ToString("N")[..8];

    /// Signs in through the form as a browser does: the page's antiforgery field and cookie, then the token.
    private static async Task<HttpResponseMessage> SignIn(HttpClient browser, string token, string? returnUrl = null)
    {
        var form = await browser.GetStringAsync("/dashboard/sign-in");
        var field = AntiforgeryField().Match(form);
        Assert.True(field.Success, "the sign-in form carries an antiforgery field");
        var fields = new Dictionary<string, string> { [field.Groups[1].Value] = WebUtility.HtmlDecode(field.Groups[2].Value), ["token"] = token };
        if (returnUrl is not null) fields["returnUrl"] = returnUrl;
        return await browser.PostAsync("/dashboard/sign-in", new FormUrlEncodedContent(fields));
    }

    [Fact]
    public async Task CompareForALeadOfTwoClinics_TheNetworkSideSaysItLeavesBothOut()
    {
        var (first, second) = (NewClinic(), NewClinic());
        Assert.True((await fixture.Client.PostAsync("/api/v1/releases", null)).IsSuccessStatusCode);
        var browser = Browser();
        await SignIn(browser, fixture.Host.Token([Roles.Quality], [first, second]));

        var page = await browser.GetStringAsync($"/dashboard/compare?clinicId={first}&report=overview");

        // The network figures leave out every clinic of the token (the service adds them to excludeClinic), so the
        // page must not call them "every other clinic".
        var ordered = string.Join(", ", new[] { first, second }.Order(StringComparer.Ordinal));
        Assert.Contains($"every clinic but {ordered} (the clinics of your token are left out;", page, StringComparison.Ordinal);
        Assert.DoesNotContain("every other clinic", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoToken_DashboardPage_RedirectedToSignInWithTheWayBack()
    {
        var response = await Browser().GetAsync("/dashboard/reports/overview?clinicId=clinic-a");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/dashboard/sign-in?returnUrl=%2Fdashboard%2Freports%2Foverview%3FclinicId%3Dclinic-a", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task QualityToken_SignIn_HttpOnlyStrictCookieAndBackToTheReport()
    {
        var browser = Browser();
        var clinic = NewClinic();

        var response = await SignIn(browser, fixture.Host.Token([Roles.Quality], [clinic]), "/dashboard/reports/overview");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/dashboard/reports/overview", response.Headers.Location!.OriginalString);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(DashboardEndpoints.CookieName + "=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/dashboard", cookie, StringComparison.OrdinalIgnoreCase);
        var page = await browser.GetAsync("/dashboard/reports/overview");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains($"Courses of: {clinic}.", await page.Content.ReadAsStringAsync());
        Assert.Equal("no-store", page.Headers.CacheControl!.ToString());
    }

    [Fact]
    public async Task IntegrationToken_SignIn_Refused403Page()
    {
        var response = await SignIn(Browser(), fixture.Host.Token([Roles.Integration], ["clinic-a"]));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("this token has: integration", await response.Content.ReadAsStringAsync());
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith(DashboardEndpoints.CookieName, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task IntegrationBearer_DashboardPage_403Page()
    {
        var response = await fixture.ClientFor(Roles.Integration, "clinic-a").GetAsync("/dashboard");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("quality, researcher or admin role", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ForeignSignedToken_SignIn_400WithTheReason()
    {
        var response = await SignIn(Browser(), fixture.Host.Token([Roles.Quality], ["clinic-a"], signingKey: new string('k', 48)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("The token was refused: its signature does not match this service&#39;s key", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task SessionCookie_NotAcceptedByTheApi_NorIsAPastedTokenInIt()
    {
        var browser = Browser();
        var signIn = await SignIn(browser, fixture.Host.Token([Roles.Admin], [AccessToken.AllClinics]));
        var session = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(DashboardEndpoints.CookieName + "=", StringComparison.Ordinal)).Split(';')[0];
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/dashboard")).StatusCode);

        var client = fixture.Host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Add("Cookie", session);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/reports")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/dashboard")).StatusCode);
        // The cookie is a session id: a token put in its place is no session.
        var forged = fixture.Host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        forged.DefaultRequestHeaders.Add("Cookie", $"{DashboardEndpoints.CookieName}={fixture.Host.Token([Roles.Admin], [AccessToken.AllClinics])}");
        Assert.Equal(HttpStatusCode.Redirect, (await forged.GetAsync("/dashboard")).StatusCode);
    }

    [Fact]
    public async Task OtherClinic_403Page()
    {
        var response = await fixture.ClientFor(Roles.Quality, NewClinic()).GetAsync($"/dashboard/reports/overview?clinicId={NewClinic()}");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("is not among the clinics your token names", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AdHocCohort_FilterOnAnotherClinic_403Page()
    {
        var response = await fixture.ClientFor(Roles.Quality, NewClinic()).GetAsync($"/dashboard/cohort?clinic={NewClinic()}&groupBy=modality");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task SignOut_ClearsTheCookie()
    {
        var browser = Browser();
        await SignIn(browser, fixture.Host.Token([Roles.Quality], [NewClinic()]));
        var page = await browser.GetStringAsync("/dashboard");
        var field = AntiforgeryField().Match(page);

        var response = await browser.PostAsync("/dashboard/sign-out", new FormUrlEncodedContent(
            new Dictionary<string, string> { [field.Groups[1].Value] = WebUtility.HtmlDecode(field.Groups[2].Value) }));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(DashboardEndpoints.CookieName + "=;", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/dashboard")).StatusCode);
    }

    [Fact]
    public async Task CatalogPage_ListsReportsAndOffersOnlyTheCallersClinics()
    {
        var clinic = NewClinic();
        var html = await fixture.ClientFor(Roles.Quality, clinic).GetStringAsync("/dashboard");

        Assert.Contains("href=\"/dashboard/reports/onset-by-modality\"", html);
        Assert.Contains($"name=\"clinic\" value=\"{clinic}\"", html);
        Assert.Single(Regex.Matches(html, "name=\"clinic\""));
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private const string OverviewBody = """
        {"name": "my-overview", "version": "1", "title": "Overview", "description": "", "filter": {}, "options": {}}
        """;

    [Fact]
    public async Task PostCohort_SameAnswerAsTheNamedReportWithTheSameDefinition()
    {
        var clinic = NewClinic();
        var feeds = Enumerable.Range(0, 11).Select(_ => CourseFeed.ForNewPatient(clinic)).ToList();
        await fixture.Publisher.PublishAll(feeds.SelectMany(f => f.Induction()));
        foreach (var feed in feeds) await fixture.CourseWith(feed, feed.Induction().Count);
        var client = fixture.ClientFor(Roles.Quality, clinic);

        var response = await client.PostAsync("/api/v1/reports/cohort", Json(OverviewBody));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var adHoc = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(11, (int)adHoc["overall"]!["counts"]!["enrolled"]!["value"]!);
        Assert.Equal("my-overview", (string)adHoc["definition"]!["name"]!);
    }

    [Fact]
    public async Task PostCohort_UnknownOrRemovedProperty_400NamingTheField()
    {
        var client = fixture.ClientFor(Roles.Quality, "clinic-a");

        var typo = await client.PostAsync("/api/v1/reports/cohort", Json(OverviewBody.Replace("\"filter\"", "\"filtre\"")));
        var removed = await client.PostAsync("/api/v1/reports/cohort", Json(OverviewBody.Replace("\"options\": {}", "\"options\": {\"suppressionThreshold\": 11}")));

        Assert.Equal(HttpStatusCode.BadRequest, typo.StatusCode);
        Assert.Contains("filtre", await typo.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, removed.StatusCode);
        var errors = JsonNode.Parse(await removed.Content.ReadAsStringAsync())!["errors"]!;
        Assert.StartsWith("options.suppressionThreshold was removed", (string)errors["$.options.suppressionThreshold"]![0]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostCohort_FilterOnAnotherClinic_403()
    {
        var client = fixture.ClientFor(Roles.Quality, "clinic-a");

        var response = await client.PostAsync("/api/v1/reports/cohort", Json(OverviewBody.Replace("\"filter\": {}", "\"filter\": {\"clinic\": [\"clinic-b\"]}")));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task OpenApiDocument_HasTheCohortPostAndNoDashboardPage()
    {
        var document = JsonNode.Parse(await fixture.Host.CreateClient().GetStringAsync("/openapi/v1.json"))!;
        var paths = document["paths"]!.AsObject();

        Assert.NotNull(paths["/api/v1/reports/cohort"]?["post"]?["requestBody"]);
        Assert.DoesNotContain(paths, p => p.Key.StartsWith("/dashboard", StringComparison.Ordinal));
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]+)\">")]
    private static partial Regex AntiforgeryField();
}
