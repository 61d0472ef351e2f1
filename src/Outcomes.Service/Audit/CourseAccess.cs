using System.Net;
using System.Security.Claims;
using Outcomes.Contracts;
using Outcomes.Service.Security;

namespace Outcomes.Service.Audit;

/// One read of course-level data, as the access audit keeps it: who (subject, client, roles), which clinics and
/// course, what was read, when and from where. Never the data itself: no PHQ-9 value, no attribute of the course.
public sealed record CourseAccess(
    long Id,
    DateTimeOffset At,
    string Subject,
    string? Client,
    IReadOnlyList<string> Roles,
    IReadOnlyList<string> Clinics,
    string? CourseKey,
    string What,
    string? RemoteAddress)
{
    public static string SubjectOf(ClaimsPrincipal caller) => caller.FindFirstValue(AccessToken.SubjectClaim) ?? "";

    public static string? ClientOf(ClaimsPrincipal caller) =>
        ProviderClaims.ClientClaims.Select(caller.FindFirstValue).FirstOrDefault(v => !string.IsNullOrEmpty(v));

    public static string[] RolesOf(ClaimsPrincipal caller) =>
        caller.FindAll(AccessToken.RoleClaim).Select(c => c.Value).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    public static string? AddressOf(IPAddress? address) =>
        address is null ? null : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
}

/// What a course-level endpoint reads, in the words the audit lists it by.
public static class CourseAccessKinds
{
    /// `GET /api/v1/patients/{clinicId}/{patientKey}`: one course with its sessions and PHQ-9 series.
    public const string PatientCourse = "patient-course";

    /// `POST /api/v1/exports`: row-level data of every course of a clinic set, recorded once with the set.
    public const string ResearchExport = "research-export";

    /// The safety worklist (API and page): signals of a clinic set with patient keys and PHQ-9 values, once with the set.
    public const string SafetyWorklist = "safety-worklist";

    /// Acknowledging or resolving one course's signal.
    public const string SignalFollowUp = "signal-follow-up";

    /// The dashboard's patient timeline: one course on one page.
    public const string PatientTimeline = "patient-timeline";
}
