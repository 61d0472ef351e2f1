using System.Net;
using Microsoft.Extensions.Options;
using Outcomes.Service.Security;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.Security;

/// Outside Development the service starts only with an identity provider, or a shared key of its own that an operator
/// explicitly allowed; its OpenAPI document is still served.
[Collection(IngestionCollection.Name)]
public sealed class StartupTests(IngestionFixture fixture)
{
    private const string Production = "Production";

    [Theory]
    [InlineData("", "Auth:SigningKey is not configured")]
    [InlineData("short-key", "Auth:SigningKey must be at least 32 bytes")]
    [InlineData("a-secret-of-the-deployments-own-but-shared-by-everyone-who-holds-it", "refused outside the Development environment")]
    [InlineData(AuthOptions.DevelopmentKeyPrefix + "outcomes-signing-key-published-in-the-repository", "published development key")]
    public async Task ProductionWithoutAKeyOfItsOwn_RefusesToStart(string key, string message)
    {
        var names = IsolatedNames.New();
        await using var host = new OutcomesHost(fixture.Services, names,
            new Dictionary<string, string> { ["environment"] = Production, ["Auth:SigningKey"] = key });

        var failure = Assert.ThrowsAny<OptionsValidationException>(() => host.Start());

        Assert.Contains(message, failure.Message);
        await names.Delete(fixture.Services);
    }

    [Fact]
    public async Task ProductionWithAllowedKey_ServesOpenApiAnonymously_ApiNeedsToken()
    {
        var names = IsolatedNames.New();
        try
        {
            await using var host = new OutcomesHost(fixture.Services, names,
                new Dictionary<string, string> { ["environment"] = Production, ["Auth:AllowSigningKeyOutsideDevelopment"] = "true" });
            var admin = host.Start();
            var anonymous = host.CreateClient();

            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/openapi/v1.json")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/ingestion/rejections")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/ingestion/rejections")).StatusCode);
        }
        finally
        {
            await names.Delete(fixture.Services);
        }
    }
}
