using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Outcomes.Contracts;

namespace Outcomes.Service.Security;

/// How access tokens are checked: HS256 with a shared signing key, a fixed issuer and audience.
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// The development key in appsettings.Development.json starts with this. It is published, so a
    /// host outside the Development environment refuses any key that starts with it.
    public const string DevelopmentKeyPrefix = "development-only-";

    /// The HS256 secret; its UTF-8 bytes are the key. Never in appsettings.json: environment Auth__SigningKey.
    public string SigningKey { get; set; } = "";

    public string Issuer { get; set; } = AccessToken.DefaultIssuer;

    public string Audience { get; set; } = AccessToken.DefaultAudience;

    public SymmetricSecurityKey Key() => new(Encoding.UTF8.GetBytes(SigningKey));
}

internal sealed class AuthOptionsValidation(IHostEnvironment environment) : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = new List<string>();
        var keyBytes = Encoding.UTF8.GetByteCount(options.SigningKey ?? "");
        if (string.IsNullOrWhiteSpace(options.SigningKey))
            failures.Add("Auth:SigningKey is not configured: set it (environment variable Auth__SigningKey) to a random secret " +
                $"of at least {AccessToken.MinimumKeyBytes} bytes, e.g. the output of `openssl rand -base64 48`");
        else if (keyBytes < AccessToken.MinimumKeyBytes)
            failures.Add($"Auth:SigningKey must be at least {AccessToken.MinimumKeyBytes} bytes (UTF-8), got {keyBytes}");
        else if (!environment.IsDevelopment() && options.SigningKey.StartsWith(AuthOptions.DevelopmentKeyPrefix, StringComparison.Ordinal))
            failures.Add($"Auth:SigningKey is the published development key ('{AuthOptions.DevelopmentKeyPrefix}...'), refused outside " +
                $"the Development environment (this is '{environment.EnvironmentName}'): set Auth__SigningKey to a secret of your own");
        if (string.IsNullOrWhiteSpace(options.Issuer))
            failures.Add("Auth:Issuer must not be empty");
        if (string.IsNullOrWhiteSpace(options.Audience))
            failures.Add("Auth:Audience must not be empty");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
