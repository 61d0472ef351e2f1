using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Outcomes.Service.Security;

/// Validates a provider's access token exactly as the API's Provider scheme does (same metadata, keys, issuer, audience,
/// claim mapping), for the dashboard, which receives its tokens from the token endpoint rather than a header.
public sealed class ProviderTokens(IOptionsMonitor<JwtBearerOptions> bearers, IOptions<AuthOptions> auth)
{
    public async Task<(ClaimsPrincipal? Caller, string? Refusal)> ValidateAsync(string? accessToken, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(accessToken)) return (null, "the provider sent no access token");
        var options = bearers.Get(AuthSchemes.Provider);
        var result = await Validate(options, accessToken, cancellationToken);
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // A key the provider started signing with after we last read its keys: read them again, once.
            options.ConfigurationManager!.RequestRefresh();
            result = await Validate(options, accessToken, cancellationToken);
        }
        return result.IsValid
            ? (ProviderClaims.Map(result.ClaimsIdentity.Claims, auth.Value.Provider, AuthSchemes.Provider), null)
            : (null, result.Exception?.Message ?? "the access token is not valid");
    }

    private static async Task<TokenValidationResult> Validate(JwtBearerOptions options, string token, CancellationToken cancellationToken)
    {
        var configuration = await options.ConfigurationManager!.GetConfigurationAsync(cancellationToken);
        var parameters = options.TokenValidationParameters.Clone();
        parameters.ValidIssuer = configuration.Issuer;
        parameters.IssuerSigningKeys = configuration.SigningKeys;
        return await new JsonWebTokenHandler { MapInboundClaims = false }.ValidateTokenAsync(token, parameters);
    }
}
