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
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException && await NewKeysAsync(options, accessToken, cancellationToken))
            result = await Validate(options, accessToken, cancellationToken);
        return result.IsValid
            ? (ProviderClaims.Map(result.ClaimsIdentity.Claims, auth.Value.Provider, AuthSchemes.Provider), null)
            : (null, result.Exception?.Message ?? "the access token is not valid");
    }

    /// A key the provider started signing with after we last read its keys: read them again and wait briefly for the
    /// re-read, which the configuration manager does in the background, so the request that brings the new key is
    /// answered with it. Only for tokens naming the provider as issuer, and at most once per MetadataMinimumRefresh, so
    /// tokens with made-up key ids cannot make every request wait. True when the keys now hold the token's key id.
    internal async Task<bool> NewKeysAsync(JwtBearerOptions options, string token, CancellationToken cancellationToken)
    {
        if (options.ConfigurationManager is not { } manager) return false;
        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return false;
        }
        var current = await manager.GetConfigurationAsync(cancellationToken);
        if (string.IsNullOrEmpty(jwt.Kid) || jwt.Issuer != current.Issuer) return false;
        if (current.SigningKeys.Any(k => k.KeyId == jwt.Kid)) return true;
        var now = DateTime.UtcNow;
        lock (_reReadLock)
        {
            if (now - _lastReRead < auth.Value.Provider.MetadataMinimumRefresh) return false;
            _lastReRead = now;
        }
        // The manager ignores a request within its minimum interval of the last one (which any unknown key id, even
        // another issuer's, may have made a moment ago): ask on every turn, for a little longer than that interval.
        var minimum = auth.Value.Provider.MetadataMinimumRefresh;
        var deadline = now + ReReadWait + (minimum < ReReadWait ? minimum : TimeSpan.Zero);
        while (true)
        {
            manager.RequestRefresh();
            var configuration = await manager.GetConfigurationAsync(cancellationToken);
            if (configuration.SigningKeys.Any(k => k.KeyId == jwt.Kid)) return true;
            if (DateTime.UtcNow >= deadline) return false;
            await Task.Delay(50, cancellationToken);
        }
    }

    private readonly Lock _reReadLock = new();
    private DateTime _lastReRead = DateTime.MinValue;

    private static readonly TimeSpan ReReadWait = TimeSpan.FromSeconds(2);

    private static async Task<TokenValidationResult> Validate(JwtBearerOptions options, string token, CancellationToken cancellationToken)
    {
        var configuration = await options.ConfigurationManager!.GetConfigurationAsync(cancellationToken);
        var parameters = options.TokenValidationParameters.Clone();
        parameters.ValidIssuer = configuration.Issuer;
        parameters.IssuerSigningKeys = configuration.SigningKeys;
        return await new JsonWebTokenHandler { MapInboundClaims = false }.ValidateTokenAsync(token, parameters);
    }
}
