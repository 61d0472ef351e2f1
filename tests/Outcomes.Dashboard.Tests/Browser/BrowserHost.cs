using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Outcomes.Service.Tests.Fixtures;
using Xunit.Abstractions;

namespace Outcomes.Dashboard.Tests.Browser;

/// The real service on a free loopback port (a browser needs a real socket) over the real broker and database, and the
/// system Chromium to drive it: what every browser test of a workspace page starts from.
public abstract class BrowserHost(ITestOutputHelper output) : IAsyncLifetime
{
    /// The system browser (Debian's chromium package); OUTCOMES_CHROMIUM names another.
    protected static readonly string Chromium =
        Environment.GetEnvironmentVariable("OUTCOMES_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    protected ServicesFixture Services { get; } = new();
    protected IsolatedNames Names { get; } = IsolatedNames.New();
    protected OutcomesHost Host { get; private set; } = null!;
    protected string BaseUrl { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await Services.InitializeAsync();
        Host = new OutcomesHost(Services, Names);
        Host.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        Host.StartServer();
        BaseUrl = Host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Names.Delete(Services);
        await Services.DisposeAsync();
    }

    protected static async Task<IBrowser> Launch(IPlaywright playwright)
    {
        Assert.True(File.Exists(Chromium), $"The browser test needs Chromium at {Chromium}: run `apt-get install chromium` (Debian package).");
        return await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// A full-page screenshot left as an artifact (OUTCOMES_TEST_ARTIFACTS, or artifacts/ beside the tests).
    protected async Task Screenshot(IPage page, string name)
    {
        var artifacts = Environment.GetEnvironmentVariable("OUTCOMES_TEST_ARTIFACTS") is { Length: > 0 } dir ? dir : Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(artifacts);
        var path = Path.Combine(artifacts, name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        Assert.True(new FileInfo(path).Length > 5_000);
        output.WriteLine($"screenshot: {path}");
    }
}
