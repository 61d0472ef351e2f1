using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Outcomes.Contracts;
using Outcomes.Domain.Courses;

namespace Outcomes.Cli.Tokens;

/// <summary>
/// An access token for the Outcomes HTTP API: who it names, its roles, the clinics it may see and how
/// long it lasts. Signed with the service's own HS256 key, so it is for development and operators who
/// hold that key; a production deployment would take tokens from its identity provider instead.
/// </summary>
public sealed record TokenRequest
{
    public const int MaxMinutes = 7 * 24 * 60;

    public required string Subject { get; init; }
    public required IReadOnlyList<string> Roles { get; init; }
    public required IReadOnlyList<string> Clinics { get; init; }
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromMinutes(60);
    public string Issuer { get; init; } = AccessToken.DefaultIssuer;
    public string Audience { get; init; } = AccessToken.DefaultAudience;

    /// <summary>The rules the request must meet, one message per broken rule.</summary>
    public IReadOnlyList<string> Violations()
    {
        var violations = new List<string>();
        if (string.IsNullOrWhiteSpace(Subject))
            violations.Add("--sub must name the caller");
        if (Roles.Count == 0)
            violations.Add("--role is required (integration, quality, researcher or admin)");
        foreach (var role in Roles.Where(r => !AccessToken.Roles.All.Contains(r)))
            violations.Add($"--role must be one of {string.Join(", ", AccessToken.Roles.All)}, got '{role}'");
        if (Clinics.Count == 0)
            violations.Add("--clinics must name at least one clinic");
        foreach (var clinic in Clinics.Where(c => c != AccessToken.AllClinics && !ContractLimits.IsClinicId(c)))
            violations.Add($"--clinics: '{clinic}' is not a clinic id (2-40 lower-case letters, digits or '-', starting with a letter or digit)");
        if (Clinics.Contains(AccessToken.AllClinics) && !Roles.Contains(AccessToken.Roles.Admin))
            violations.Add($"--clinics '{AccessToken.AllClinics}' (every clinic) is for the admin role only");
        if (Lifetime < TimeSpan.FromMinutes(1) || Lifetime > TimeSpan.FromMinutes(MaxMinutes))
            violations.Add($"--minutes must be 1-{MaxMinutes}, got {Lifetime.TotalMinutes:0}");
        if (string.IsNullOrWhiteSpace(Issuer))
            violations.Add("--issuer must not be empty");
        if (string.IsNullOrWhiteSpace(Audience))
            violations.Add("--audience must not be empty");
        return violations;
    }

    /// <summary>Why a signing key cannot be used, or null when it can.</summary>
    public static string? KeyViolation(string signingKey)
    {
        var bytes = Encoding.UTF8.GetByteCount(signingKey);
        return bytes < AccessToken.MinimumKeyBytes
            ? $"the signing key must be at least {AccessToken.MinimumKeyBytes} bytes (UTF-8), got {bytes}"
            : null;
    }

    /// <summary>The signed token, valid from <paramref name="issuedAt"/> for <see cref="Lifetime"/>.</summary>
    public string Issue(string signingKey, DateTimeOffset issuedAt)
    {
        var key = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = issuedAt.UtcDateTime,
            NotBefore = issuedAt.UtcDateTime,
            Expires = (issuedAt + Lifetime).UtcDateTime,
            Claims = new Dictionary<string, object>
            {
                [AccessToken.SubjectClaim] = Subject,
                [AccessToken.RoleClaim] = Roles.ToArray(),
                [AccessToken.ClinicsClaim] = Clinics.ToArray(),
            },
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
    }
}
