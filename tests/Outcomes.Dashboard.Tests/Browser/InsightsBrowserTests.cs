using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Outcomes.Contracts;
using Outcomes.Service.Tests.Fixtures;
using Xunit.Abstractions;

namespace Outcomes.Dashboard.Tests.Browser;

/// Trends, a clinic beside the rest of the network, and downloads, in a real browser at 1280 px and 400 px.
public sealed class InsightsBrowserTests(ITestOutputHelper output) : BrowserHost(output)
{
    [Theory]
    [InlineData(1280)]
    [InlineData(400)]
    public async Task QualityLead_ReadsTrends_ComparesWithTheNetwork_AndDownloads(int width)
    {
        var clinic = "clinic-i" + Guid.NewGuid().ToString("N")[..6];
        var other = "clinic-j" + Guid.NewGuid().ToString("N")[..6];
        await using (var publisher = await AmqpPublisher.Connect(Services.RabbitMqUri, Names.Exchange))
        {
            await publisher.PublishAll(DemoClinic.Courses(clinic, 20));
            await publisher.PublishAll(DemoClinic.Courses(other, 25));
        }
        var store = Host.Services.GetRequiredService<IDocumentStore>();
        await Eventually.Until(async () => (await store.Advanced.FetchEventStoreStatistics()).EventCount,
            count => count >= 14L * 3 * 45, "every fact stored", TimeSpan.FromSeconds(120));
        var cut = await Host.ClientFor(AccessToken.Roles.Admin, AccessToken.AllClinics).PostAsync("/api/v1/releases", null);
        Assert.True(cut.IsSuccessStatusCode, await cut.Content.ReadAsStringAsync());

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Launch(playwright);
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = 900 }, AcceptDownloads = true });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{BaseUrl}/dashboard/trends?preset=all");
        await page.FillAsync("#token", Host.Token([AccessToken.Roles.Quality], [clinic]));
        await page.ClickAsync("form.sign-in button[type=submit]");
        await page.Locator("#trend-chart").WaitForAsync();
        Assert.Equal("2026-Q1", await page.Locator("table.trend tbody tr").First.GetAttributeAsync("data-quarter"));
        Assert.Equal("60", await page.Locator("table.trend tbody tr td").First.TextContentAsync());
        Assert.Equal(2, await page.Locator("#trend-chart circle.trend-point").CountAsync());
        Assert.Contains("at least 50 % below baseline", await page.Locator("section.plain-definitions").TextContentAsync());
        await Screenshot(page, $"insights-trends-{width}.png");

        await page.GotoAsync($"{BaseUrl}/dashboard/compare?clinicId={clinic}&report=overview");
        await page.Locator("table.compare").WaitForAsync();
        var courses = await page.Locator("table.compare tr[data-measure='Courses'] td").AllTextContentsAsync();
        Assert.Equal("60", courses[0].Trim());
        // The rest of the network (75 courses of the other clinic) is perturbed: within the stated bound of 2.
        Assert.InRange(int.Parse(courses[1].Trim(), System.Globalization.CultureInfo.InvariantCulture), 73, 77);
        Assert.True(await page.Locator("#compare-rates").IsVisibleAsync());
        Assert.Contains("protected", (await page.Locator("p.disclosure").GetAttributeAsync("data-tier"))!, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(ReportRenderingBrowserTests.ProtectedSentences, await page.Locator("ul.disclosure-parameters li").CountAsync());
        await Screenshot(page, $"insights-compare-{width}.png");

        await page.GotoAsync($"{BaseUrl}/dashboard/reports/overview");
        await page.Locator("p.downloads").WaitForAsync();
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("p.downloads a:text('CSV')"));
        var csvPath = Path.Combine(Path.GetTempPath(), $"overview-{Guid.NewGuid():N}.csv");
        await download.SaveAsAsync(csvPath);
        var lines = await File.ReadAllLinesAsync(csvPath);
        Assert.Equal("group,measure,estimate,lower,upper,events,n,tier,event_store_position,release_id,release_cut_at,perturbation", lines[0]);
        // The own clinics' tier: exact, so no release point and no perturbation parameters.
        Assert.Contains(lines, l => l.StartsWith("all courses,enrolled,60,", StringComparison.Ordinal) && l.Contains(",own-clinics,", StringComparison.Ordinal)
            && l.EndsWith(",,,", StringComparison.Ordinal));
        File.Delete(csvPath);
    }

}
