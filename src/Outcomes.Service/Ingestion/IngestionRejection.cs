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
    DateTimeOffset RejectedAt);

public sealed class RejectionLog(IDocumentStore store, TimeProvider clock, ILogger<RejectionLog> logger)
{
    /// Records a rejection. Keyed by the publisher's event id when there is one, so a redelivered
    /// bad message is recorded once.
    public async Task Record(Rejection rejection, string queue, CancellationToken cancellationToken)
    {
        var record = new IngestionRejection(rejection.EventId ?? Guid.NewGuid(), rejection.MessageType, rejection.EventId,
            rejection.ClinicId, rejection.Field, rejection.Rule, rejection.Reason, queue, clock.GetUtcNow());
        await using var session = store.LightweightSession();
        session.Store(record);
        await session.SaveChangesAsync(cancellationToken);
        logger.LogWarning("Rejected {MessageType} {EventId} from clinic {ClinicId}: {Reason}",
            rejection.MessageType, rejection.EventId, rejection.ClinicId, rejection.Reason);
    }
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
        return app;
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
