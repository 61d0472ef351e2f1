using Microsoft.Extensions.Options;
using Outcomes.Service.Ingestion;
using Outcomes.Service.Security;

namespace Outcomes.Service.Backfill;

/// `POST /api/v1/ingestion/backfill`: a new clinic's history, read and validated as the bulk upload reads it, written by
/// BackfillWriter. Admin only: it holds mt_events against live appends for the length of each batch's write.
public static class BackfillApi
{
    public static IServiceCollection AddBackfill(this IServiceCollection services)
    {
        services.AddOptions<BackfillOptions>().BindConfiguration(BackfillOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<BackfillWriter>();
        return services;
    }

    public static IEndpointRouteBuilder MapBackfillApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/ingestion").WithTags("Ingestion").RequireAccess(AccessPolicies.Admin);
        group.MapPost("/backfill", Upload)
            .WithSummary("Backfill: a clinic's history as NDJSON, validated and de-duplicated as the bulk upload, written with binary COPY")
            .WithDescription("The body, the query (?uploadId=&firstLine=), the rejections and the answer are the bulk upload's " +
                "(POST /api/v1/ingestion/batches). Facts of courses that have no stored stream are written with binary COPY in batches of " +
                "Backfill:Batch, the course documents, outcome read model and safety signals after them in the same transaction; facts of a " +
                "course already stored (live facts, an earlier upload) go through the normal path. Sending the file again stores nothing " +
                "twice. Role admin. `outcomes backfill FILE` sends a file in parts.")
            .Accepts<BulkLine>(IngestionApi.BulkNdjson)
            .Produces<BulkUploadSummary>()
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static Task<IResult> Upload(HttpContext context, ClinicScope scope, BulkUpload upload, BackfillWriter writer,
        IOptions<BackfillOptions> options, ILogger<BackfillWriter> logger, string? uploadId, string? firstLine, CancellationToken cancellationToken) =>
        IngestionApi.ReceiveUpload(context, logger, uploadId, firstLine, async (body, uploader, partOf, first) =>
        {
            var session = writer.Begin();
            try
            {
                var summary = await upload.Run(body, scope, uploader, partOf, first, session.Submit, options.Value.Batch,
                    keepCoursesTogether: true, cancellationToken);
                await session.Complete();
                return summary;
            }
            catch
            {
                await session.Abandon();
                throw;
            }
        });
}
