using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Outcomes.Service.Security;

namespace Outcomes.Service.Tests.Security;

public sealed class AuthOptionsTests
{
    private const string GoodKey = "a-real-secret-of-more-than-thirty-two-bytes";
    private const string DevelopmentKey = AuthOptions.DevelopmentKeyPrefix + "and-long-enough-to-be-used";

    private static IEnumerable<string> Failures(AuthOptions options, string environment = "Production") =>
        new AuthOptionsValidation(new HostingEnvironment { EnvironmentName = environment }).Validate(null, options).Failures ?? [];

    [Fact]
    public void RealKeyInProduction_ValidOnlyWhenExplicitlyAllowed()
    {
        var refused = Assert.Single(Failures(new AuthOptions { SigningKey = GoodKey }));
        Assert.Contains("Auth:SigningKey (a shared HS256 key) is refused outside the Development environment", refused);
        Assert.Contains("Auth:AllowSigningKeyOutsideDevelopment", refused);

        Assert.Empty(Failures(new AuthOptions { SigningKey = GoodKey, AllowSigningKeyOutsideDevelopment = true }));
    }

    [Fact]
    public void ProviderWithoutKeyInProduction_Valid() =>
        Assert.Empty(Failures(new AuthOptions { Provider = new ProviderOptions { Authority = "https://login.example.org/tenant/v2.0" } }));

    [Fact]
    public void DevelopmentKeyOutsideDevelopment_RefusedEvenWhenSharedKeysAreAllowed() =>
        Assert.Contains("the published development key",
            Assert.Single(Failures(new AuthOptions { SigningKey = DevelopmentKey, AllowSigningKeyOutsideDevelopment = true })));

    [Fact]
    public void BadProviderSettings_EachNamedWithItsRule()
    {
        var failures = Failures(new AuthOptions
        {
            Provider = new ProviderOptions
            {
                Authority = "http://idp.example.org",
                Audience = "",
                Algorithms = ["HS256"],
                RoleMap = new() { ["Outcomes-Nurses"] = "nurse" },
                ClinicMap = new() { ["3f2a"] = "Clinic A" },
            },
        }).ToList();

        Assert.Contains(failures, f => f.StartsWith("Auth:Provider:Authority must use https", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Auth:Provider:Audience must not be empty", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Auth:Provider:Algorithms must name asymmetric algorithms", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Auth:Provider:RoleMap:Outcomes-Nurses must be one of", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Auth:Provider:ClinicMap:3f2a must be a clinic id", StringComparison.Ordinal));
        Assert.Empty(Failures(new AuthOptions { Provider = new ProviderOptions { Authority = "http://127.0.0.1:5000", RequireHttpsMetadata = false } }));
    }

    [Theory]
    [InlineData("", "Auth:SigningKey is not configured")]
    [InlineData("   ", "Auth:SigningKey is not configured")]
    [InlineData("thirty-one-bytes-is-one-too-few", "at least 32 bytes (UTF-8), got 31")]
    [InlineData(DevelopmentKey, "the published development key")]
    public void BadKeyInProduction_FailsNamingTheRule(string key, string message)
    {
        var failure = Assert.Single(Failures(new AuthOptions { SigningKey = key }));

        Assert.Contains(message, failure);
        Assert.Contains("Auth", failure);
    }

    [Fact]
    public void DevelopmentKeyInDevelopment_Valid() =>
        Assert.Empty(Failures(new AuthOptions { SigningKey = DevelopmentKey }, Environments.Development));

    [Fact]
    public void EmptyIssuerAndAudience_BothNamed()
    {
        var failures = Failures(new AuthOptions { SigningKey = GoodKey, Issuer = "", Audience = " " }, Environments.Development).ToList();

        Assert.Equal(["Auth:Issuer must not be empty", "Auth:Audience must not be empty"], failures);
    }

    [Fact]
    public void ServiceSettings_NoKeyInAppSettingsJson_DevelopmentKeyMarkedAsSuch()
    {
        var settings = ServiceFile("appsettings.json");
        var development = System.Text.Json.Nodes.JsonNode.Parse(ServiceFile("appsettings.Development.json"))!;

        Assert.DoesNotContain("SigningKey", settings);
        Assert.StartsWith(AuthOptions.DevelopmentKeyPrefix, (string)development["Auth"]!["SigningKey"]!);
    }

    private static string ServiceFile(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, name));
}
