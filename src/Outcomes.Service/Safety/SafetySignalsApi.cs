using System.Security.Claims;
using System.Text.Json;
using Marten;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Outcomes.Contracts;
using Outcomes.Domain.Safety;
using Outcomes.Service.Audit;
using Outcomes.Service.Ingestion;
using Outcomes.Service.Security;

namespace Outcomes.Service.Safety;

/// A follow-up request: a coded reason only.
public sealed record FollowUpRequest(string? Reason);

/// The safety worklist of a clinic's own courses (quality leads and administrators) and its follow-up. Signals
/// support oversight; they do not replace point-of-care screening and suicide-risk protocols.
public static class SafetySignalsApi
{
    private static readonly JsonSerializerOptions StrictJson = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    public static IServiceCollection AddSafetySignals(this IServiceCollection services)
    {
        services.AddOptions<SafetyOptions>().BindConfiguration(SafetyOptions.Section);
        services.ConfigureMarten(options => options.Storage.ExtendedSchemaObjects.Add(new SafetySignalStore(options.DatabaseSchemaName).Definition()));
        services.AddSingleton(sp => new SafetySignalStore(sp.GetRequiredService<IDocumentStore>().Options.Events.DatabaseSchemaName));
        services.AddSingleton<ICourseChangeObserver, SafetySignalWriter>();
        services.AddSingleton<SafetySignals>();
        services.AddHostedService<SignalPublisher>();
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }

    public static IEndpointRouteBuilder MapSafetySignalsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/safety/signals").WithTags("Safety signals").RequireAccess(AccessPolicies.QualityOrAdmin);
        group.MapGet("/", List)
            .WithSummary("The safety worklist of the caller's clinics, newest first")
            .WithDescription("Signals raised as facts arrive: item 9 positive at any assessment, new positive item 9 after a negative baseline, " +
                "worsening (5+ points above baseline or into the severe band), no 25 % drop by session 6. status: open, acknowledged or " +
                "resolved (default: open and acknowledged). Signals support oversight; they do not replace point-of-care screening.")
            .Produces<IReadOnlyList<SignalRow>>()
            .AuditsCourseAccess(CourseAccessKinds.SafetyWorklist);
        group.MapPost("/{id:guid}/acknowledge", (Guid id, HttpContext http, SafetySignals signals, CourseReads reads, CancellationToken ct) =>
                FollowUp(id, http, signals, reads, acknowledge: true, ct))
            .WithSummary("Acknowledge a signal with a coded reason").Accepts<FollowUpRequest>("application/json").Produces<SignalRow>()
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).ProducesValidationProblem()
            .AuditsCourseAccess(CourseAccessKinds.SignalFollowUp);
        group.MapPost("/{id:guid}/resolve", (Guid id, HttpContext http, SafetySignals signals, CourseReads reads, CancellationToken ct) =>
                FollowUp(id, http, signals, reads, acknowledge: false, ct))
            .WithSummary("Resolve a signal with a coded reason").Accepts<FollowUpRequest>("application/json").Produces<SignalRow>()
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).ProducesValidationProblem()
            .AuditsCourseAccess(CourseAccessKinds.SignalFollowUp);
        return app;
    }

    private static async Task<IResult> List(string? clinicId, string? status, ClinicScope scope, SafetySignals signals, CourseReads reads,
        CancellationToken ct)
    {
        if (clinicId is not null && !scope.Includes(clinicId)) return ClinicScope.OutOfScope(clinicId);
        SignalStatus[] statuses;
        if (status is null) statuses = [SignalStatus.Open, SignalStatus.Acknowledged];
        else if (SignalFollowUp.ParseStatus(status) is { } one) statuses = [one];
        else return TypedResults.Problem(statusCode: 400, title: $"status: must be open, acknowledged or resolved, got '{status}'");
        var clinics = clinicId is not null ? [clinicId] : scope.AllClinics ? null : scope.Clinics.ToArray();
        var rows = await signals.List(clinics, statuses, null, ct);
        reads.Clinics(clinics ?? rows.Select(r => r.ClinicId));
        return TypedResults.Ok(rows);
    }

    private static async Task<IResult> FollowUp(Guid id, HttpContext http, SafetySignals signals, CourseReads reads, bool acknowledge,
        CancellationToken ct)
    {
        FollowUpRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<FollowUpRequest>(http.Request.Body, StrictJson, ct);
        }
        catch (JsonException e)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [e.Path ?? "$"] = [e.Message] },
                title: "The body is not a follow-up request ({\"reason\": \"<code>\"})");
        }
        var scope = ClinicScope.Of(http.User);
        var caller = Caller.Of(http.User);
        var (row, violation, missing) = await signals.FollowUp(id, scope, caller, acknowledge, request?.Reason, ct);
        if (missing) return TypedResults.Problem(statusCode: 404, title: $"No signal {id} among this caller's clinics");
        if (violation is { Conflict: true }) return TypedResults.Problem(statusCode: 409, title: $"{violation.Field}: {violation.Rule}");
        if (violation is not null)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [violation.Field] = [violation.Rule] }, title: "The follow-up breaks a rule");
        reads.Course(SafetySignalStore.CourseOf(row!));
        return TypedResults.Ok(row);
    }
}

/// Who acts: the token's subject and the role it acts in (the highest of quality and admin it holds).
public sealed record Caller(string Subject, string Role)
{
    public static Caller Of(ClaimsPrincipal user) => new(
        user.FindFirstValue(ClaimTypes.NameIdentifier) ?? user.FindFirstValue("sub") ?? "unknown",
        user.IsInRole(AccessToken.Roles.Admin) ? AccessToken.Roles.Admin : AccessToken.Roles.Quality);
}

/// Reads and follows up signals; follow-up is stored as Marten events (stream "safety-signal/<id>") and applied to
/// the worklist row in the same transaction.
public sealed class SafetySignals(IDocumentStore documents, NpgsqlDataSource database, SafetySignalStore store, TimeProvider clock)
{
    public async Task<IReadOnlyList<SignalRow>> List(IReadOnlyCollection<string>? clinics, IReadOnlyCollection<SignalStatus> statuses,
        Domain.Courses.CourseKey? course, CancellationToken ct)
    {
        await using var command = database.CreateCommand(
            $"select {SafetySignalStore.Columns} from {store.QualifiedName} where status = any($1)" +
            (clinics is null ? "" : " and clinic_id = any($2)") +
            (course is null ? "" : " and clinic_id = $3 and patient_key = $4 and course = $5") +
            " order by assessment_at desc, signal limit 1000");
        command.Parameters.Add(new NpgsqlParameter { Value = statuses.Select(SignalFollowUp.StatusLabel).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = clinics?.ToArray() ?? [] });
        command.Parameters.Add(new NpgsqlParameter { Value = course?.ClinicId ?? "" });
        command.Parameters.Add(new NpgsqlParameter { Value = course?.PatientKey ?? "" });
        command.Parameters.Add(new NpgsqlParameter { Value = course?.Course ?? 0 });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<SignalRow>();
        while (await reader.ReadAsync(ct)) rows.Add(SafetySignalStore.Read(reader));
        return rows;
    }

    public async Task<(SignalRow? Row, FollowUpViolation? Violation, bool Missing)> FollowUp(Guid id, ClinicScope scope, Caller caller,
        bool acknowledge, string? reason, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        SignalRow? row = null;
        await using (var select = new NpgsqlCommand($"select {SafetySignalStore.Columns} from {store.QualifiedName} where id = $1 for update", connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = id });
            await using var reader = await select.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct)) row = SafetySignalStore.Read(reader);
        }
        // The same answer for a signal that does not exist and one of another clinic: nothing is revealed.
        if (row is null || !scope.Includes(row.ClinicId)) return (null, null, true);
        var status = SignalFollowUp.ParseStatus(row.Status)!.Value;
        var now = clock.GetUtcNow();
        object? fact;
        FollowUpViolation? violation;
        string column;
        if (acknowledge)
        {
            (var e, violation) = SignalFollowUp.Acknowledge(id, status, caller.Subject, caller.Role, now, reason);
            (fact, column) = (e, "acknowledged");
        }
        else
        {
            (var e, violation) = SignalFollowUp.Resolve(id, status, caller.Subject, caller.Role, now, reason);
            (fact, column) = (e, "resolved");
        }
        if (violation is not null) return (null, violation, false);

        await using (var update = new NpgsqlCommand(
            $"update {store.QualifiedName} set status = $2, {column}_by = $3, {column}_at = $4, reason = $5 where id = $1", connection, transaction))
        {
            update.Parameters.Add(new NpgsqlParameter { Value = id });
            update.Parameters.Add(new NpgsqlParameter { Value = column });
            update.Parameters.Add(new NpgsqlParameter { Value = caller.Subject });
            update.Parameters.Add(new NpgsqlParameter { Value = now });
            update.Parameters.Add(new NpgsqlParameter { Value = reason! });
            await update.ExecuteNonQueryAsync(ct);
        }
        // The follow-up event and the worklist row commit together.
        await using (var session = documents.LightweightSession(Marten.Services.SessionOptions.ForTransaction(transaction)))
        {
            session.Events.Append($"safety-signal/{id}", fact!);
            await session.SaveChangesAsync(ct);
        }
        await transaction.CommitAsync(ct);
        return (row with
        {
            Status = column, Reason = reason,
            AcknowledgedBy = acknowledge ? caller.Subject : row.AcknowledgedBy, AcknowledgedAt = acknowledge ? now : row.AcknowledgedAt,
            ResolvedBy = acknowledge ? row.ResolvedBy : caller.Subject, ResolvedAt = acknowledge ? row.ResolvedAt : now,
        }, null, false);
    }
}
