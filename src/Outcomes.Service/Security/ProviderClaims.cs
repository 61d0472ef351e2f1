using System.Security.Claims;
using Outcomes.Contracts;

namespace Outcomes.Service.Security;

/// Turns a provider's token claims into the caller Outcomes knows: `sub`, `role` and `clinics` as the shared-key
/// tokens carry them, so policies, ClinicScope and the audit read one shape whoever issued the token. Pure.
public static class ProviderClaims
{
    /// The claims that name the software a person used, or the integration engine itself: OAuth's client_id
    /// (RFC 9068), OpenID Connect's authorised party, Entra ID v1's appid.
    public static readonly string[] ClientClaims = ["client_id", "azp", "appid"];

    public static ClaimsPrincipal Map(IEnumerable<Claim> claims, ProviderOptions options, string authenticationType)
    {
        var source = claims.ToList();
        var identity = new ClaimsIdentity(authenticationType, AccessToken.SubjectClaim, AccessToken.RoleClaim);
        var subject = Values(source, options.SubjectClaim).FirstOrDefault() ?? Values(source, AccessToken.SubjectClaim).FirstOrDefault();
        if (subject is not null)
            identity.AddClaim(new Claim(AccessToken.SubjectClaim, subject));
        foreach (var client in ClientClaims.SelectMany(c => Values(source, c)).Take(1))
            identity.AddClaim(new Claim("client_id", client));

        foreach (var role in Roles(source, options))
            identity.AddClaim(new Claim(AccessToken.RoleClaim, role));
        foreach (var clinic in Clinics(source, options))
            identity.AddClaim(new Claim(AccessToken.ClinicsClaim, clinic));
        return new ClaimsPrincipal(identity);
    }

    public static IEnumerable<string> Roles(IReadOnlyList<Claim> claims, ProviderOptions options) =>
        options.RoleClaims.SelectMany(c => Values(claims, c))
            .Select(v => options.RoleMap.TryGetValue(v, out var mapped) ? mapped : v)
            .Where(AccessToken.Roles.All.Contains)
            .Distinct(StringComparer.Ordinal);

    public static IEnumerable<string> Clinics(IReadOnlyList<Claim> claims, ProviderOptions options)
    {
        var direct = Values(claims, options.ClinicClaim);
        var groups = Values(claims, options.GroupClaim).ToList();
        var mapped = groups.Select(g => options.ClinicMap.TryGetValue(g, out var clinic) ? clinic : null).OfType<string>();
        var prefixed = options.ClinicGroupPrefix is { Length: > 0 } prefix
            ? groups.Where(g => g.StartsWith(prefix, StringComparison.Ordinal)).Select(g => g[prefix.Length..])
            : [];
        // Only well-formed clinic ids (and "*", which ClinicScope honours for administrators alone) become scope.
        return direct.Concat(mapped).Concat(prefixed)
            .Where(c => c == AccessToken.AllClinics || ContractLimits.IsClinicId(c))
            .Distinct(StringComparer.Ordinal);
    }

    /// A claim's values: JWT arrays arrive as one claim per element. (Group names may hold spaces: never split.)
    private static IEnumerable<string> Values(IEnumerable<Claim> claims, string type) =>
        claims.Where(c => c.Type == type && c.Value.Length > 0).Select(c => c.Value);
}
