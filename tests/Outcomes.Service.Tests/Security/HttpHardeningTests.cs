using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Outcomes.Contracts;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.Security;

/// Issue 12 point 9: what the answers tell caches and browsers, and the cookie behind a TLS-terminating proxy.
[Collection(IngestionCollection.Name)]
public sealed partial class HttpHardeningTests(IngestionFixture fixture)
{
    [Fact]
    public async Task ApiAnswers_NoStoreAndNosniff()
    {
        var response = await fixture.ClientFor(AccessToken.Roles.Quality, "clinic-h").GetAsync("/api/v1/patients/clinic-h/pk7a3b9c2d1e");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Equal(["nosniff"], response.Headers.GetValues("X-Content-Type-Options"));
    }

    [Theory]
    [InlineData("https", true)]
    [InlineData(null, false)]
    public async Task SignInBehindTlsProxy_CookieSecureAsTheProxySays(string? forwardedProto, bool secure)
    {
        // The test server's connection has no address, which the forwarded-headers middleware treats as a known proxy.
        var browser = fixture.Host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        if (forwardedProto is not null)
            browser.DefaultRequestHeaders.Add("X-Forwarded-Proto", forwardedProto);
        var form = await browser.GetAsync("/dashboard/sign-in");
        var field = AntiforgeryField().Match(await form.Content.ReadAsStringAsync());
        var antiforgeryCookie = form.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).First();
        var post = new HttpRequestMessage(HttpMethod.Post, "/dashboard/sign-in")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                [field.Groups[1].Value] = WebUtility.HtmlDecode(field.Groups[2].Value),
                ["token"] = fixture.Host.Token([AccessToken.Roles.Quality], ["clinic-h"]),
            }),
        };
        post.Headers.Add("Cookie", antiforgeryCookie);

        var response = await browser.SendAsync(post);

        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("outcomes-dashboard-token=", StringComparison.Ordinal));
        Assert.Equal(secure, cookie.Contains("; secure", StringComparison.OrdinalIgnoreCase));
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]+)\">")]
    private static partial Regex AntiforgeryField();
}
