using System.Globalization;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json.Serialization;
using Marten;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Outcomes.Service.Security;

/// The dashboard's sessions: a cookie that holds only a session id, the session (claims, and for a provider sign-in its
/// tokens) kept server-side, ended after an idle time, and renewed at the provider now and then so that a person the
/// clinic disabled, or moved out of a group, loses access within minutes.
public static class DashboardSessions
{
    /// Where a session came from: a pasted token (quick start, development) or the provider's sign-in.
    internal const string SourceItem = "outcomes.source";
    internal const string FromToken = "token";
    internal const string FromProvider = "provider";

    /// A pasted token's expiry: the session ends with it.
    internal const string TokenExpiresItem = "outcomes.token-expires";

    /// When the session was last confirmed at the provider.
    internal const string CheckedItem = "outcomes.checked";

    /// The provider's sign-out address for this request, left by the handler for the sign-out page to send the browser to.
    internal const string ProviderSignOutItem = "outcomes.provider-sign-out";

    /// Set when this request's session was ended (expired token, refused renewal), so the sign-in page can say so.
    internal const string SessionEndedItem = "outcomes.session-ended";

    /// Where the dashboard's pages live: its session cookie is scoped to this path, and only requests under it are
    /// authenticated by that cookie (SecuritySetup), so the cookie can never authorise an API call.
    public const string Root = "/dashboard";

    /// The session cookie: an id of a server-side session (DashboardSessionStore), never a token.
    public const string CookieName = "outcomes-dashboard-session";

    public static bool IsDashboard(PathString path) => path.StartsWithSegments(Root, StringComparison.Ordinal);

    internal const string CallbackPath = Root + "/signin-oidc";
    internal const string SignedOutPath = Root + "/signed-out";

    public static AuthenticationBuilder AddDashboardSessions(this AuthenticationBuilder authentication, IServiceCollection services, AuthOptions configured)
    {
        services.AddSingleton<DashboardSessionStore>();
        services.ConfigureMarten(o => o.Schema.For<DashboardSessionRecord>().Index(r => r.ExpiresAt));
        authentication.AddCookie(AuthSchemes.DashboardSession);
        services.AddOptions<CookieAuthenticationOptions>(AuthSchemes.DashboardSession)
            .Configure<DashboardSessionStore, IOptions<AuthOptions>>((cookie, store, auth) =>
            {
                var options = auth.Value;
                cookie.Cookie.Name = CookieName;
                cookie.Cookie.Path = Root;
                cookie.Cookie.HttpOnly = true;
                // The provider's redirect back is a navigation from another site: a Strict cookie set then would not be sent
                // on the next step. Lax still keeps it off other sites' POSTs and sub-requests; every change is a POST.
                cookie.Cookie.SameSite = options.Provider.HasDashboardClient ? SameSiteMode.Lax : SameSiteMode.Strict;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.Cookie.IsEssential = true;
                cookie.ExpireTimeSpan = options.Dashboard.IdleTimeout;
                cookie.SlidingExpiration = true;
                cookie.SessionStore = store;
                cookie.Events = new CookieAuthenticationEvents
                {
                    OnValidatePrincipal = Validate,
                    // The dashboard's authorization results send people to the sign-in page; nothing else redirects.
                    OnRedirectToLogin = c => { c.Response.StatusCode = 401; return Task.CompletedTask; },
                    OnRedirectToAccessDenied = c => { c.Response.StatusCode = 403; return Task.CompletedTask; },
                };
            });

        if (!configured.HasProvider || !configured.Provider.HasDashboardClient) return authentication;
        authentication.AddOpenIdConnect(AuthSchemes.DashboardProvider, _ => { });
        services.AddOptions<OpenIdConnectOptions>(AuthSchemes.DashboardProvider).Configure<IOptions<AuthOptions>>((oidc, auth) =>
        {
            var provider = auth.Value.Provider;
            oidc.Authority = provider.Authority;
            oidc.RequireHttpsMetadata = provider.RequireHttpsMetadata;
            oidc.ClientId = provider.ClientId;
            oidc.ClientSecret = provider.ClientSecret;
            oidc.ResponseType = OpenIdConnectResponseType.Code;
            oidc.UsePkce = true;
            // The code comes back in the query of a top-level GET, which Lax cookies accompany (form_post would need
            // SameSite=None cookies, which browsers refuse without HTTPS).
            oidc.ResponseMode = OpenIdConnectResponseMode.Query;
            oidc.CorrelationCookie.SameSite = SameSiteMode.Lax;
            oidc.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            oidc.NonceCookie.SameSite = SameSiteMode.Lax;
            oidc.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            oidc.CallbackPath = CallbackPath;
            oidc.SignedOutCallbackPath = SignedOutPath;
            oidc.SignedOutRedirectUri = Root + "/sign-in";
            oidc.SignInScheme = AuthSchemes.DashboardSession;
            oidc.SaveTokens = true;
            oidc.MapInboundClaims = false;
            oidc.GetClaimsFromUserInfoEndpoint = false;
            oidc.Scope.Clear();
            foreach (var scope in new[] { "openid", "profile" }.Concat(provider.Scopes).Distinct(StringComparer.Ordinal))
                oidc.Scope.Add(scope);
            oidc.Resource = provider.Resource;
            oidc.TokenValidationParameters.NameClaimType = Contracts.AccessToken.SubjectClaim;
            oidc.Events = new OpenIdConnectEvents
            {
                OnTokenValidated = SignedInAtProvider,
                // Not a redirect from the sign-out POST: the dashboard's pages allow forms to post only to this service
                // (CSP form-action, which browsers apply to the redirect too). The sign-out page goes there by itself.
                OnRedirectToIdentityProviderForSignOut = context =>
                {
                    // The state the handler would add after this event: the way back to the sign-in page after the provider.
                    context.ProtocolMessage.State = context.Options.StateDataFormat.Protect(context.Properties);
                    context.HttpContext.Items[ProviderSignOutItem] = context.ProtocolMessage.CreateLogoutRequestUrl();
                    context.HandleResponse();
                    return Task.CompletedTask;
                },
                OnRemoteFailure = context =>
                {
                    context.Response.Redirect($"{Root}/sign-in?failed={Uri.EscapeDataString(context.Failure?.Message ?? "unknown")}");
                    context.HandleResponse();
                    return Task.CompletedTask;
                },
            };
        });
        return authentication;
    }

    /// The person is who the provider's access token for this API says, mapped exactly as the API maps it.
    private static async Task SignedInAtProvider(TokenValidatedContext context)
    {
        var tokens = context.HttpContext.RequestServices.GetRequiredService<ProviderTokens>();
        var (caller, refusal) = await tokens.ValidateAsync(context.TokenEndpointResponse?.AccessToken, context.HttpContext.RequestAborted);
        if (caller is null)
        {
            context.Fail("the provider's access token is not one this service accepts: " + refusal);
            return;
        }
        context.Principal = caller;
        context.Properties!.Items[SourceItem] = FromProvider;
        context.Properties.Items[CheckedItem] = Now(context.HttpContext).ToString("O", CultureInfo.InvariantCulture);
    }

    private static DateTimeOffset Now(HttpContext http) => http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();

    private static async Task Validate(CookieValidatePrincipalContext context)
    {
        var now = Now(context.HttpContext);
        var items = context.Properties.Items;
        if (items.TryGetValue(TokenExpiresItem, out var expires) && DateTimeOffset.Parse(expires!, CultureInfo.InvariantCulture) <= now)
        {
            await End(context);
            return;
        }
        if (!items.TryGetValue(SourceItem, out var source) || source != FromProvider) return;

        var auth = context.HttpContext.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value;
        var checkedAt = items.TryGetValue(CheckedItem, out var c) ? DateTimeOffset.Parse(c!, CultureInfo.InvariantCulture) : DateTimeOffset.MinValue;
        var tokenExpires = context.Properties.GetTokenValue("expires_at") is { } e ? DateTimeOffset.Parse(e, CultureInfo.InvariantCulture) : now;
        if (now - checkedAt < auth.Dashboard.RecheckEvery && now < tokenExpires.AddSeconds(-30)) return;

        var renewed = await RenewAtProvider(context.HttpContext, context.Properties.GetTokenValue("refresh_token"));
        if (renewed is null)
        {
            await End(context);
            return;
        }
        var (caller, _) = await context.HttpContext.RequestServices.GetRequiredService<ProviderTokens>()
            .ValidateAsync(renewed.AccessToken, context.HttpContext.RequestAborted);
        if (caller is null)
        {
            await End(context);
            return;
        }
        context.Properties.UpdateTokenValue("access_token", renewed.AccessToken!);
        if (renewed.RefreshToken is { Length: > 0 } refresh) context.Properties.UpdateTokenValue("refresh_token", refresh);
        context.Properties.UpdateTokenValue("expires_at", now.AddSeconds(renewed.ExpiresIn).ToString("O", CultureInfo.InvariantCulture));
        items[CheckedItem] = now.ToString("O", CultureInfo.InvariantCulture);
        // Roles and clinics as the provider says now: a person moved out of a group loses that access at renewal.
        context.ReplacePrincipal(caller);
        context.ShouldRenew = true;
    }

    private static async Task End(CookieValidatePrincipalContext context)
    {
        context.RejectPrincipal();
        context.HttpContext.Items[SessionEndedItem] = true;
        await context.HttpContext.SignOutAsync(AuthSchemes.DashboardSession);
    }

    private sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string? AccessToken,
        [property: JsonPropertyName("refresh_token")] string? RefreshToken,
        [property: JsonPropertyName("expires_in")] int ExpiresIn);

    /// The refresh grant at the provider's token endpoint. Null when the provider refuses: the person was disabled, the
    /// grant revoked, or the refresh token expired.
    private static async Task<TokenResponse?> RenewAtProvider(HttpContext http, string? refreshToken)
    {
        if (string.IsNullOrEmpty(refreshToken)) return null;
        var oidc = http.RequestServices.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(AuthSchemes.DashboardProvider);
        var metadata = await oidc.ConfigurationManager!.GetConfigurationAsync(http.RequestAborted);
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = refreshToken,
            ["client_id"] = oidc.ClientId!,
        };
        if (oidc.ClientSecret is { Length: > 0 } secret) form["client_secret"] = secret;
        if (oidc.Resource is { Length: > 0 } resource) form["resource"] = resource;
        using var response = await oidc.Backchannel.PostAsync(metadata.TokenEndpoint, new FormUrlEncodedContent(form), http.RequestAborted);
        if (!response.IsSuccessStatusCode)
        {
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DashboardSessions))
                .LogInformation("Dashboard session of {Subject} ended: the provider refused its renewal ({Status})",
                    http.User.FindFirstValue(Contracts.AccessToken.SubjectClaim), (int)response.StatusCode);
            return null;
        }
        var renewed = await response.Content.ReadFromJsonAsync<TokenResponse>(http.RequestAborted);
        return renewed?.AccessToken is { Length: > 0 } ? renewed : null;
    }
}

/// A dashboard session as stored: the authentication ticket (claims, and a provider's tokens), encrypted with the
/// service's data-protection keys, so the database alone does not give anyone a session.
public sealed class DashboardSessionRecord
{
    public string Id { get; set; } = "";
    public byte[] Ticket { get; set; } = [];
    public DateTimeOffset ExpiresAt { get; set; }
}

/// Server-side sessions in PostgreSQL (Marten), so every instance of the service serves a signed-in person and a
/// restart signs nobody out.
public sealed class DashboardSessionStore(IDocumentStore store, IDataProtectionProvider protection, TimeProvider clock) : ITicketStore
{
    private readonly IDataProtector _protector = protection.CreateProtector("Outcomes.DashboardSession.v1");

    public async Task<string> StoreAsync(AuthenticationTicket ticket)
    {
        var id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await using var session = store.LightweightSession();
        // Sessions that ended by idling are removed as new ones begin.
        session.DeleteWhere<DashboardSessionRecord>(r => r.ExpiresAt < clock.GetUtcNow());
        session.Store(Record(id, ticket));
        await session.SaveChangesAsync();
        return id;
    }

    public async Task RenewAsync(string key, AuthenticationTicket ticket)
    {
        await using var session = store.LightweightSession();
        session.Store(Record(key, ticket));
        await session.SaveChangesAsync();
    }

    public async Task<AuthenticationTicket?> RetrieveAsync(string key)
    {
        await using var session = store.QuerySession();
        var record = await session.LoadAsync<DashboardSessionRecord>(key);
        if (record is null || record.ExpiresAt <= clock.GetUtcNow()) return null;
        try
        {
            return TicketSerializer.Default.Deserialize(_protector.Unprotect(record.Ticket));
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            // Sealed with keys this instance does not hold (share the data-protection keys between instances).
            return null;
        }
    }

    public async Task RemoveAsync(string key)
    {
        await using var session = store.LightweightSession();
        session.Delete<DashboardSessionRecord>(key);
        await session.SaveChangesAsync();
    }

    private DashboardSessionRecord Record(string id, AuthenticationTicket ticket) => new()
    {
        Id = id,
        Ticket = _protector.Protect(TicketSerializer.Default.Serialize(ticket)),
        ExpiresAt = ticket.Properties.ExpiresUtc ?? clock.GetUtcNow().AddHours(1),
    };
}
