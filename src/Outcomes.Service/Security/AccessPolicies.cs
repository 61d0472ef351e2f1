using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Outcomes.Contracts;

namespace Outcomes.Service.Security;

/// Authorization policies, each named by the set of roles it admits. Every endpoint without one of
/// these still needs an authenticated caller (the fallback policy) unless it allows anonymous callers.
public static class AccessPolicies
{
    /// Ingestion diagnostics: a clinic's integration engine, and operators.
    public const string IntegrationOrAdmin = "integration-or-admin";

    /// Patient courses and cohort reports: quality leads, researchers, and operators.
    public const string QualityResearcherOrAdmin = "quality-researcher-or-admin";

    /// A clinic's own course-level work (one patient's course, the safety worklist and its follow-up): the clinic's
    /// quality leads and operators (researchers read cohorts and exports only).
    public const string QualityOrAdmin = "quality-or-admin";

    /// Research exports: researchers only (an administrator cannot export without also holding the researcher role).
    public const string Researcher = "researcher";

    /// The export audit: operators only.
    public const string Admin = "admin";

    internal static readonly IReadOnlyDictionary<string, string[]> RolesOf = new Dictionary<string, string[]>
    {
        [IntegrationOrAdmin] = [AccessToken.Roles.Integration, AccessToken.Roles.Admin],
        [QualityResearcherOrAdmin] = [AccessToken.Roles.Quality, AccessToken.Roles.Researcher, AccessToken.Roles.Admin],
        [QualityOrAdmin] = [AccessToken.Roles.Quality, AccessToken.Roles.Admin],
        [Researcher] = [AccessToken.Roles.Researcher],
        [Admin] = [AccessToken.Roles.Admin],
    };
}

public static class AccessRequirements
{
    /// Admits the policy's roles to every endpoint of the group, and documents the refusals: 401 without
    /// a valid token, 403 for another role or a clinic outside the token.
    public static RouteGroupBuilder RequireAccess(this RouteGroupBuilder group, string policy)
    {
        group.RequireAuthorization(policy).WithMetadata(
            new ProducesResponseTypeMetadata(StatusCodes.Status401Unauthorized, typeof(void)),
            new ProducesResponseTypeMetadata(StatusCodes.Status403Forbidden, typeof(ProblemDetails), ["application/problem+json"]));
        return group;
    }
}
