using System.Net;
using Marten;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Outcomes.Contracts;
using Outcomes.Service.Tests.Fixtures;
using Xunit.Abstractions;

namespace Outcomes.Dashboard.Tests.Browser;

/// A person's path through the dashboard in a real browser: the service on a real port over the real broker and
/// database, demo-like courses of two clinics, a quality lead of one of them signing in and reading a named report.
public sealed class DashboardBrowserTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// The system browser (Debian's chromium package); OUTCOMES_CHROMIUM names another.
    private static readonly string Chromium = Environment.GetEnvironmentVariable("OUTCOMES_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    private readonly ServicesFixture _services = new();
    private readonly IsolatedNames _names = IsolatedNames.New();
    private OutcomesHost _host = null!;
    private string _baseUrl = "";

    public async Task InitializeAsync()
    {
        await _services.InitializeAsync();
        _host = new OutcomesHost(_services, _names);
        // A browser needs a real socket: Kestrel on a free loopback port instead of the in-memory test server.
        _host.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        _host.StartServer();
        _baseUrl = _host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _names.Delete(_services);
        await _services.DisposeAsync();
    }

    [Fact]
    public async Task QualityLeadOfOneClinic_SignsInAndReadsOnsetByModality()
    {
        Assert.True(File.Exists(Chromium),
            $"The browser test needs Chromium at {Chromium}: run `apt-get install chromium` (Debian package), or set OUTCOMES_CHROMIUM.");
        var clinic = "clinic-d" + Guid.NewGuid().ToString("N")[..6];
        var other = "clinic-e" + Guid.NewGuid().ToString("N")[..6];
        await Publish(clinic, perModality: 33, other, otherPerModality: 12);
        var token = _host.Token([AccessToken.Roles.Quality], [clinic]);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 900 } });

        var response = await page.GotoAsync($"{_baseUrl}/dashboard/reports/onset-by-modality");
        Assert.Equal(200, response!.Status);
        Assert.StartsWith($"{_baseUrl}/dashboard/sign-in", page.Url);
        await page.FillAsync("#token", token);
        await page.ClickAsync("form.sign-in button[type=submit]");
        await page.WaitForURLAsync($"{_baseUrl}/dashboard/reports/onset-by-modality", new PageWaitForURLOptions { WaitUntil = WaitUntilState.Commit });
        await page.Locator("footer.provenance").WaitForAsync();

        var curves = await page.Locator("#km-onset-days path.km-curve").EvaluateAllAsync<string[]>("els => els.map(e => e.getAttribute('data-group'))");
        Assert.Equal(DemoClinic.Modalities.Order(StringComparer.Ordinal), curves.Order(StringComparer.Ordinal));
        Assert.Equal(3, await page.Locator("#km-onset-sessions path.km-curve").CountAsync());

        var atRisk = await page.Locator("#km-onset-days .at-risk-row .count").AllTextContentsAsync();
        Assert.NotEmpty(atRisk);
        Assert.All(atRisk.Select(int.Parse), n => Assert.False(n is >= 1 and <= 10, $"a number at risk of {n} is shown"));
        Assert.Contains(33, atRisk.Select(int.Parse));

        // Only the signed-in clinic's courses: 3 x 33, none of the other clinic's 36.
        Assert.Equal("99", await page.Locator("tr[data-group='All courses'] td.enrolled").TextContentAsync());
        var position = await page.Locator("footer.provenance [data-position]").GetAttributeAsync("data-position");
        Assert.True(long.Parse(position!) > 0);
        Assert.Contains("Event-store position", await page.Locator("footer.provenance").TextContentAsync());

        var artifacts = Environment.GetEnvironmentVariable("OUTCOMES_TEST_ARTIFACTS") is { Length: > 0 } dir ? dir : Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(artifacts);
        var screenshot = Path.Combine(artifacts, "dashboard-onset-by-modality.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        Assert.True(new FileInfo(screenshot).Length > 10_000);
        output.WriteLine($"screenshot: {screenshot}");
        Console.WriteLine($"dashboard screenshot: {screenshot}");

        // Printed: no navigation, and an A4 PDF beside the screenshot.
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { Media = Media.Print });
        Assert.False(await page.Locator("header.site").IsVisibleAsync());
        var pdf = Path.Combine(artifacts, "dashboard-onset-by-modality.pdf");
        await page.PdfAsync(new PagePdfOptions { Path = pdf, Format = "A4" });
        output.WriteLine($"print: {pdf}");
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { Media = Media.Screen });

        // Building a cohort through the form: grouped by modality, iv and im only.
        await page.GotoAsync($"{_baseUrl}/dashboard");
        await page.CheckAsync("input[name=modality][value=iv-ketamine]");
        await page.CheckAsync("input[name=modality][value=im-ketamine]");
        await page.SelectOptionAsync("select[name=groupBy]", "modality");
        await page.ClickAsync("form.cohort-form button[type=submit]");
        // Waiting for the URL to commit, then for the chart, rather than for the load event: a page that loads
        // before the wait begins left the load-event wait hanging once in CI.
        await page.WaitForURLAsync("**/dashboard/cohort?**", new PageWaitForURLOptions { WaitUntil = WaitUntilState.Commit });
        await page.Locator("#km-onset-days path.km-curve").First.WaitForAsync();
        var cohortCurves = await page.Locator("#km-onset-days path.km-curve").EvaluateAllAsync<string[]>("els => els.map(e => e.getAttribute('data-group'))");
        Assert.Equal(["im-ketamine", "iv-ketamine"], cohortCurves.Order(StringComparer.Ordinal));
        Assert.Equal("66", await page.Locator("tr[data-group='All courses'] td.enrolled").TextContentAsync());

        // The same report as the JSON API gives this caller.
        var api = _host.ClientFor(AccessToken.Roles.Quality, clinic);
        var json = JsonNode.Parse(await api.GetStringAsync("/api/v1/reports/onset-by-modality"))!;
        Assert.Equal(99, (int)json["overall"]!["counts"]!["enrolled"]!["value"]!);
        Assert.Equal(long.Parse(position!), (long)json["provenance"]!["eventStorePosition"]!);
    }

    /// Sends both clinics' courses over the broker and waits until the event store holds all of them.
    private async Task Publish(string clinic, int perModality, string other, int otherPerModality)
    {
        await using (var publisher = await AmqpPublisher.Connect(_services.RabbitMqUri, _names.Exchange))
        {
            await publisher.PublishAll(DemoClinic.Courses(clinic, perModality));
            await publisher.PublishAll(DemoClinic.Courses(other, otherPerModality));
        }
        // Each course is 14 facts; the schema is this host's alone, so the store's count says when all are in.
        var expected = 14L * 3 * (perModality + otherPerModality);
        var store = _host.Services.GetRequiredService<IDocumentStore>();
        await Eventually.Until(async () => (await store.Advanced.FetchEventStoreStatistics()).EventCount,
            count => count >= expected, $"{expected} facts stored", TimeSpan.FromSeconds(180));
    }
}
