using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Outcomes.Contracts;

namespace Outcomes.Service.Security;

public static class SecuritySetup
{
    public static IServiceCollection AddOutcomesSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidation>();
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateOnStart();
        services.AddSingleton<ProviderTokens>();

        var authentication = services.AddAuthentication(AuthSchemes.Bearer)
            .AddPolicyScheme(AuthSchemes.Bearer, "Bearer token, or the dashboard's session", o => o.ForwardDefaultSelector = SchemeFor)
            .AddJwtBearer(AuthSchemes.SharedKey)
            .AddJwtBearer(AuthSchemes.Provider);
        services.AddOptions<JwtBearerOptions>(AuthSchemes.SharedKey).Configure<IOptions<AuthOptions>>((jwt, auth) =>
        {
            var options = auth.Value;
            // Claims keep their JWT names ("sub", "role", "clinics") instead of the WS-Federation URIs.
            jwt.MapInboundClaims = false;
            jwt.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = options.Issuer,
                ValidAudience = options.Audience,
                IssuerSigningKey = options.HasSigningKey ? options.Key() : null,
                ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                RequireSignedTokens = true,
                RequireExpirationTime = true,
                NameClaimType = AccessToken.SubjectClaim,
                RoleClaimType = AccessToken.RoleClaim,
                // Issuer and service share one clock source in practice; five minutes' default grace is more than needed.
                ClockSkew = TimeSpan.FromSeconds(30),
            };
        });
        services.AddOptions<JwtBearerOptions>(AuthSchemes.Provider).Configure<IOptions<AuthOptions>>((jwt, auth) =>
        {
            var provider = auth.Value.Provider;
            if (!auth.Value.HasProvider) return;
            jwt.Authority = provider.Authority;
            jwt.RequireHttpsMetadata = provider.RequireHttpsMetadata;
            jwt.MapInboundClaims = false;
            jwt.AutomaticRefreshInterval = provider.MetadataRefresh;
            jwt.RefreshInterval = provider.MetadataMinimumRefresh;
            // An unknown key id makes the handler read the provider's keys again: a rotated key is honoured.
            jwt.RefreshOnIssuerKeyNotFound = true;
            jwt.TokenValidationParameters = new TokenValidationParameters
            {
                // The issuer comes from the provider's discovery document and is checked against every token.
                ValidateIssuer = true,
                ValidAudience = provider.Audience,
                ValidAlgorithms = provider.Algorithms,
                RequireSignedTokens = true,
                RequireExpirationTime = true,
                NameClaimType = AccessToken.SubjectClaim,
                RoleClaimType = AccessToken.RoleClaim,
                ClockSkew = TimeSpan.FromSeconds(30),
            };
            jwt.Events = new JwtBearerEvents
            {
                OnTokenValidated = context =>
                {
                    context.Principal = ProviderClaims.Map(context.Principal!.Claims, provider, AuthSchemes.Provider);
                    return Task.CompletedTask;
                },
                // The handler has asked for the keys again; instead of refusing this request, wait briefly for them.
                OnAuthenticationFailed = async context =>
                {
                    if (context.Exception is not SecurityTokenSignatureKeyNotFoundException) return;
                    string? header = context.Request.Headers.Authorization;
                    if (header?.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) != true) return;
                    var (caller, _) = await context.HttpContext.RequestServices.GetRequiredService<ProviderTokens>()
                        .ValidateAsync(header[7..].Trim(), context.HttpContext.RequestAborted);
                    if (caller is null) return;
                    context.Principal = caller;
                    context.Success();
                },
            };
        });
        var auth = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        authentication.AddDashboardSessions(services, auth);

        var authorization = services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        foreach (var (policy, roles) in AccessPolicies.RolesOf)
            authorization.AddPolicy(policy, p => p.RequireAuthenticatedUser().RequireRole(roles));
        return services;
    }

    /// A bearer header decides for itself: a token issued by this service's own issuer name goes to the shared key, any
    /// other to the provider (which refuses an issuer it does not know). Without a header, a dashboard page reads its
    /// session cookie; an /api route never does, so no other site can make a browser call the API with it.
    private static string SchemeFor(HttpContext http)
    {
        var auth = http.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value;
        string? header = http.Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header) && DashboardSessions.IsDashboard(http.Request.Path))
            return AuthSchemes.DashboardSession;
        if (!auth.HasProvider) return AuthSchemes.SharedKey;
        if (!auth.HasSigningKey) return AuthSchemes.Provider;
        var token = header?.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) == true ? header[7..].Trim() : null;
        return IssuerOf(token) == auth.Issuer ? AuthSchemes.SharedKey : AuthSchemes.Provider;
    }

    /// The unverified `iss` of a JWT, only to choose who verifies it.
    private static string? IssuerOf(string? token)
    {
        if (token is null) return null;
        try
        {
            return new JsonWebToken(token).Issuer;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
