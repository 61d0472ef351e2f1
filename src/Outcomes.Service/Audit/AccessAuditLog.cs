using Marten;
using Npgsql;
using NpgsqlTypes;

namespace Outcomes.Service.Audit;

/// The filter of an audit listing; null fields do not filter.
public sealed record AccessAuditQuery(string? ClinicId, string? Subject, DateTimeOffset? Since, int Limit, IReadOnlyCollection<string>? VisibleClinics);

/// The access audit's table: rows are only ever inserted. PostgreSQL itself refuses an update, and a delete outside
/// the retention job (which alone sets the session flag the trigger asks for), so neither a bug nor a hand-written
/// statement through the service's connection can rewrite who read what.
public sealed class AccessAuditLog(IDocumentStore store, NpgsqlDataSource database)
{
    public const string Table = "access_audit";
    private const string RetentionFlag = "outcomes.audit_retention";

    private string Schema => store.Options.Events.DatabaseSchemaName;

    /// Creates the table and its guard if missing, under an advisory lock: idempotent, and several instances may start at once.
    public async Task CreateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            select pg_advisory_xact_lock(hashtext('{Schema}.{Table}'));
            create schema if not exists {Schema};
            create table if not exists {Schema}.{Table} (
              id bigint generated always as identity primary key,
              at timestamptz not null,
              subject text not null,
              client text,
              roles text[] not null,
              clinics text[] not null,
              course_key text,
              what text not null,
              remote_address text);
            create index if not exists {Table}_at on {Schema}.{Table} (at);
            create index if not exists {Table}_subject on {Schema}.{Table} (subject);
            create index if not exists {Table}_clinics on {Schema}.{Table} using gin (clinics);
            create or replace function {Schema}.{Table}_append_only() returns trigger language plpgsql as $guard$
            begin
              if tg_op = 'DELETE' and coalesce(current_setting('{RetentionFlag}', true), '') = 'on' then
                return old;
              end if;
              raise exception 'the access audit is append-only: % refused', tg_op;
            end
            $guard$;
            create or replace trigger {Table}_append_only before update or delete on {Schema}.{Table}
              for each row execute function {Schema}.{Table}_append_only();
            create or replace trigger {Table}_no_truncate before truncate on {Schema}.{Table}
              for each statement execute function {Schema}.{Table}_append_only();
            """, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task AppendAsync(IReadOnlyList<CourseAccess> reads, CancellationToken cancellationToken)
    {
        if (reads.Count == 0) return;
        await using var batch = database.CreateBatch();
        foreach (var read in reads)
        {
            var command = new NpgsqlBatchCommand(
                $"insert into {Schema}.{Table} (at, subject, client, roles, clinics, course_key, what, remote_address) " +
                "values ($1, $2, $3, $4, $5, $6, $7, $8)");
            command.Parameters.Add(new NpgsqlParameter { Value = read.At });
            command.Parameters.Add(new NpgsqlParameter { Value = read.Subject });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)read.Client ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = read.Roles.ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = read.Clinics.ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)read.CourseKey ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = read.What });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)read.RemoteAddress ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            batch.BatchCommands.Add(command);
        }
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// Newest first. A caller who does not see every clinic sees only records whose clinics all lie within its own.
    public async Task<IReadOnlyList<CourseAccess>> ListAsync(AccessAuditQuery query, CancellationToken cancellationToken)
    {
        var conditions = new List<string>();
        await using var command = database.CreateCommand();
        void Condition(string sql, object value)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
            conditions.Add(sql.Replace("?", "$" + command.Parameters.Count, StringComparison.Ordinal));
        }
        if (query.ClinicId is { } clinic) Condition("? = any(clinics)", clinic);
        if (query.Subject is { } subject) Condition("subject = ?", subject);
        if (query.Since is { } since) Condition("at >= ?", since);
        if (query.VisibleClinics is { } visible) Condition("clinics <@ ?", visible.ToArray());
        command.Parameters.Add(new NpgsqlParameter { Value = query.Limit });
        command.CommandText = $"select id, at, subject, client, roles, clinics, course_key, what, remote_address from {Schema}.{Table}" +
            (conditions.Count > 0 ? " where " + string.Join(" and ", conditions) : "") + $" order by id desc limit ${command.Parameters.Count}";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<CourseAccess>();
        while (await reader.ReadAsync(cancellationToken))
            rows.Add(new CourseAccess(reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetFieldValue<string[]>(4), reader.GetFieldValue<string[]>(5),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetString(8)));
        return rows;
    }

    /// The retention job's delete: the only one the table's guard lets through.
    public async Task<int> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var flag = new NpgsqlCommand($"select set_config('{RetentionFlag}', 'on', true)", connection, transaction))
            await flag.ExecuteNonQueryAsync(cancellationToken);
        int deleted;
        await using (var delete = new NpgsqlCommand($"delete from {Schema}.{Table} where at < $1", connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = cutoff });
            deleted = await delete.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return deleted;
    }
}
