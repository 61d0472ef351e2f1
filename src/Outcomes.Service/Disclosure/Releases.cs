using System.Security.Cryptography;
using Marten;
using Npgsql;
using Outcomes.Domain.Disclosure;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.CourseOutcomes;
using Outcomes.Service.EventStore;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Outcomes.Service.Disclosure;

/// A release as the API lists it: its point, how many courses its snapshot holds, whether it still answers.
public sealed record ReleaseSummary(int Id, long EventStorePosition, DateTimeOffset CutAt, DateTimeOffset StoreTime, int Courses, bool Answers);

/// Why a release could not be cut now.
public sealed class ReleaseNotPossibleException(string message) : Exception(message);

/// Release points of the protected tier and their snapshots. A release copies the outcome read model's rows, in one
/// snapshot with the event-store position they stand at, into its own table: every protected answer for that release
/// reads the same courses however late it is asked, and as fast as a latest report. Also keeps the deployment's
/// record-key secret, created once on first use.
public sealed class Releases(IDocumentStore store, NpgsqlDataSource database, OutcomeReadModel readModel, OutcomeReadModelStatus status,
    OutcomeDefinitions definitions, Microsoft.Extensions.Options.IOptions<DisclosureOptions> options, ILogger<Releases> logger)
{
    public const string ReleasesTable = "disclosure_releases";
    public const string CoursesTable = "disclosure_release_courses";
    public const string SecretTable = "disclosure_secret";

    // One reference, replaced whole: requests read it concurrently.
    private KnownKeys? _recordKeys;

    private sealed record KnownKeys(byte[] Secret, RecordKeys Keys);

    private string Schema => store.Options.Events.DatabaseSchemaName;

    /// The tables, created and migrated by Marten with its own objects at start-up.
    public static IEnumerable<Table> Tables(string schema)
    {
        var releases = new Table(new PostgresqlObjectName(schema, ReleasesTable, SchemaUtils.IdentifierUsage.General));
        releases.AddColumn<int>("id").AsPrimaryKey();
        releases.AddColumn<long>("position").NotNull();
        releases.AddColumn("store_time", "timestamptz").NotNull();
        releases.AddColumn("cut_at", "timestamptz").NotNull();
        releases.AddColumn<string>("definitions").NotNull();
        releases.AddColumn<int>("courses").NotNull();
        releases.AddColumn<bool>("dropped").NotNull().DefaultValueByExpression("false");

        var courses = new Table(new PostgresqlObjectName(schema, CoursesTable, SchemaUtils.IdentifierUsage.General));
        courses.AddColumn<int>("release_id").AsPrimaryKey();
        courses.AddColumn<string>("course_key").AsPrimaryKey();
        courses.AddColumn<string>("clinic_id").NotNull();
        courses.AddColumn("outcome", "bytea").NotNull();
        // The course's facts as the read model held them at the release: research exports of the release read them.
        courses.AddColumn("course_facts", "bytea");
        // The course's record key (RecordKeys), computed as the release is cut: a protected report reads it with the row.
        // Null in releases cut before the column existed; those keys are derived when read.
        courses.AddColumn("record_key", "smallint");

        var secret = new Table(new PostgresqlObjectName(schema, SecretTable, SchemaUtils.IdentifierUsage.General));
        secret.AddColumn<int>("id").AsPrimaryKey();
        secret.AddColumn("secret", "bytea").NotNull();
        return [releases, courses, secret];
    }

    /// The record keys of this deployment: HMAC under a secret made once and kept in the database, so keys survive
    /// restarts and every instance agrees, and nobody reading the reports can compute a course's key.
    /// The secret is read each time (one small row) and the keys kept while it is unchanged: a secret replaced in the
    /// table (the golden-output check pins one) is used from the next report or cut on.
    public async Task<RecordKeys> RecordKeysAsync(CancellationToken cancellationToken)
    {
        var secret = await ReadSecretAsync(cancellationToken);
        if (secret is null)
        {
            // The first use makes it; two instances racing keep the first insert.
            await using (var create = database.CreateCommand($"insert into {Schema}.{SecretTable} (id, secret) values (1, $1) on conflict (id) do nothing"))
            {
                create.Parameters.Add(new NpgsqlParameter { Value = RandomNumberGenerator.GetBytes(32) });
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
            secret = (await ReadSecretAsync(cancellationToken))!;
        }
        if (_recordKeys is { } known && known.Secret.AsSpan().SequenceEqual(secret)) return known.Keys;
        var keys = new RecordKeys(secret);
        _recordKeys = new KnownKeys(secret, keys);
        return keys;
    }

    private async Task<byte[]?> ReadSecretAsync(CancellationToken cancellationToken)
    {
        await using var read = database.CreateCommand($"select secret from {Schema}.{SecretTable} where id = 1");
        return await read.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    public async Task<IReadOnlyList<ReleaseSummary>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"select id, position, cut_at, store_time, courses, not dropped and definitions = $1 from {Schema}.{ReleasesTable} order by id desc");
        command.Parameters.Add(new NpgsqlParameter { Value = CourseOutcomeTable.DefinitionsKey(definitions) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<ReleaseSummary>();
        while (await reader.ReadAsync(cancellationToken))
            list.Add(new ReleaseSummary(reader.GetInt32(0), reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2),
                reader.GetFieldValue<DateTimeOffset>(3), reader.GetInt32(4), reader.GetBoolean(5)));
        return list;
    }

    /// The latest release that answers (at <paramref name="position"/> when given), or null.
    public async Task<(ReleasePoint Point, DateTimeOffset StoreTime)?> FindAsync(long? position, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"select id, position, cut_at, store_time from {Schema}.{ReleasesTable} where not dropped and definitions = $1" +
            (position is null ? "" : " and position = $2") + " order by id desc limit 1");
        command.Parameters.Add(new NpgsqlParameter { Value = CourseOutcomeTable.DefinitionsKey(definitions) });
        if (position is { } p) command.Parameters.Add(new NpgsqlParameter { Value = p });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        return (new ReleasePoint(reader.GetInt32(0), reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2)),
            reader.GetFieldValue<DateTimeOffset>(3));
    }

    /// The members of a release, of the given clinics (all when null).
    /// From a streaming replica (<paramref name="from"/>) once it has replayed the release (ReportReads.WaitForRowAsync
    /// with <see cref="ReleaseRow"/>).
    public async Task<PositionedMembers> ReadAsync(ReleasePoint release, DateTimeOffset storeTime, IReadOnlyCollection<string>? clinics,
        CancellationToken cancellationToken, NpgsqlDataSource? from = null)
    {
        await using var connection = await (from ?? database).OpenConnectionAsync(cancellationToken);
        await using var rows = new NpgsqlCommand(
            $"select course_key, outcome, record_key from {Schema}.{CoursesTable} where release_id = $1" + (clinics is null ? "" : " and clinic_id = any($2)"),
            connection);
        rows.Parameters.Add(new NpgsqlParameter { Value = release.Id });
        if (clinics is not null) rows.Parameters.Add(new NpgsqlParameter { Value = clinics.ToArray() });
        return await readModel.ReadRows(rows, release.EventStorePosition, storeTime, cancellationToken, withRecordKeys: true);
    }

    /// A query that finds release $1 once its snapshot is stored (the release row commits with its courses).
    public string ReleaseRow => $"select id from {Schema}.{ReleasesTable} where id = $1 and not dropped";

    /// Cuts a release now: the read model's rows at the latest position, in one snapshot. Keeps the snapshots of the
    /// newest KeepReleases releases and drops the rest.
    public async Task<ReleaseSummary> CutAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!await status.IsCurrentAsync(cancellationToken))
            throw new ReleaseNotPossibleException("the outcome read model is being rebuilt; a release can be cut once it is current");
        var (inner, outer) = (await RecordKeysAsync(cancellationToken)).Pads();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        await using (var serialise = new NpgsqlCommand($"select pg_advisory_xact_lock(hashtext('{Schema}.{ReleasesTable}'))", connection, transaction))
            await serialise.ExecuteNonQueryAsync(cancellationToken);
        var (position, storeTime) = await EventStorePosition.LatestAsync(connection, transaction, Schema, cancellationToken);
        var table = readModel.Table.QualifiedName;
        await using var cut = new NpgsqlCommand(
            $"""
            with release as (
                insert into {Schema}.{ReleasesTable} (id, position, store_time, cut_at, definitions, courses)
                select coalesce(max(id), 0) + 1, $1, $2, $3, $4, (select count(*) from {table} where definitions = $4)
                from {Schema}.{ReleasesTable}
                returning id, courses)
            insert into {Schema}.{CoursesTable} (release_id, course_key, clinic_id, outcome, course_facts, record_key)
            select release.id, o.course_key, o.clinic_id, o.outcome, o.course_facts,
                   get_byte(sha256($6 || sha256($5 || convert_to(o.course_key, 'UTF8'))), 0)
            from {table} o, release where o.definitions = $4
            order by o.course_key
            """, connection, transaction);
        cut.Parameters.Add(new NpgsqlParameter { Value = position });
        cut.Parameters.Add(new NpgsqlParameter { Value = storeTime });
        cut.Parameters.Add(new NpgsqlParameter { Value = now });
        cut.Parameters.Add(new NpgsqlParameter { Value = CourseOutcomeTable.DefinitionsKey(definitions) });
        // HMAC-SHA256 (RFC 2104) of the course key, as RecordKeys.Of derives it: the course key column is CourseKey.ToString().
        cut.Parameters.Add(new NpgsqlParameter { Value = inner });
        cut.Parameters.Add(new NpgsqlParameter { Value = outer });
        await cut.ExecuteNonQueryAsync(cancellationToken);
        await using (var drop = new NpgsqlCommand(
            $"""
            with old as (select id from {Schema}.{ReleasesTable} where not dropped order by id desc offset $1),
                 marked as (update {Schema}.{ReleasesTable} set dropped = true where id in (select id from old))
            delete from {Schema}.{CoursesTable} where release_id in (select id from old)
            """, connection, transaction))
        {
            drop.Parameters.Add(new NpgsqlParameter { Value = options.Value.KeepReleases });
            await drop.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        // A release's rows go in course-key order, so that reading one release by the primary key (release, course key)
        // reads its pages in turn; fresh statistics make the planner do so rather than scan every release kept.
        await using (var analyse = new NpgsqlCommand($"analyze {Schema}.{CoursesTable}", connection))
            await analyse.ExecuteNonQueryAsync(cancellationToken);
        var latest = (await ListAsync(cancellationToken))[0];
        logger.LogInformation("Release {Release} cut at position {Position}: {Courses} courses", latest.Id, latest.EventStorePosition, latest.Courses);
        return latest;
    }
}
