using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Exports;

namespace Outcomes.Service.Exports;

/// The audit record of one export, appended to the audit stream once the archive was sent (Delivered) or the
/// caller went away part way (not Delivered: some bytes may have left). Who: the token's subject, roles and clinics.
/// Reproduction: the archive is byte-identical to an earlier audited export (Reproduces names it); any other export,
/// from a manifest or not, is a new one.
public sealed record ExportRecorded(
    Guid ExportId,
    DateTimeOffset RecordedAt,
    string Subject,
    IReadOnlyList<string> Roles,
    IReadOnlyList<string> Clinics,
    string? Report,
    CohortFilter Filter,
    string DefinitionsId,
    string DefinitionsVersion,
    string DefinitionsFingerprint,
    int ReleaseId,
    long EventStorePosition,
    DateTimeOffset AsOf,
    string Seed,
    string Format,
    string ClinicIdentifiers,
    Deidentification Deidentification,
    IReadOnlyList<ExportFile> Files,
    string ArchiveSha256,
    long ArchiveBytes,
    bool Reproduction,
    Guid? Reproduces,
    bool Delivered)
{
    /// Every export's record is in this one stream (not a course stream: its key has no clinic).
    public const string AuditStream = "exports-audit";
}
