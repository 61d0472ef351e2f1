namespace Outcomes.Contracts;

/// <summary>
/// The HTTP API's access token: a JWT signed with HS256 (RFC 7519, RFC 7518 section 3.2) whose claims
/// name the caller, its roles and the clinics it may see. The service validates these claims and the
/// <c>outcomes token</c> command issues them; both read the names from here.
/// </summary>
public static class AccessToken
{
    /// <summary>Claim naming the caller (a person or an integration engine), RFC 7519 section 4.1.2.</summary>
    public const string SubjectClaim = "sub";

    /// <summary>Claim holding the caller's roles: one string, or an array for several.</summary>
    public const string RoleClaim = "role";

    /// <summary>
    /// Claim holding the clinic ids the caller may see: one string, or an array for several.
    /// <see cref="AllClinics"/> stands for every clinic, and counts only together with <see cref="Roles.Admin"/>.
    /// </summary>
    public const string ClinicsClaim = "clinics";

    /// <summary>The <see cref="ClinicsClaim"/> value meaning every clinic; honoured for administrators only.</summary>
    public const string AllClinics = "*";

    /// <summary>Issuer (<c>iss</c>) expected when the configuration names none.</summary>
    public const string DefaultIssuer = "outcomes";

    /// <summary>Audience (<c>aud</c>) expected when the configuration names none.</summary>
    public const string DefaultAudience = "outcomes-api";

    /// <summary>
    /// Least length of the HS256 signing key, in bytes of its UTF-8 text: the hash's output size, as
    /// RFC 7518 section 3.2 requires of an HMAC-SHA-256 key.
    /// </summary>
    public const int MinimumKeyBytes = 32;

    /// <summary>The roles a token may carry.</summary>
    public static class Roles
    {
        /// <summary>A clinic's EHR integration: reads the rejections of its clinics' messages.</summary>
        public const string Integration = "integration";

        /// <summary>A clinic's quality lead: reads its clinics' patient courses and reports.</summary>
        public const string Quality = "quality";

        /// <summary>A researcher: reads patient courses and reports of the clinics in the token.</summary>
        public const string Researcher = "researcher";

        /// <summary>An operator of the service: every endpoint, and every clinic with <see cref="AllClinics"/>.</summary>
        public const string Admin = "admin";

        /// <summary>Every role, in the order above.</summary>
        public static readonly IReadOnlyList<string> All = [Integration, Quality, Researcher, Admin];
    }
}
