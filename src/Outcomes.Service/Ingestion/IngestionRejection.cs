using Marten;
using Outcomes.Service.Security;

namespace Outcomes.Service.Ingestion;

/// The record kept for each refused message: enough for an integration engineer to find and fix
/// the message in their engine, and nothing of the patient (the key itself may be an identifier).
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
    Guid? UploadId = null);

/// Where a refused message came from: an AMQP queue, or a line of a bulk upload.
public sealed record RejectionSource(string Queue, string ReceivedVia, long? Line = null, Guid? UploadId = null)
{
    public const string Bulk = "bulk";

    public static RejectionSource Amqp(string queue) => new(queue, "amqp");

    public static RejectionSource BulkLine(Guid uploadId, long line) => new(Bulk, Bulk, line, uploadId);
}

public sealed class RejectionLog(IDocumentStore store, TimeProvider clock, ILogger<RejectionLog> logger)
{
    /// Records a rejection. Keyed by the publisher's event id when there is one, so a redelivered
    /// bad message is recorded once.
    public async Task Record(Rejection rejection, string queue, CancellationToken cancellationToken)
    {
        await using var session = store.LightweightSession();
        session.Store(ToRecord(rejection, RejectionSource.Amqp(queue)));
        await session.SaveChangesAsync(cancellationToken);
        logger.LogWarning("Rejected {MessageType} {EventId} from clinic {ClinicId}: {Reason}",
            rejection.MessageType, rejection.EventId, rejection.ClinicId, rejection.Reason);
    }

    /// Records the rejections of a bulk upload's lines in one transaction; one log line for all of them,
    /// since a bad file may hold thousands.
    public async Task RecordMany(IReadOnlyList<(Rejection Rejection, RejectionSource Source)> rejections, CancellationToken cancellationToken)
    {
        if (rejections.Count == 0) return;
        await using var session = store.LightweightSession();
        // The same event id twice in one upload is one record, as with a redelivered message; the last line wins.
        session.Store(rejections.Select(r => ToRecord(r.Rejection, r.Source)).Reverse().DistinctBy(r => r.Id).ToArray());
        await session.SaveChangesAsync(cancellationToken);
        logger.LogWarning("Rejected {Count} lines of a bulk upload", rejections.Count);
    }

    private IngestionRejection ToRecord(Rejection rejection, RejectionSource source) =>
        new(rejection.EventId ?? Guid.NewGuid(), rejection.MessageType, rejection.EventId, rejection.ClinicId, rejection.Field,
            rejection.Rule, rejection.Reason, source.Queue, clock.GetUtcNow(), source.ReceivedVia, source.Line, source.UploadId);
}

/// Thrown to hand a refused message to MassTransit's error queue; its message is the reason,
/// which MassTransit puts in the MT-Fault-Message header.
public sealed class ClinicEventRejectedException(Rejection rejection) : Exception(rejection.Reason)
{
    public Rejection Rejection { get; } = rejection;
}

public static class IngestionApi
{
    public static IEndpointRouteBuilder MapIngestionApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/ingestion").WithTags("Ingestion").RequireAccess(AccessPolicies.IntegrationOrAdmin);
        group.MapGet("/rejections", ListRejections)
            .WithSummary("Messages refused by validation, newest first")
            .WithDescription("Each refused message also sits in the error queue with its reason. No patient data is kept. " +
                "Roles integration or admin; only the caller's clinics are listed (clinicId outside them: 403), and messages " +
                "whose clinic is unknown only for an admin whose token names every clinic (\"*\").")
            .Produces<List<IngestionRejection>>()
            .ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapPost("/batches", UploadBatch)
            .WithSummary("Bulk load: contract v1 facts as NDJSON, one line per message, validated and de-duplicated as over AMQP")
            .WithDescription("Body application/x-ndjson, streamed: one JSON object per line, {\"routingKey\":\"v1.phq9-completed\"," +
                "\"body\":{...the exact AMQP body...},\"correlationId\":\"...\"} (correlationId and messageId optional). Each line is " +
                "validated with the same rules as an AMQP message; a line for a clinic outside the caller's token is rejected like a " +
                "validation failure. Rejected lines go to the rejection log (receivedVia \"bulk\", with the line number and upload id); " +
                "valid facts are appended in large batches, and an event id already stored is counted as a duplicate, so sending a file " +
                "again stores nothing twice. Lines longer than 64 KiB are rejected. Roles integration or admin. A large file may be sent " +
                "in parts (outcomes load sends 100,000 lines per request, so that no request outlasts a proxy's timeout): " +
                "?uploadId=<uuid>&firstLine=<n> puts every part under one upload id and numbers its lines as the file's lines.")
            .Accepts<BulkLine>(BulkNdjson)
            .Produces<BulkUploadSummary>()
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    public const string BulkNdjson = "application/x-ndjson";

    private static async Task<IResult> UploadBatch(HttpContext context, ClinicScope scope, BulkUpload upload,
        ILogger<BulkUpload> logger, string? uploadId, string? firstLine, CancellationToken cancellationToken)
    {
        var contentType = context.Request.ContentType?.Split(';')[0].Trim();
        if (contentType is not (BulkNdjson or "application/jsonl" or "application/ndjson"))
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: $"Content-Type must be {BulkNdjson} (one JSON object per line)");
        // Parsed here rather than bound, so that a bad value is answered with its name and rule.
        var first = 1L;
        if (firstLine is not null && (!long.TryParse(firstLine, System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out first) || first < 1))
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest,
                title: "firstLine: must be a whole number, 1 or more (the file's line number of the body's first line)");
        Guid? partOf = null;
        if (uploadId is not null)
        {
            if (!Guid.TryParse(uploadId, System.Globalization.CultureInfo.InvariantCulture, out var id) || id == Guid.Empty)
                return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest,
                    title: "uploadId: must be a UUID other than all zeros (the same for every part of one file)");
            partOf = id;
        }
        // Uploads are as large as a clinic's history: memory is bounded by the batch, not by the body.
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = null;
        try
        {
            return TypedResults.Ok(await upload.Run(context.Request.BodyReader, scope, partOf, first, cancellationToken));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "A bulk upload stopped");
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "The upload stopped before its end; what was appended stays stored. Send the file again: " +
                    "facts already stored are skipped as duplicates.");
        }
    }

    private static async Task<IResult> ListRejections(IQuerySession session, ClinicScope scope, string? clinicId,
        DateTimeOffset? since, int? limit, CancellationToken cancellationToken)
    {
        var take = limit ?? 100;
        if (take is < 1 or > 1000)
            return TypedResults.Problem(statusCode: 400, title: "limit: must be 1-1000");
        if (clinicId is not null && !scope.Includes(clinicId))
            return ClinicScope.OutOfScope(clinicId);
        var query = scope.Visible(session.Query<IngestionRejection>(), r => r.ClinicId);
        if (clinicId is not null) query = query.Where(r => r.ClinicId == clinicId);
        if (since is not null) query = query.Where(r => r.RejectedAt >= since.Value);
        var rejections = await query.OrderByDescending(r => r.RejectedAt).Take(take).ToListAsync(cancellationToken);
        return TypedResults.Ok(rejections);
    }
}
