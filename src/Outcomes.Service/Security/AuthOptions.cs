using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Outcomes.Contracts;

namespace Outcomes.Service.Security;

/// How access tokens are checked: a clinic's OpenID provider (<see cref="Provider"/>), the shared HS256 key of
/// development and the quick start (<see cref="SigningKey"/>), or both side by side.
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// The development key in appsettings.Development.json starts with this. It is published, so a
    /// host outside the Development environment refuses any key that starts with it.
    public const string DevelopmentKeyPrefix = "development-only-";

    /// The HS256 secret; its UTF-8 bytes are the key. Never in appsettings.json: environment Auth__SigningKey.
    public string SigningKey { get; set; } = "";

    /// Outside Development a shared key is refused unless this says a person decided to keep one (every holder of the
    /// key can mint any token, and no one person can be revoked).
    public bool AllowSigningKeyOutsideDevelopment { get; set; }

    public string Issuer { get; set; } = AccessToken.DefaultIssuer;

    public string Audience { get; set; } = AccessToken.DefaultAudience;

    public ProviderOptions Provider { get; set; } = new();

    public DashboardSessionOptions Dashboard { get; set; } = new();

    public bool HasSigningKey => !string.IsNullOrWhiteSpace(SigningKey);

    public bool HasProvider => !string.IsNullOrWhiteSpace(Provider.Authority);

    public SymmetricSecurityKey Key() => new(Encoding.UTF8.GetBytes(SigningKey));
}

/// The clinic's OpenID provider (Entra ID, Okta, Keycloak, ...): where its keys are, which tokens are for this
/// service, and how its claims name Outcomes' roles and clinics.
public sealed class ProviderOptions
{
    /// The issuer URL; discovery at {Authority}/.well-known/openid-configuration gives the JWKS and endpoints.
    public string? Authority { get; set; }

    /// The `aud` the provider puts in access tokens for this service (Entra: the application id URI or client id).
    public string Audience { get; set; } = AccessToken.DefaultAudience;

    /// Metadata over plain HTTP only for a provider on loopback in tests and trials.
    public bool RequireHttpsMetadata { get; set; } = true;

    /// Signature algorithms accepted from the provider.
    public string[] Algorithms { get; set; } = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256];

    /// How often the provider's metadata and keys are read again anyway (its key rotation is honoured sooner: an unknown
    /// key id triggers a re-read, at most once per <see cref="MetadataMinimumRefresh"/>).
    public TimeSpan MetadataRefresh { get; set; } = TimeSpan.FromHours(12);

    public TimeSpan MetadataMinimumRefresh { get; set; } = TimeSpan.FromMinutes(5);

    /// The claim naming the person or engine (Entra ID: `oid` is stable across applications; `sub` is per application).
    public string SubjectClaim { get; set; } = "sub";

    /// Claims whose values name roles or groups (Entra ID app roles: `roles`; Okta, Keycloak: `groups`).
    public string[] RoleClaims { get; set; } = ["roles", "groups"];

    /// Value of a role claim -> Outcomes role (`quality`, `researcher`, `admin`, `integration`). A value that is itself an
    /// Outcomes role counts as that role without a mapping.
    public Dictionary<string, string> RoleMap { get; set; } = new(StringComparer.Ordinal);

    /// A claim whose values are clinic ids (a custom claim or a user attribute the provider releases).
    public string ClinicClaim { get; set; } = AccessToken.ClinicsClaim;

    /// Claim of group names or ids from which clinics may also come (<see cref="ClinicGroupPrefix"/>, <see cref="ClinicMap"/>).
    public string GroupClaim { get; set; } = "groups";

    /// A group named `{prefix}{clinic id}` gives that clinic (e.g. `outcomes-clinic-` and `outcomes-clinic-clinic-a`).
    public string? ClinicGroupPrefix { get; set; }

    /// Group value -> clinic id, for providers whose groups are ids (Entra ID group object ids).
    public Dictionary<string, string> ClinicMap { get; set; } = new(StringComparer.Ordinal);

    /// The dashboard's client at the provider (authorization code + PKCE). Without it the dashboard offers no provider sign-in.
    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    /// Scopes the dashboard asks for besides openid and profile, so that the access token is for this API
    /// (Entra ID: `api://outcomes/.default`; Okta: a custom scope; oidc-provider: `api`).
    public string[] Scopes { get; set; } = ["offline_access"];

    /// RFC 8707 resource indicator, for providers that need one to issue an access token for this API.
    public string? Resource { get; set; }

    /// The provider's name on the sign-in button.
    public string DisplayName { get; set; } = "your clinic's sign-in";

    public bool HasDashboardClient => !string.IsNullOrWhiteSpace(ClientId);
}

/// The dashboard's server-side session.
public sealed class DashboardSessionOptions
{
    /// A session unused this long ends (sliding).
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// How often a provider session is renewed at the provider (refresh grant): a disabled person or a changed group is
    /// noticed within this time, or when the access token expires, whichever is first. Zero: on every request.
    public TimeSpan RecheckEvery { get; set; } = TimeSpan.FromMinutes(5);
}

internal sealed partial class AuthOptionsValidation(IHostEnvironment environment) : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = new List<string>();
        var development = environment.IsDevelopment();
        if (!options.HasSigningKey && !options.HasProvider)
            failures.Add("No way to check access tokens: set Auth:Provider:Authority (environment Auth__Provider__Authority) to your " +
                "identity provider's issuer URL, or, for development, Auth:SigningKey is not configured: set it (environment variable " +
                $"Auth__SigningKey) to a random secret of at least {AccessToken.MinimumKeyBytes} bytes, e.g. the output of `openssl rand -base64 48`");
        if (options.HasSigningKey)
        {
            var keyBytes = Encoding.UTF8.GetByteCount(options.SigningKey);
            if (keyBytes < AccessToken.MinimumKeyBytes)
                failures.Add($"Auth:SigningKey must be at least {AccessToken.MinimumKeyBytes} bytes (UTF-8), got {keyBytes}");
            else if (!development && options.SigningKey.StartsWith(AuthOptions.DevelopmentKeyPrefix, StringComparison.Ordinal))
                failures.Add($"Auth:SigningKey is the published development key ('{AuthOptions.DevelopmentKeyPrefix}...'), refused outside " +
                    $"the Development environment (this is '{environment.EnvironmentName}'): set Auth__SigningKey to a secret of your own");
            else if (!development && !options.AllowSigningKeyOutsideDevelopment)
                failures.Add($"Auth:SigningKey (a shared HS256 key) is refused outside the Development environment (this is " +
                    $"'{environment.EnvironmentName}'): connect your identity provider (Auth:Provider:Authority), or set " +
                    "Auth:AllowSigningKeyOutsideDevelopment to true to keep the shared key deliberately");
        }
        if (string.IsNullOrWhiteSpace(options.Issuer))
            failures.Add("Auth:Issuer must not be empty");
        if (string.IsNullOrWhiteSpace(options.Audience))
            failures.Add("Auth:Audience must not be empty");
        if (options.HasProvider)
            failures.AddRange(ProviderFailures(options.Provider));
        if (options.Dashboard.IdleTimeout < TimeSpan.FromMinutes(1) || options.Dashboard.IdleTimeout > TimeSpan.FromHours(24))
            failures.Add($"Auth:Dashboard:IdleTimeout must be between 00:01:00 and 1.00:00:00, got {options.Dashboard.IdleTimeout}");
        if (options.Dashboard.RecheckEvery < TimeSpan.Zero || options.Dashboard.RecheckEvery > TimeSpan.FromHours(1))
            failures.Add($"Auth:Dashboard:RecheckEvery must be between 00:00:00 and 01:00:00, got {options.Dashboard.RecheckEvery}");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static IEnumerable<string> ProviderFailures(ProviderOptions provider)
    {
        if (!Uri.TryCreate(provider.Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http"))
            yield return $"Auth:Provider:Authority must be an absolute https URL (the issuer), got '{provider.Authority}'";
        else if (authority.Scheme == "http" && provider.RequireHttpsMetadata)
            yield return "Auth:Provider:Authority must use https (Auth:Provider:RequireHttpsMetadata=false allows http, for a provider on loopback only)";
        if (string.IsNullOrWhiteSpace(provider.Audience))
            yield return "Auth:Provider:Audience must not be empty: the aud of access tokens for this service";
        if (provider.Algorithms.Length == 0 || provider.Algorithms.Any(a => a is not (SecurityAlgorithms.RsaSha256 or SecurityAlgorithms.EcdsaSha256
                or SecurityAlgorithms.RsaSsaPssSha256 or SecurityAlgorithms.EcdsaSha384 or SecurityAlgorithms.RsaSha384)))
            yield return $"Auth:Provider:Algorithms must name asymmetric algorithms (RS256, ES256, PS256, RS384, ES384), got '{string.Join(",", provider.Algorithms)}'";
        foreach (var (value, role) in provider.RoleMap)
            if (!AccessToken.Roles.All.Contains(role))
                yield return $"Auth:Provider:RoleMap:{value} must be one of {string.Join(", ", AccessToken.Roles.All)}, got '{role}'";
        foreach (var (value, clinic) in provider.ClinicMap)
            if (!ContractLimits.IsClinicId(clinic))
                yield return $"Auth:Provider:ClinicMap:{value} must be a clinic id ({ContractLimits.ClinicIdPattern}), got '{clinic}'";
        if (provider.MetadataMinimumRefresh < TimeSpan.FromSeconds(1) || provider.MetadataRefresh < provider.MetadataMinimumRefresh)
            yield return "Auth:Provider:MetadataMinimumRefresh must be at least 1 second and at most Auth:Provider:MetadataRefresh";
        if (string.IsNullOrWhiteSpace(provider.SubjectClaim))
            yield return "Auth:Provider:SubjectClaim must not be empty";
    }
}
