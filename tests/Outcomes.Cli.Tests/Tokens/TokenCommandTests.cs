using System.CommandLine;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Outcomes.Cli.Tokens;
using Outcomes.Contracts;

namespace Outcomes.Cli.Tests.Tokens;

public sealed class TokenCommandTests
{
    private const string Key = "a-signing-key-for-the-token-command-tests";

    private readonly StringWriter _output = new();
    private readonly StringWriter _error = new();

    private int Run(Dictionary<string, string>? environment, params string[] args) =>
        new RootCommand { TokenCommand.Create(name => environment?.GetValueOrDefault(name)) }.Parse(["token", .. args])
            .Invoke(new InvocationConfiguration { Output = _output, Error = _error });

    private static Task<TokenValidationResult> Validate(string token, string key = Key, string issuer = AccessToken.DefaultIssuer,
        string audience = AccessToken.DefaultAudience) =>
        new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudience = audience,
            IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)),
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        });

    [Fact]
    public async Task ValidOptions_PrintOnlyATokenThatValidatesWithTheKeyAndCarriesTheClaims()
    {
        var exit = Run(null, "--sub", "ann", "--role", "quality", "--role", "researcher", "--clinics", "clinic-a, clinic-b",
            "--minutes", "90", "--key", Key);

        Assert.Equal(0, exit);
        Assert.Equal("", _error.ToString());
        var token = _output.ToString().TrimEnd('\n');
        Assert.DoesNotContain('\n', token);
        var result = await Validate(token);
        Assert.True(result.IsValid, result.Exception?.Message);
        var jwt = (JsonWebToken)result.SecurityToken;
        Assert.Equal("HS256", jwt.Alg);
        Assert.Equal("ann", jwt.Subject);
        Assert.Equal(["quality", "researcher"], jwt.Claims.Where(c => c.Type == AccessToken.RoleClaim).Select(c => c.Value));
        Assert.Equal(["clinic-a", "clinic-b"], jwt.Claims.Where(c => c.Type == AccessToken.ClinicsClaim).Select(c => c.Value));
        Assert.Equal(TimeSpan.FromMinutes(90), jwt.ValidTo - jwt.ValidFrom);
        Assert.InRange(jwt.ValidFrom, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddSeconds(1));
    }

    [Fact]
    public async Task AnotherKey_DoesNotValidate()
    {
        Assert.Equal(0, Run(null, "--sub", "ann", "--role", "admin", "--clinics", "*", "--key", Key));

        var result = await Validate(_output.ToString().Trim(), key: Key + "-but-another");

        Assert.False(result.IsValid);
    }

    [Fact]
    public async Task KeyFromEnvironment_IssuerAndAudienceFromOptions()
    {
        var exit = Run(new Dictionary<string, string> { [TokenCommand.SigningKeyVariable] = Key },
            "--sub", "feed-engine", "--role", "integration,admin", "--clinics", "*", "--issuer", "ours", "--audience", "our-api");

        Assert.Equal(0, exit);
        var result = await Validate(_output.ToString().Trim(), issuer: "ours", audience: "our-api");
        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal(["integration", "admin"], ((JsonWebToken)result.SecurityToken).Claims.Where(c => c.Type == "role").Select(c => c.Value));
        Assert.Equal(TimeSpan.FromMinutes(60), result.SecurityToken.ValidTo - result.SecurityToken.ValidFrom);
    }

    [Fact]
    public void KeyOptionWinsOverEnvironment()
    {
        Run(new Dictionary<string, string> { [TokenCommand.SigningKeyVariable] = "short" }, "--sub", "a", "--role", "admin", "--clinics", "*",
            "--key", Key);

        Assert.Equal("", _error.ToString());
        Assert.NotEqual("", _output.ToString());
    }

    [Theory]
    [InlineData("No signing key", "--sub", "ann", "--role", "quality", "--clinics", "clinic-a")]
    [InlineData("at least 32 bytes", "--sub", "ann", "--role", "quality", "--clinics", "clinic-a", "--key", "too-short")]
    [InlineData("--role must be one of integration, quality, researcher, admin, got 'nurse'", "--sub", "ann", "--role", "nurse", "--clinics", "clinic-a", "--key", Key)]
    [InlineData("is for the admin role only", "--sub", "ann", "--role", "quality", "--clinics", "*", "--key", Key)]
    [InlineData("'Clinic A' is not a clinic id", "--sub", "ann", "--role", "quality", "--clinics", "Clinic A", "--key", Key)]
    [InlineData("--clinics must name at least one clinic", "--sub", "ann", "--role", "quality", "--clinics", ",", "--key", Key)]
    [InlineData("--minutes must be 1-10080", "--sub", "ann", "--role", "quality", "--clinics", "clinic-a", "--minutes", "0", "--key", Key)]
    [InlineData("--sub must name the caller", "--sub", " ", "--role", "quality", "--clinics", "clinic-a", "--key", Key)]
    [InlineData("--role", "--sub", "ann", "--clinics", "clinic-a", "--key", Key)]
    public void BadOptions_FailNamingTheRuleWithoutPrintingAToken(string message, params string[] args)
    {
        var exit = Run(null, args);

        Assert.Equal(1, exit);
        Assert.Contains(message, _error.ToString());
        // A JWT's header always begins with the base64 of '{"'; a missing option prints help there, never a token.
        Assert.DoesNotContain("eyJ", _output.ToString());
    }

    [Fact]
    public void Request_IssuedInThePast_IsAlreadyExpired()
    {
        var request = new TokenRequest { Subject = "a", Roles = ["admin"], Clinics = ["*"], Lifetime = TimeSpan.FromMinutes(5) };

        var token = new JsonWebToken(request.Issue(Key, DateTimeOffset.UtcNow.AddHours(-1)));

        Assert.True(token.ValidTo < DateTime.UtcNow);
    }
}
