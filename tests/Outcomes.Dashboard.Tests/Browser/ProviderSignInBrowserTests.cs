using System.Net;
using Marten;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Outcomes.Service.Security;
using Outcomes.Service.Tests.Fixtures;
using Xunit.Abstractions;

namespace Outcomes.Dashboard.Tests.Browser;

/// A clinic's staff signing in to the dashboard at their identity provider in a real browser: the real provider
/// (scripts/oidc) in its own process, the service on a real port, sessions renewed at the provider on every request.
public sealed class ProviderSignInBrowserTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string Chromium = Environment.GetEnvironmentVariable("OUTCOMES_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";
    private const string Password = "correct horse battery staple";

    private readonly ServicesFixture _services = new();
    private readonly IsolatedNames _names = IsolatedNames.New();
    private readonly string _clinic = "clinic-o" + Guid.NewGuid().ToString("N")[..6];
    private IdentityProvider _provider = null!;
    private OutcomesHost _host = null!;
    private string _baseUrl = "";
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium),
            $"The browser test needs Chromium at {Chromium}: run `apt-get install chromium` (Debian package), or set OUTCOMES_CHROMIUM.");
        await _services.InitializeAsync();
        // The provider must know the service's redirect address before either starts.
        var port = IdentityProvider.FreePort();
        _provider = await IdentityProvider.StartAsync([], servicePort: port);
        var settings = _provider.ServiceSettings(dashboard: true);
        settings["Auth:Dashboard:RecheckEvery"] = "00:00:00";
        _host = new OutcomesHost(_services, _names, settings);
        _host.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        _host.StartServer();
        _baseUrl = $"http://127.0.0.1:{port}";
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _host.DisposeAsync();
        await _provider.DisposeAsync();
        await _names.Delete(_services);
        await _services.DisposeAsync();
    }

    private async Task<string> NewQualityLead()
    {
        var user = "lead-" + Guid.NewGuid().ToString("N")[..8];
        await _provider.AddUser(user, Password, "outcomes-quality", IdentityProvider.ClinicGroupPrefix + _clinic);
        return user;
    }

    /// From a dashboard address through the provider's login page and back.
    /// A page with generous waits: two cores shared with other builds can make a sign-in round trip slow, never wrong.
    private async Task<IPage> NewPage()
    {
        var page = await _browser.NewPageAsync();
        page.SetDefaultTimeout(90_000);
        page.SetDefaultNavigationTimeout(90_000);
        return page;
    }

    private async Task<IPage> SignIn(string user, string path = "/dashboard")
    {
        var page = await NewPage();
        await page.GotoAsync(_baseUrl + path);
        Assert.StartsWith($"{_baseUrl}/dashboard/sign-in", page.Url);
        await page.ClickAsync("a.sign-in-provider");
        await page.WaitForURLAsync($"{_provider.Issuer}/interaction/**", new PageWaitForURLOptions { WaitUntil = WaitUntilState.Commit });
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", Password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(_baseUrl + path, new PageWaitForURLOptions { WaitUntil = WaitUntilState.Commit });
        await page.Locator("header.site .viewer").WaitForAsync();
        return page;
    }

    /// The access token the server-side session holds now (this host's schema holds only this test's sessions).
    private async Task<string> SessionAccessToken(string subject)
    {
        var store = _host.Services.GetRequiredService<IDocumentStore>();
        var sessions = _host.Services.GetRequiredService<DashboardSessionStore>();
        await using var query = store.QuerySession();
        foreach (var record in await query.Query<DashboardSessionRecord>().ToListAsync())
            if (await sessions.RetrieveAsync(record.Id) is { } ticket && ticket.Principal.FindFirst("sub")?.Value == subject)
                return ticket.Properties.GetTokenValue("access_token")!;
        throw new InvalidOperationException($"no session of {subject}");
    }

    [Fact]
    public async Task QualityLead_SignsInAtTheProvider_SessionRenewed_RefusedOnceDisabled()
    {
        var user = await NewQualityLead();

        var page = await SignIn(user, "/dashboard/reports/overview");

        Assert.Contains(user, await page.Locator("header.site .viewer").TextContentAsync());
        Assert.Contains(_clinic, await page.Locator("header.site .viewer").TextContentAsync());
        Assert.Contains("quality", await page.Locator("header.site .viewer").TextContentAsync());
        var cookies = await page.Context.CookiesAsync([_baseUrl + "/dashboard"]);
        var session = Assert.Single(cookies, c => c.Name == Service.Dashboard.DashboardEndpoints.CookieName);
        Assert.True(session.HttpOnly);
        Assert.Equal("/dashboard", session.Path);
        Assert.DoesNotContain("eyJ", session.Value[..Math.Min(session.Value.Length, 3)]);

        // Renewed at the provider on each request here (Auth:Dashboard:RecheckEvery = 0): a new access token each time,
        // and one the API itself accepts for this person's clinic.
        var first = await SessionAccessToken(user);
        await page.GotoAsync(_baseUrl + "/dashboard");
        var second = await SessionAccessToken(user);
        Assert.NotEqual(first, second);
        var api = _host.ClientWith(second);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"/api/v1/patients/{_clinic}/pk0000abcdx9")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await api.GetAsync("/api/v1/patients/clinic-elsewhere/pk0000abcdx9")).StatusCode);

        // The clinic disables the person: the next request's renewal is refused and the session ends.
        await _provider.DisableUser(user);
        await page.GotoAsync(_baseUrl + "/dashboard");

        Assert.StartsWith($"{_baseUrl}/dashboard/sign-in", page.Url);
        Assert.Contains("Your session has ended", await page.Locator("p.problem").TextContentAsync());
        Assert.DoesNotContain(await page.Context.CookiesAsync([_baseUrl + "/dashboard"]), c => c.Name == Service.Dashboard.DashboardEndpoints.CookieName);
        await Screenshot(page, "dashboard-provider-session-ended.png");
    }

    [Fact]
    public async Task SignOut_EndsTheSessionHereAndAtTheProvider()
    {
        var user = await NewQualityLead();
        var page = await SignIn(user);

        await page.ClickAsync("form.sign-out button[type=submit]");
        // Through the provider's end-session page and back: several navigations, so the address is polled.
        await Eventually.Until(() => Task.FromResult(page.Url), url => url == $"{_baseUrl}/dashboard/sign-in", "back at the sign-in page",
            TimeSpan.FromSeconds(90));
        await page.Locator("a.sign-in-provider").WaitForAsync();

        await page.GotoAsync(_baseUrl + "/dashboard");
        Assert.StartsWith($"{_baseUrl}/dashboard/sign-in", page.Url);
        // Signed out at the provider too: signing in again asks for the password instead of passing straight through.
        await page.ClickAsync("a.sign-in-provider");
        await page.WaitForURLAsync($"{_provider.Issuer}/interaction/**", new PageWaitForURLOptions { WaitUntil = WaitUntilState.Commit });
        await page.Locator("#password").WaitForAsync();
    }

    [Fact]
    public async Task PersonWithoutAReadersRole_SignedInButShownTheRefusal()
    {
        var user = "engineer-" + Guid.NewGuid().ToString("N")[..8];
        await _provider.AddUser(user, Password, "outcomes-integration", IdentityProvider.ClinicGroupPrefix + _clinic);
        var page = await NewPage();
        await page.GotoAsync(_baseUrl + "/dashboard/sign-in/provider");
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", Password);

        var response = await page.RunAndWaitForResponseAsync(() => page.ClickAsync("button[type=submit]"), r => r.Url == _baseUrl + "/dashboard");

        Assert.Equal(403, response.Status);
        Assert.Contains("quality, researcher or admin role", await page.Locator("p.problem").TextContentAsync());
    }

    private async Task Screenshot(IPage page, string name)
    {
        var artifacts = Environment.GetEnvironmentVariable("OUTCOMES_TEST_ARTIFACTS") is { Length: > 0 } dir ? dir : Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(artifacts);
        var file = Path.Combine(artifacts, name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
        output.WriteLine($"screenshot: {file}");
    }
}
