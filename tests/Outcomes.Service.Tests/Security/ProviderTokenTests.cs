using System.Net;
using Outcomes.Contracts;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.Security;

/// The service beside a real OpenID provider: its own provider process and host, so rotating keys here moves nobody else's.
public sealed class ProviderFixture : IAsyncLifetime
{
    public const string Clinic = "clinic-p1";
    public const string OtherClinic = "clinic-p2";

    public ServicesFixture Services { get; } = new();
    public IsolatedNames Names { get; } = IsolatedNames.New();
    public IdentityProvider Provider { get; private set; } = null!;
    public IdentityProvider Stranger { get; private set; } = null!;
    public OutcomesHost Host { get; private set; } = null!;

    /// Machine clients as a clinic would register them, one per kind of caller, named by what their groups make them.
    public static readonly IdentityProvider.Engine[] Engines =
    [
        new("engine", ["outcomes-integration"], [Clinic]),
        new("engine-es256", ["outcomes-integration"], [Clinic], "ES256"),
        new("quality", ["outcomes-quality", IdentityProvider.ClinicGroupPrefix + Clinic], []),
        new("researcher", ["outcomes-researchers"], [Clinic]),
        new("admin", ["outcomes-admins"], ["*"]),
        new("nurse", ["nurses"], [Clinic]),
    ];

    public async Task InitializeAsync()
    {
        await Services.InitializeAsync();
        Provider = await IdentityProvider.StartAsync(Engines);
        // Another provider with the very same clients: its tokens look alike but come from an issuer the service does not trust.
        Stranger = await IdentityProvider.StartAsync(Engines);
        Host = new OutcomesHost(Services, Names, Provider.ServiceSettings());
        Host.Start();
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Provider.DisposeAsync();
        await Stranger.DisposeAsync();
        await Names.Delete(Services);
        await Services.DisposeAsync();
    }
}

public sealed class ProviderTokenTests(ProviderFixture fixture) : IClassFixture<ProviderFixture>
{
    private const string Rejections = "/api/v1/ingestion/rejections";
    private const string Patient = "/api/v1/patients/" + ProviderFixture.Clinic + "/pk0000abcdx9";

    private async Task<HttpClient> Engine(string clientId) => fixture.Host.ClientWith(await fixture.Provider.ClientCredentialsToken(clientId));

    [Theory]
    [InlineData("engine")]
    [InlineData("engine-es256")]
    public async Task ClientCredentialsToken_RS256OrES256_AcceptedForItsClinicsOnly(string clientId)
    {
        var token = await fixture.Provider.ClientCredentialsToken(clientId);
        var client = fixture.Host.ClientWith(token);

        Assert.StartsWith(clientId == "engine" ? "rsa-" : "ec-", IdentityProvider.KeyIdOf(token));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Rejections)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"{Rejections}?clinicId={ProviderFixture.Clinic}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync($"{Rejections}?clinicId={ProviderFixture.OtherClinic}")).StatusCode);
    }

    public static TheoryData<string, string, HttpStatusCode> RoleCases() => new()
    {
        { "quality", Rejections, HttpStatusCode.Forbidden },
        { "researcher", Rejections, HttpStatusCode.Forbidden },
        { "nurse", Rejections, HttpStatusCode.Forbidden },
        { "engine", Rejections, HttpStatusCode.OK },
        { "admin", Rejections, HttpStatusCode.OK },
        { "engine", Patient, HttpStatusCode.Forbidden },
        { "nurse", Patient, HttpStatusCode.Forbidden },
        { "quality", Patient, HttpStatusCode.NotFound },
        { "researcher", Patient, HttpStatusCode.NotFound },
        { "admin", Patient, HttpStatusCode.NotFound },
    };

    /// The same matrix as AuthenticationTests holds for the shared key, with the provider's tokens and group mappings.
    [Theory]
    [MemberData(nameof(RoleCases))]
    public async Task ProviderToken_RoleFromGroupsDecidesAccess(string clientId, string route, HttpStatusCode expected)
    {
        var response = await (await Engine(clientId)).GetAsync(route);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task QualityByClinicGroup_OtherClinic403()
    {
        var quality = await Engine("quality");

        Assert.Equal(HttpStatusCode.Forbidden, (await quality.GetAsync($"/api/v1/patients/{ProviderFixture.OtherClinic}/pk0000abcdx9")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await quality.GetAsync(Patient)).StatusCode);
    }

    [Fact]
    public async Task TokenFromAnotherIssuer_401()
    {
        var stranger = await fixture.Stranger.ClientCredentialsToken("admin");

        var response = await fixture.Host.ClientWith(stranger).GetAsync(Rejections);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.First().Scheme);
        // The same client at the trusted provider, for contrast.
        Assert.Equal(HttpStatusCode.OK, (await (await Engine("admin")).GetAsync(Rejections)).StatusCode);
    }

    [Fact]
    public async Task TokenForAnotherApiOfTheSameProvider_401()
    {
        var elsewhere = await fixture.Provider.ClientCredentialsToken("admin", IdentityProvider.OtherResource);

        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Host.ClientWith(elsewhere).GetAsync(Rejections)).StatusCode);
    }

    [Fact]
    public async Task TamperedProviderToken_401()
    {
        var token = await fixture.Provider.ClientCredentialsToken("nurse");
        var parts = token.Split('.');
        var payload = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(parts[1].Replace('-', '+').Replace('_', '/')
            .PadRight(parts[1].Length + (4 - parts[1].Length % 4) % 4, '=')));
        var forged = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(payload.Replace("\"nurses\"", "\"outcomes-admins\"")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Host.ClientWith($"{parts[0]}.{forged}.{parts[2]}").GetAsync(Rejections)).StatusCode);
    }

    [Fact]
    public async Task SharedKeyTokens_StillAcceptedBesideTheProvider()
    {
        var response = await fixture.Host.ClientFor(AccessToken.Roles.Integration, ProviderFixture.Clinic).GetAsync(Rejections);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task RotatedSigningKey_NewTokensAccepted_OldOnesUntilTheyExpire()
    {
        var before = await fixture.Provider.ClientCredentialsToken("engine");
        Assert.Equal(HttpStatusCode.OK, (await fixture.Host.ClientWith(before).GetAsync(Rejections)).StatusCode);

        await fixture.Provider.RotateKeys();
        var after = await fixture.Provider.ClientCredentialsToken("engine");

        Assert.NotEqual(IdentityProvider.KeyIdOf(before), IdentityProvider.KeyIdOf(after));
        // An unknown key id makes the service read the provider's keys again, and the request waits for them: the very
        // first request with the new key is accepted.
        Assert.Equal(HttpStatusCode.OK, (await fixture.Host.ClientWith(after).GetAsync(Rejections)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Host.ClientWith(before).GetAsync(Rejections)).StatusCode);
    }
}
