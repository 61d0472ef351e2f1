using Marten;
using Microsoft.Extensions.Options;
using Npgsql;
using Outcomes.Service.Security;

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

/// Keeps the rejection log bounded (issue 12 point 8: 200,000 "{}" lines once wrote 109 MB of records).
/// Every rejection is counted, per quota, clinic, day, field and rule (RejectionTallyTable); individual records
/// are kept for the newest IngestionOptions.RejectionsKept of each quota (an uploader, or a clinic): a bulk
/// upload writes at most that many, and older records of the quota are pruned as newer arrive.
public sealed class RejectionLog(IDocumentStore store, NpgsqlDataSource database, TimeProvider clock,
    IOptions<IngestionOptions> options, ILogger<RejectionLog> logger)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _sincePrune = new(StringComparer.Ordinal);

    private int Kept => options.Value.RejectionsKept;

    private readonly System.Threading.Channels.Channel<(IngestionRejection Record, TaskCompletionSource Done)> _pending =
        System.Threading.Channels.Channel.CreateUnbounded<(IngestionRejection, TaskCompletionSource)>(new() { SingleReader = true });
    private int _writerStarted;

    /// Records one refused AMQP message; completes when it is committed. Every record has its own id: a later
    /// rejection never replaces an earlier one. Records arriving together are written together (one transaction,
    /// one tally statement), so that a burst of bad messages costs the database little more than one of them.
    public Task Record(Rejection rejection, RejectionSource source, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _writerStarted, 1) == 0)
            _ = Task.Run(WriteRecords, CancellationToken.None);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending.Writer.TryWrite((ToRecord(rejection, source), done));
        logger.LogDebug("Rejected {MessageType} {EventId} from clinic {ClinicId}: {Reason}",
            rejection.MessageType, rejection.EventId, rejection.ClinicId, rejection.Reason);
        return done.Task.WaitAsync(cancellationToken);
    }

    private async Task WriteRecords()
    {
        var batch = new List<(IngestionRejection Record, TaskCompletionSource Done)>();
        while (await _pending.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < 1000 && _pending.Reader.TryRead(out var next))
                batch.Add(next);
            try
            {
                var records = batch.Select(b => b.Record).ToArray();
                await using (var session = store.LightweightSession())
                {
                    session.Store(records);
                    await session.SaveChangesAsync(CancellationToken.None).ConfigureAwait(false);
                }
                await Count(records, CancellationToken.None).ConfigureAwait(false);
                foreach (var quota in records.GroupBy(r => r.Quota))
                    await PruneIfDue(quota.Key, quota.Count(), CancellationToken.None).ConfigureAwait(false);
                logger.LogWarning("Rejected {Count} messages: {Reasons}", records.Length,
                    string.Join("; ", records.GroupBy(r => r.Reason).Take(5).Select(g => $"{g.Count()} x {g.Key}")));
                foreach (var (_, done) in batch) done.TrySetResult();
            }
            catch (Exception ex)
            {
                // The consumers retry their messages: nothing is lost, the refusals are recorded on the next delivery.
                logger.LogWarning(ex, "Recording {Count} rejections failed", batch.Count);
                foreach (var (_, done) in batch) done.TrySetException(ex);
            }
        }
    }

    /// Records the rejections of a bulk upload's lines: all counted, the first <paramref name="keep"/> stored as
    /// records. One log line for all of them, since a bad file may hold thousands.
    public async Task RecordMany(IReadOnlyList<(Rejection Rejection, RejectionSource Source)> rejections, int keep, CancellationToken cancellationToken)
    {
        if (rejections.Count == 0) return;
        var records = rejections.Select(r => ToRecord(r.Rejection, r.Source)).ToArray();
        if (keep > 0)
        {
            await using var session = store.LightweightSession();
            session.Store(records.Take(keep).ToArray());
            await session.SaveChangesAsync(cancellationToken);
            foreach (var quota in records.Take(keep).GroupBy(r => r.Quota))
                await PruneIfDue(quota.Key, quota.Count(), cancellationToken);
        }
        await Count(records, cancellationToken);
        logger.LogWarning("Rejected {Count} lines of a bulk upload ({Kept} recorded one by one)", rejections.Count, Math.Min(keep, records.Length));
    }

    /// How many records of one upload may still be stored one by one.
    public int UploadAllowance => Kept;

    private async Task Count(IReadOnlyList<IngestionRejection> records, CancellationToken cancellationToken)
    {
        var tallies = records.GroupBy(r => (r.Quota, r.ClinicId, r.Uploader, Day: DateOnly.FromDateTime(r.RejectedAt.UtcDateTime),
                Field: RejectionTallyTable.FieldOf(r.Field, r.Rule), Rule: RejectionTallyTable.RuleOf(r.Rule)))
            .Select(g => (g.Key, Count: g.LongCount(), Last: g.Max(r => r.RejectedAt)))
            .ToArray();
        var table = new RejectionTallyTable(store.Options.DatabaseSchemaName);
        await using var command = database.CreateCommand(table.Upsert);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = tallies.Select(t => t.Key.Quota).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = tallies.Select(t => t.Key.ClinicId).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = tallies.Select(t => t.Key.Uploader).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<DateOnly[]> { TypedValue = tallies.Select(t => t.Key.Day).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = tallies.Select(t => t.Key.Field).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = tallies.Select(t => t.Key.Rule).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = tallies.Select(t => t.Count).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = tallies.Select(t => t.Last).ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // Pruning costs a query, so it runs once a tenth of the quota has arrived since the last: a quota holds at most
    // 1.1 x RejectionsKept records at any time.
    private async Task PruneIfDue(string quota, int added, CancellationToken cancellationToken)
    {
        var since = _sincePrune.AddOrUpdate(quota, added, (_, n) => n + added);
        if (since < Math.Max(1, Kept / 10)) return;
        _sincePrune[quota] = 0;
        await using var session = store.LightweightSession();
        var cutoff = await session.Query<IngestionRejection>().Where(r => r.Quota == quota).OrderByDescending(r => r.RejectedAt)
            .Skip(Kept).Select(r => r.RejectedAt).FirstOrDefaultAsync(cancellationToken);
        if (cutoff == default) return;
        session.DeleteWhere<IngestionRejection>(r => r.Quota == quota && r.RejectedAt <= cutoff);
        await session.SaveChangesAsync(cancellationToken);
    }

    private IngestionRejection ToRecord(Rejection rejection, RejectionSource source) =>
        new(Guid.CreateVersion7(), rejection.MessageType, rejection.EventId, rejection.ClinicId, rejection.Field,
            rejection.Rule, rejection.Reason, source.Queue, clock.GetUtcNow(), source.ReceivedVia, source.Line, source.UploadId,
            source.Uploader, source.QuotaOf(rejection));
}

/// Counts of rejections per quota, clinic, uploader, day, field and rule: complete even where the individual
/// records have been pruned. Field and rule are reduced to their shape (no values from the message), so the
/// number of rows grows with days and kinds of mistakes, not with the messages sent.
public sealed record RejectionTally(string? ClinicId, string? Uploader, DateOnly Day, string Field, string Rule, long Count, DateTimeOffset LastRejectedAt);

public sealed partial class RejectionTallyTable(string schema)
{
    public const string Name = "rejection_tallies";

    public string QualifiedName { get; } = $"{schema}.{Name}";

    public Weasel.Postgresql.Tables.Table Definition()
    {
        var table = new Weasel.Postgresql.Tables.Table(new Weasel.Postgresql.PostgresqlObjectName(schema, Name, Weasel.Postgresql.SchemaUtils.IdentifierUsage.General));
        table.AddColumn<string>("quota").AsPrimaryKey();
        table.AddColumn<string>("clinic_key").AsPrimaryKey();
        table.AddColumn<DateOnly>("day").AsPrimaryKey();
        table.AddColumn<string>("field").AsPrimaryKey();
        table.AddColumn<string>("rule").AsPrimaryKey();
        table.AddColumn<string>("clinic_id");
        table.AddColumn<string>("uploader");
        table.AddColumn<long>("count").NotNull();
        table.AddColumn("last_rejected_at", "timestamptz").NotNull();
        return table;
    }

    public string Upsert =>
        $"insert into {QualifiedName} (quota, clinic_key, day, field, rule, clinic_id, uploader, count, last_rejected_at) " +
        "select q, coalesce(c, ''), d, f, r, c, u, n, l from unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::text[], $6::text[], " +
        "$7::bigint[], $8::timestamptz[]) as t(q, c, u, d, f, r, n, l) " +
        "on conflict (quota, clinic_key, day, field, rule) do update set count = " + Name + ".count + excluded.count, " +
        "last_rejected_at = greatest(" + Name + ".last_rejected_at, excluded.last_rejected_at)";

    /// An unknown property's name is the sender's text: counted under one field.
    public static string FieldOf(string field, string rule) =>
        rule.StartsWith("unknown property", StringComparison.Ordinal) ? "(unknown property)" : Bounded(field, 64);

    /// The rule with quoted values and numbers taken out: "must equal the sum of the items (#), got #".
    public static string RuleOf(string rule) => Bounded(Digits().Replace(Quoted().Replace(rule, "'…'"), "#"), 300);

    private static string Bounded(string text, int length) => text.Length <= length ? text : text[..length];

    [System.Text.RegularExpressions.GeneratedRegex("'[^']*'")]
    private static partial System.Text.RegularExpressions.Regex Quoted();

    [System.Text.RegularExpressions.GeneratedRegex(@"\d+")]
    private static partial System.Text.RegularExpressions.Regex Digits();
}

/// Thrown to hand a refused message to MassTransit's error queue; its message is the reason,
/// which MassTransit puts in the MT-Fault-Message header.
public sealed class ClinicEventRejectedException(Rejection rejection) : Exception(rejection.Reason)
{
    public Rejection Rejection { get; } = rejection;

    /// A refusal is about the message, not the code: no stack trace. MassTransit formats the trace of every fault
    /// for its headers and log (with source lines from the PDBs), which cost about 1.5 ms of CPU per refused
    /// message, measured with 5 % poison (docs/benchmarks.md); and the trace named the build's paths.
    public override string? StackTrace => null;
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
