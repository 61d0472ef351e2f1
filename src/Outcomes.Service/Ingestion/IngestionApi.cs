using Marten;
using Npgsql;
using Outcomes.Service.Security;

namespace Outcomes.Service.Ingestion;

/// The ingestion endpoints: the rejection log, its tallies and the bulk upload of contract v1 facts.
public static class IngestionApi
{
    public static IEndpointRouteBuilder MapIngestionApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/ingestion").WithTags("Ingestion").RequireAccess(AccessPolicies.IntegrationOrAdmin);
        group.MapGet("/rejections", ListRejections)
            .WithSummary("Messages refused by validation, newest first")
            .WithDescription("Each refused message also sits in the error queue with its reason. No patient data is kept. " +
                "Roles integration or admin; only the caller's clinics are listed (clinicId outside them: 403), and messages " +
                "whose clinic is unknown only for an admin whose token names every clinic (\"*\"), or with ?uploadId= for the " +
                "uploader of that bulk upload (its lines that named no valid clinic).")
            .Produces<List<IngestionRejection>>()
            .ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapGet("/rejections/counts", ListTallies)
            .WithSummary("Every rejection counted per clinic, uploader, day, field and rule")
            .WithDescription("Complete even where individual records were pruned (the newest Ingestion:RejectionsKept records are kept " +
                "per uploader and per clinic). Values from the messages are taken out of the rules (numbers as #, quoted values as '…'). " +
                "Same visibility as the rejections: the caller's clinics and its own uploads.")
            .Produces<List<RejectionTally>>();
        group.MapPost("/batches", UploadBatch)
            .WithSummary("Bulk load: contract v1 facts as NDJSON, one line per message, validated and de-duplicated as over AMQP")
            .WithDescription("Body application/x-ndjson, streamed: one JSON object per line, {\"routingKey\":\"v1.phq9-completed\"," +
                "\"body\":{...the exact AMQP body...},\"correlationId\":\"...\"} (correlationId and messageId optional). Each line is " +
                "validated with the same rules as an AMQP message; a line for a clinic outside the caller's token is rejected like a " +
                "validation failure. Rejected lines go to the rejection log (receivedVia \"bulk\", with the line number and upload id); " +
                "valid facts are appended in large batches, and an event id already stored is counted as a duplicate, so sending a file " +
                "again stores nothing twice. Lines longer than 64 KiB are rejected. Roles integration or admin. A large file may be sent " +
                "in parts (outcomes load sends 100,000 lines per request, so that no request outlasts a proxy's timeout): " +
                "?uploadId=<uuid>&firstLine=<n> puts every part under one upload id and numbers its lines as the file's lines. " +
                "Every refused line is counted (rejectedByRule, and GET /rejections/counts); the first Ingestion:RejectionsKept of an " +
                "upload are also recorded one by one, under the uploader, who always sees them.")
            .Accepts<BulkLine>(BulkNdjson)
            .Produces<BulkUploadSummary>()
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    public const string BulkNdjson = "application/x-ndjson";

    private static Task<IResult> UploadBatch(HttpContext context, ClinicScope scope, BulkUpload upload,
        ILogger<BulkUpload> logger, string? uploadId, string? firstLine, CancellationToken cancellationToken) =>
        ReceiveUpload(context, logger, uploadId, firstLine,
            (body, uploader, partOf, first) => upload.Run(body, scope, uploader, partOf, first, cancellationToken));

    /// An NDJSON upload's request checks and answer, shared by the bulk upload and the backfill, which differ only in
    /// how they append: <paramref name="run"/> gets the body, the uploader, the upload id of a part and its first line.
    internal static async Task<IResult> ReceiveUpload(HttpContext context, ILogger logger, string? uploadId, string? firstLine,
        Func<System.IO.Pipelines.PipeReader, string, Guid?, long, Task<BulkUploadSummary>> run)
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
            return TypedResults.Ok(await run(context.Request.BodyReader, Uploader(context), partOf, first));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "A bulk upload stopped");
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "The upload stopped before its end; what was appended stays stored. Send the file again: " +
                    "facts already stored are skipped as duplicates.");
        }
    }

    /// The caller's token subject: a bulk upload's rejections are kept under it.
    internal static string Uploader(HttpContext context) => context.User.FindFirst(Outcomes.Contracts.AccessToken.SubjectClaim)?.Value ?? "";

    private static async Task<IResult> ListTallies(HttpContext context, IDocumentStore store, NpgsqlDataSource database, ClinicScope scope,
        string? clinicId, DateOnly? since, CancellationToken cancellationToken)
    {
        if (clinicId is not null && !scope.Includes(clinicId))
            return ClinicScope.OutOfScope(clinicId);
        var table = new RejectionTallyTable(store.Options.DatabaseSchemaName);
        await using var command = database.CreateCommand(
            $"select clinic_id, uploader, day, field, rule, count, last_rejected_at from {table.QualifiedName} " +
            "where ($1 or clinic_id = any($2) or (clinic_id is null and uploader = $3)) and ($4::text is null or clinic_id = $4) and ($5::date is null or day >= $5) " +
            "order by day desc, count desc limit 1000");
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = scope.AllClinics });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = scope.Clinics.ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Uploader(context) });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)clinicId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = since is { } d ? d : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Date });
        var tallies = new List<RejectionTally>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            tallies.Add(new RejectionTally(reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.GetFieldValue<DateOnly>(2), reader.GetString(3), reader.GetString(4), reader.GetInt64(5), reader.GetFieldValue<DateTimeOffset>(6)));
        return TypedResults.Ok(tallies);
    }

    private static async Task<IResult> ListRejections(HttpContext context, IQuerySession session, ClinicScope scope, string? clinicId,
        DateTimeOffset? since, int? limit, Guid? uploadId, CancellationToken cancellationToken)
    {
        var take = limit ?? 100;
        if (take is < 1 or > 1000)
            return TypedResults.Problem(statusCode: 400, title: "limit: must be 1-1000");
        if (clinicId is not null && !scope.Includes(clinicId))
            return ClinicScope.OutOfScope(clinicId);
        IQueryable<IngestionRejection> query;
        if (uploadId is { } upload && !scope.AllClinics)
        {
            // One of the caller's own uploads (its id is in the upload's answer): every refused line of it, also those
            // that named no valid clinic, but nothing of another clinic's.
            var clinics = scope.Clinics.ToArray();
            var uploader = Uploader(context);
            query = session.Query<IngestionRejection>().Where(r => r.UploadId == upload
                && (Enumerable.Contains(clinics, r.ClinicId) || (r.ClinicId == null && r.Uploader == uploader)));
        }
        else
        {
            query = scope.Visible(session.Query<IngestionRejection>(), r => r.ClinicId);
            if (uploadId is { } any) query = query.Where(r => r.UploadId == any);
        }
        if (clinicId is not null) query = query.Where(r => r.ClinicId == clinicId);
        if (since is not null) query = query.Where(r => r.RejectedAt >= since.Value);
        var rejections = await query.OrderByDescending(r => r.RejectedAt).Take(take).ToListAsync(cancellationToken);
        return TypedResults.Ok(rejections);
    }
}
