using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Outcomes.Contracts;
using Outcomes.Service.Tests.Fixtures;
using Xunit.Abstractions;

namespace Outcomes.Dashboard.Tests.Browser;

/// A quality lead's day in a real browser: the safety worklist, acknowledging a signal, the patient timeline it links
/// to, at a desktop width and at 400 px; screenshots are left as artifacts.
public sealed class WorkspaceBrowserTests(ITestOutputHelper output) : BrowserHost(output)
{
    [Theory]
    [InlineData(1280)]
    [InlineData(400)]
    public async Task QualityLead_AcknowledgesASignal_AndReadsTheCourseItCameFrom(int width)
    {
        var clinic = "clinic-w" + Guid.NewGuid().ToString("N")[..6];
        var target = CourseFeed.ForNewPatient(clinic);
        await Publish(clinic, target);
        var token = Host.Token([AccessToken.Roles.Quality], [clinic]);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Launch(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = 900 } });
        await page.GotoAsync($"{BaseUrl}/dashboard/safety");
        await page.FillAsync("#token", token);
        await page.ClickAsync("form.sign-in button[type=submit]");
        await page.WaitForURLAsync($"{BaseUrl}/dashboard/safety", new PageWaitForURLOptions { WaitUntil = WaitUntilState.Commit });
        await page.Locator("table.worklist").WaitForAsync();

        var rows = page.Locator($"table.worklist tr[data-status=open]");
        Assert.Equal(4, await rows.CountAsync());   // the target's three, and the quiet course's item 9 of 1 at baseline
        Assert.Contains("do not replace the point-of-care", await page.Locator("p.notice").TextContentAsync());
        await Screenshot(page, $"workspace-worklist-{width}.png");

        var newPositive = page.Locator("table.worklist tr", new PageLocatorOptions { Has = page.Locator("td.signal", new PageLocatorOptions { HasTextString = "item9-new-positive" }) });
        await newPositive.Locator("form.acknowledge select").SelectOptionAsync("clinician-notified");
        await newPositive.Locator("form.acknowledge button").ClickAsync();
        await page.WaitForURLAsync($"{BaseUrl}/dashboard/safety", new PageWaitForURLOptions { WaitUntil = WaitUntilState.Commit });
        await page.Locator("table.worklist tr[data-status=acknowledged]").WaitForAsync();
        Assert.Contains("clinician-notified", await page.Locator("table.worklist tr[data-status=acknowledged]").TextContentAsync());

        await page.Locator($"table.worklist a:text('{target.PatientKey}')").First.ClickAsync();
        await page.Locator("#timeline-chart").WaitForAsync();
        Assert.Equal(4, await page.Locator("#timeline-chart circle.assessment").CountAsync());
        Assert.Equal(1, await page.Locator("#timeline-chart circle.item9-positive").CountAsync());
        Assert.Equal(4, await page.Locator("#timeline-chart path.session").CountAsync());
        Assert.Equal(5, await page.Locator("#timeline-chart rect.severity-band").CountAsync());
        Assert.Equal(3, await page.Locator("#timeline-chart path.threshold").CountAsync());
        Assert.Contains("acknowledged", await page.Locator("section.signals").TextContentAsync());
        // Readable at 400 px: the chart scales with the page down to a minimum width, then scrolls; its 11-unit tick text
        // must stay at 8 px or more on screen (it was ~5 px before the minimum).
        var chartWidth = await page.Locator("#timeline-chart").EvaluateAsync<double>("e => e.getBoundingClientRect().width");
        Assert.True(chartWidth * 11 / 760 >= 8, $"chart text is {chartWidth * 11 / 760:0.0} px");
        await Screenshot(page, $"workspace-timeline-{width}.png");
    }


    /// A course whose item 9 turns positive (three signals) and a typical one (item 9 at 1 at baseline: one signal), and
    /// waits until both are stored.
    private async Task Publish(string clinic, CourseFeed target)
    {
        var quiet = CourseFeed.ForNewPatient(clinic);
        var start = CourseFeed.Start;
        List<WireMessage> messages =
        [
            CourseFeed.Message("patient-enrolled", target.Enrolment(start.AddDays(-3))),
            CourseFeed.Message("phq9-completed", target.Phq9(start.AddDays(-1), 2, 2, 2, 2, 2, 2, 2, 1, 0)),
            CourseFeed.Message("treatment-session-given", target.Session(start)),
            CourseFeed.Message("treatment-session-given", target.Session(start.AddDays(3))),
            CourseFeed.Message("phq9-completed", target.Phq9(start.AddDays(3).AddHours(2), 2, 2, 2, 1, 1, 1, 1, 1, 0)),
            CourseFeed.Message("treatment-session-given", target.Session(start.AddDays(7))),
            CourseFeed.Message("phq9-completed", target.Phq9(start.AddDays(7).AddHours(2), 3, 3, 3, 2, 2, 2, 2, 2, 2)),
            CourseFeed.Message("treatment-session-given", target.Session(start.AddDays(10))),
            CourseFeed.Message("phq9-completed", target.Phq9(start.AddDays(10).AddHours(2), 2, 2, 2, 2, 1, 1, 1, 1, 0)),
        ];
        messages.AddRange(quiet.Induction());
        await using (var publisher = await AmqpPublisher.Connect(Services.RabbitMqUri, Names.Exchange))
            await publisher.PublishAll(messages);
        var store = Host.Services.GetRequiredService<IDocumentStore>();
        await Eventually.Until(async () => (await store.Advanced.FetchEventStoreStatistics()).EventCount,
            count => count >= messages.Count, $"{messages.Count} facts stored", TimeSpan.FromSeconds(60));
    }
}
