namespace Outcomes.Service.Security;

/// The authentication schemes, by what they accept.
public static class AuthSchemes
{
    /// The default: picks one of the others for each request (a bearer token by its issuer, else the dashboard's cookie).
    public const string Bearer = "Bearer";

    /// HS256 tokens signed with Auth:SigningKey (`outcomes token`): development, tests, the quick start.
    public const string SharedKey = "SharedKey";

    /// Access tokens of the clinic's OpenID provider (discovery + JWKS).
    public const string Provider = "Provider";

    /// The dashboard's server-side session, behind an HttpOnly cookie that only /dashboard paths read.
    public const string DashboardSession = "DashboardSession";

    /// The dashboard's sign-in at the provider: authorization code flow with PKCE.
    public const string DashboardProvider = "DashboardProvider";
}
