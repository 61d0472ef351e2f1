using System.Security.Claims;
using Outcomes.Contracts;
using Outcomes.Domain.Disclosure;

namespace Outcomes.Service.Disclosure;

/// Who asks about whose data: the tier a report is published in. Network: the whole network's courses (every clinic),
/// which crosses clinic boundaries and so is always protected. SeesOwnClinicsExactly: the caller may read its own
/// clinics' courses exactly (in the own-clinics tier), so it knows their values. Subject: who asks (the token's
/// subject, else its client), whose protected questions the differencing lock-out remembers; empty for neither.
public sealed record ReportAudience(DisclosureTier Tier, bool Network, bool SeesOwnClinicsExactly = false, string Subject = "")
{
    /// A researcher is always protected; a quality lead or administrator sees its own clinics exactly unless the
    /// deployment switched that tier off; anything over the network is protected.
    public static ReportAudience Of(ClaimsPrincipal caller, bool network, DisclosureOptions options)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(options);
        var seesOwnClinics = options.OwnClinics && !caller.IsInRole(AccessToken.Roles.Researcher)
            && (caller.IsInRole(AccessToken.Roles.Quality) || caller.IsInRole(AccessToken.Roles.Admin));
        return new ReportAudience(seesOwnClinics && !network ? DisclosureTier.OwnClinics : DisclosureTier.Protected, network, seesOwnClinics,
            Audit.CourseAccess.SubjectOf(caller) is { Length: > 0 } subject ? subject : Audit.CourseAccess.ClientOf(caller) is { } client ? "client:" + client : "");
    }
}
