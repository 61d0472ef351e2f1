using System.Net;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Outcomes.Contracts;
using Outcomes.Service.Tests.Fixtures;
using Roles = Outcomes.Contracts.AccessToken.Roles;

namespace Outcomes.Service.Tests.Security;

/// Who may call at all, and with which role: tokens as `outcomes token` issues them.
[Collection(IngestionCollection.Name)]
public sealed class AuthenticationTests(IngestionFixture fixture)
{
    private const string Rejections = "/api/v1/ingestion/rejections";
    private const string Patient = "/api/v1/patients/clinic-a/pk0000abcdx9";

    /// Every /api route the running service maps, with sample values for its parameters: a new endpoint
    /// is covered without editing this test.
    private IReadOnlyList<string> ApiRoutes() =>
        fixture.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => e.RoutePattern)
            .Where(p => p.RawText?.StartsWith("/api", StringComparison.Ordinal) == true)
            .Select(p => "/" + string.Join('/', p.PathSegments.Select(s => string.Concat(s.Parts.Select(part => part switch
            {
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
                _ => "clinic-a",
            })))))
            .ToList();

    [Fact]
    public async Task NoToken_EveryApiRoute_401WithBearerChallenge()
    {
        var anonymous = fixture.Host.CreateClient();
        var routes = ApiRoutes();
        Assert.Contains(Rejections, routes);
        Assert.Contains("/api/v1/patients/clinic-a/clinic-a", routes);

        foreach (var route in routes.Append("/api/v1/no-such-route"))
        {
            var response = await anonymous.GetAsync(route);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{route}: {response.StatusCode}");
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.First().Scheme);
        }
    }

    [Fact]
    public void EveryApiEndpoint_NamesARolePolicyAndNoneIsAnonymous()
    {
        var endpoints = fixture.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api", StringComparison.Ordinal) == true).ToList();

        Assert.NotEmpty(endpoints);
        foreach (var endpoint in endpoints)
        {
            Assert.Null(endpoint.Metadata.GetMetadata<IAllowAnonymous>());
            var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).ToList();
            Assert.True(policies.Any(p => p is not null && Service.Security.AccessPolicies.RolesOf.ContainsKey(p)),
                $"{endpoint.RoutePattern.RawText} names no role policy");
        }
    }

    public static TheoryData<string> RefusedTokens() => new()
    {
        "expired an hour ago", "not yet valid", "signed with another key", "another issuer", "another audience",
        "payload changed after signing", "unsigned (alg none)", "not a JWT",
    };

    [Theory]
    [MemberData(nameof(RefusedTokens))]
    public async Task InvalidToken_401(string kind)
    {
        string[] admin = [Roles.Admin];
        string[] all = [AccessToken.AllClinics];
        var now = DateTimeOffset.UtcNow;
        var valid = fixture.Host.Token([Roles.Integration], ["clinic-a"]);
        var token = kind switch
        {
            "expired an hour ago" => fixture.Host.Token(admin, all, issuedAt: now.AddHours(-2)),
            "not yet valid" => fixture.Host.Token(admin, all, issuedAt: now.AddHours(1)),
            "signed with another key" => fixture.Host.Token(admin, all, signingKey: "another-key-of-sufficient-length-0123456789"),
            "another issuer" => new Cli.Tokens.TokenRequest { Subject = "x", Roles = admin, Clinics = all, Issuer = "someone-else" }
                .Issue(fixture.Host.SigningKey, now),
            "another audience" => new Cli.Tokens.TokenRequest { Subject = "x", Roles = admin, Clinics = all, Audience = "another-api" }
                .Issue(fixture.Host.SigningKey, now),
            "payload changed after signing" => WithPayload(valid, p => p.Replace("\"integration\"", "\"admin\"").Replace("\"clinic-a\"", "\"*\"")),
            "unsigned (alg none)" => Base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + valid.Split('.')[1] + ".",
            "not a JWT" => "hello",
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        var response = await fixture.Host.ClientWith(token).GetAsync(Rejections);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        // The same token untouched, for contrast: the refusal is the token's fault, not the route's.
        Assert.Equal(HttpStatusCode.OK, (await fixture.Host.ClientWith(valid).GetAsync(Rejections)).StatusCode);
    }

    public static TheoryData<string, string, HttpStatusCode> RoleCases() => new()
    {
        { Roles.Quality, Rejections, HttpStatusCode.Forbidden },
        { Roles.Researcher, Rejections, HttpStatusCode.Forbidden },
        { "nurse", Rejections, HttpStatusCode.Forbidden },
        { Roles.Integration, Rejections, HttpStatusCode.OK },
        { Roles.Admin, Rejections, HttpStatusCode.OK },
        { Roles.Integration, Patient, HttpStatusCode.Forbidden },
        { "nurse", Patient, HttpStatusCode.Forbidden },
        { Roles.Quality, Patient, HttpStatusCode.NotFound },
        // A course shows full timestamps: not for researchers (issue 11), who read cohorts and exports.
        { Roles.Researcher, Patient, HttpStatusCode.Forbidden },
        { Roles.Admin, Patient, HttpStatusCode.NotFound },
    };

    [Theory]
    [MemberData(nameof(RoleCases))]
    public async Task RoleDecidesAccess_WrongRole403(string role, string route, HttpStatusCode expected)
    {
        var response = await fixture.ClientFor(role, "clinic-a").GetAsync(route);

        Assert.Equal(expected, response.StatusCode);
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/openapi/v1.json")]
    public async Task HealthAndOpenApi_AnswerWithoutToken(string route)
    {
        var response = await fixture.Host.CreateClient().GetAsync(route);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ReadinessAnswer_NamesChecksOnly()
    {
        var body = await fixture.Host.CreateClient().GetStringAsync("/health/ready");

        var checks = System.Text.Json.Nodes.JsonNode.Parse(body)!["checks"]!.AsObject();
        Assert.All(checks, c => Assert.Equal(["status", "Description"], c.Value!.AsObject().Select(p => p.Key)));
        Assert.DoesNotContain("clinic", body);
    }

    private static string WithPayload(string token, Func<string, string> change)
    {
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Convert.FromBase64String(Pad(parts[1].Replace('-', '+').Replace('_', '/'))));
        var changed = change(payload);
        Assert.NotEqual(payload, changed);
        return $"{parts[0]}.{Base64Url(changed)}.{parts[2]}";
    }

    private static string Pad(string base64) => base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');

    private static string Base64Url(string text) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
