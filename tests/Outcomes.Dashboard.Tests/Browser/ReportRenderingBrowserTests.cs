using System.Net;
using System.Text;
using Marten;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Outcomes.Cli.Demo;
using Outcomes.Contracts;
using Outcomes.Service.Tests.Fixtures;
using Xunit.Abstractions;

namespace Outcomes.Dashboard.Tests.Browser;

/// Report pages as a person sees them, in a real browser over the demo feed (five modalities, late responders): at
/// 1280 px, at 400 px and printed on A4, every chart's text readable and inside its chart, no at-risk label running
/// into a number, no table pushing the page sideways. Screenshots are left as artifacts to be looked at.
public sealed class ReportRenderingBrowserTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// The sentences a protected report's parameters read as (one per rule), as the domain states them.
    internal static readonly int ProtectedSentences =
        Outcomes.Domain.Disclosure.StatedParameters.Plain(Outcomes.Domain.Disclosure.DisclosureStatement.Protected(new(), null)).Count;

    private static readonly string Chromium = Environment.GetEnvironmentVariable("OUTCOMES_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    private static readonly string[] Reports = ["outcomes-by-modality", "durability-by-baseline-severity"];

    private readonly ServicesFixture _services = new();
    private readonly IsolatedNames _names = IsolatedNames.New();
    private OutcomesHost _host = null!;
    private string _baseUrl = "";

    public async Task InitializeAsync()
    {
        await _services.InitializeAsync();
        _host = new OutcomesHost(_services, _names);
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
    public async Task ReportPages_ReadableAt1280And400AndOnA4()
    {
        Assert.True(File.Exists(Chromium), $"The browser test needs Chromium at {Chromium}: run `apt-get install chromium`, or set OUTCOMES_CHROMIUM.");
        // This host's schema is its own, so the demo's clinic-a holds only these courses.
        await PublishDemo(new DemoSettings { Patients = 700, Seed = 42, Clinics = 2 });
        var token = _host.Token([AccessToken.Roles.Quality], ["clinic-a"]);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        // The machine runs several builds at once: a page may take longer than Playwright's default 30 s.
        context.SetDefaultTimeout(120_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{_baseUrl}/dashboard/sign-in");
        await page.FillAsync("#token", token);
        await page.ClickAsync("form.sign-in button[type=submit]");
        await page.WaitForURLAsync($"{_baseUrl}/dashboard", new PageWaitForURLOptions { WaitUntil = WaitUntilState.Commit });

        foreach (var width in new[] { 1280, 400 })
        {
            await page.SetViewportSizeAsync(width, 900);
            foreach (var report in Reports)
            {
                await page.GotoAsync($"{_baseUrl}/dashboard/reports/{report}");
                await page.Locator("footer.provenance").WaitForAsync();
                // Folded tables open, as a reader on a phone opens them: they must read at this width too.
                await page.EvaluateAsync("() => document.querySelectorAll('details.rates-table').forEach(d => d.open = true)");
                await Screenshot(page, $"report-{report}-{width}.png");
                // Each section on its own too: a whole long page shrinks past reading when it is viewed.
                foreach (var id in await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('article.report > section[id]')].map(s => s.id)"))
                    await page.Locator($"section#{id}").ScreenshotAsync(new LocatorScreenshotOptions { Path = Path.Combine(Artifacts, "sections", $"{report}-{width}-{id}.png") });
                await Readable(page, $"{report} at {width} px", width);
            }
        }

        // Printed on A4 (180 mm between the margins, about 680 CSS px): nothing scrolls on paper, so every table must fit.
        await page.SetViewportSizeAsync(680, 900);
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { Media = Media.Print });
        foreach (var report in Reports)
        {
            await page.GotoAsync($"{_baseUrl}/dashboard/reports/{report}");
            await page.Locator("footer.provenance").WaitForAsync();
            await Screenshot(page, $"report-{report}-print.png");
            var wide = await page.EvaluateAsync<string[]>(
                "() => [...document.querySelectorAll('main table')].filter(t => t.getBoundingClientRect().right > document.documentElement.clientWidth + 1).map(t => t.className || t.closest('section')?.id || 'table')");
            Assert.True(wide.Length == 0, $"{report} printed: tables wider than the page: {string.Join(", ", wide)}");
            await page.PdfAsync(new PagePdfOptions { Path = Path.Combine(Artifacts, $"report-{report}.pdf"), Format = "A4" });
        }

        // A researcher sees the protected tier at a release: the footer states the noise, the grids and the model floor
        // in words beside the rule and the release, and still reads at both widths.
        var cut = await _host.ClientFor(AccessToken.Roles.Admin, AccessToken.AllClinics).PostAsync("/api/v1/releases", null);
        Assert.True(cut.IsSuccessStatusCode, await cut.Content.ReadAsStringAsync());
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { Media = Media.Screen });
        await page.GotoAsync($"{_baseUrl}/dashboard/sign-in");
        await page.FillAsync("#token", _host.Token([AccessToken.Roles.Researcher], ["clinic-a"]));
        await page.ClickAsync("form.sign-in button[type=submit]");
        await page.WaitForURLAsync($"{_baseUrl}/dashboard", new PageWaitForURLOptions { WaitUntil = WaitUntilState.Commit });
        foreach (var width in new[] { 1280, 400 })
        {
            await page.SetViewportSizeAsync(width, 900);
            await page.GotoAsync($"{_baseUrl}/dashboard/reports/outcomes-by-modality");
            var footer = page.Locator("footer.provenance");
            await footer.WaitForAsync();
            Assert.Contains("protected", await footer.Locator("dd[data-tier]").GetAttributeAsync("data-tier") ?? "", StringComparison.Ordinal);
            var parameters = await footer.Locator("dd.disclosure-parameters li").AllInnerTextsAsync();
            Assert.Equal(ProtectedSentences, parameters.Count);
            Assert.Contains(parameters, p => p.Contains("fewer than 5 courses is not shown", StringComparison.Ordinal));
            Assert.Contains(parameters, p => p.Contains("every 7 days up to day 182", StringComparison.Ordinal));
            Assert.Equal(1, await footer.Locator("dd[data-release]").CountAsync());
            await footer.ScreenshotAsync(new LocatorScreenshotOptions { Path = Path.Combine(Artifacts, $"report-outcomes-by-modality-protected-footer-{width}.png") });
            await Screenshot(page, $"report-outcomes-by-modality-protected-{width}.png");
            await Readable(page, $"outcomes-by-modality (protected) at {width} px", width);
        }
    }

    /// What a reader needs at this width: the page never scrolls sideways (wide tables and charts scroll in their own
    /// boxes), chart text is 8 px or more on screen and inside its chart, and the at-risk rows' names and numbers are apart.
    private static async Task Readable(IPage page, string where, int width)
    {
        var pageWidth = await page.EvaluateAsync<double>("() => document.documentElement.scrollWidth");
        Assert.True(pageWidth <= width, $"{where}: the page is {pageWidth} px wide and scrolls sideways");

        var charts = await page.EvaluateAsync<ChartCheck[]>("""
            () => [...document.querySelectorAll('svg.chart')].map(svg => {
              const box = svg.viewBox.baseVal;
              const scale = svg.getBoundingClientRect().width / box.width;
              const texts = [...svg.querySelectorAll('text')].filter(t => t.getBBox().width > 0);
              const smallest = Math.min(...texts.map(t => parseFloat(getComputedStyle(t).fontSize))) * scale;
              const outside = texts.filter(t => { const b = t.getBBox(); return b.x < -1 || b.x + b.width > box.width + 1; })
                .map(t => t.textContent.slice(0, 40));
              const overlaps = [...svg.querySelectorAll('.at-risk-row, .week-row')].flatMap(row => {
                const label = row.querySelector('text.group'); const first = row.querySelector('text.at-risk-count, text.week-count');
                if (!label || !first) return [];
                const a = label.getBBox(), b = first.getBBox();
                return a.x + a.width > b.x - 2 ? [label.textContent + '|' + first.textContent] : [];
              });
              return { id: svg.id, smallestPx: smallest, outside, overlaps };
            })
            """);
        Assert.NotEmpty(charts);
        foreach (var chart in charts)
        {
            Assert.True(chart.SmallestPx >= 8, $"{where}: the smallest text of #{chart.Id} is {chart.SmallestPx:0.0} px on screen");
            Assert.True(chart.Outside.Length == 0, $"{where}: text outside #{chart.Id}: {string.Join(" / ", chart.Outside)}");
            Assert.True(chart.Overlaps.Length == 0, $"{where}: a name runs into its first number in #{chart.Id}: {string.Join(" / ", chart.Overlaps)}");
        }
    }

    // Filled in by Playwright's deserialiser, which needs settable properties.
    public sealed class ChartCheck
    {
        public string Id { get; set; } = "";
        public double SmallestPx { get; set; }
        public string[] Outside { get; set; } = [];
        public string[] Overlaps { get; set; } = [];
    }

    private static string Artifacts
    {
        get
        {
            var dir = Environment.GetEnvironmentVariable("OUTCOMES_TEST_ARTIFACTS") is { Length: > 0 } d ? d : Path.Combine(AppContext.BaseDirectory, "artifacts");
            Directory.CreateDirectory(Path.Combine(dir, "sections"));
            return dir;
        }
    }

    private async Task Screenshot(IPage page, string name)
    {
        var path = Path.Combine(Artifacts, name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        Assert.True(new FileInfo(path).Length > 10_000);
        output.WriteLine($"screenshot: {path}");
    }

    /// The demo feed's valid facts over the broker, waiting until the store holds every one of them.
    private async Task PublishDemo(DemoSettings settings)
    {
        var messages = DemoFeed.Messages(settings)
            .Select(m => new WireMessage(m.RoutingKey, Encoding.UTF8.GetString(m.Body), m.CorrelationId)).ToList();
        await using (var publisher = await AmqpPublisher.Connect(_services.RabbitMqUri, _names.Exchange))
            await publisher.PublishAll(messages);
        var store = _host.Services.GetRequiredService<IDocumentStore>();
        await Eventually.Until(async () => (await store.Advanced.FetchEventStoreStatistics()).EventCount,
            count => count >= messages.Count, $"{messages.Count} facts stored", TimeSpan.FromSeconds(300));
    }
}
