namespace Outcomes.Service.Ingestion;

/// The record kept for each refused message: enough for an integration engineer to find and fix
/// the message in their engine, and nothing of the patient (the key itself may be an identifier).
/// <param name="Uploader">The token subject of the bulk upload that sent it (its uploader always sees it, even
/// when the line named no valid clinic).</param>
/// <param name="Quota">Whose share of the rejection log it counts against: "uploader:&lt;sub&gt;" or "clinic:&lt;id&gt;".</param>
public sealed record IngestionRejection(
    Guid Id,
    string MessageType,
    Guid? EventId,
    string? ClinicId,
    string Field,
    string Rule,
    string Reason,
    string Queue,
    DateTimeOffset RejectedAt,
    string? ReceivedVia = null,
    long? Line = null,
    Guid? UploadId = null,
    string? Uploader = null,
    string Quota = "");

/// Where a refused message came from: an AMQP queue, or a line of a bulk upload.
public sealed record RejectionSource(string Queue, string ReceivedVia, long? Line = null, Guid? UploadId = null, string? Uploader = null)
{
    public const string Bulk = "bulk";

    public static RejectionSource Amqp(string queue) => new(queue, "amqp");

    public static RejectionSource BulkLine(Guid uploadId, long line, string uploader) => new(Bulk, Bulk, line, uploadId, uploader);

    /// Bulk rejections count against their uploader, AMQP rejections against the clinic they name (or "unknown").
    public string QuotaOf(Rejection rejection) =>
        Uploader is not null ? $"uploader:{Uploader}" : $"clinic:{rejection.ClinicId ?? "unknown"}";
}

