using Marten;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Outcomes.Domain.Disclosure;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Outcomes.Service.Disclosure;

/// What the lock-out decided for one protected report: the slots to withhold (0: the whole cohort), or that the
/// subject has used its budget of cohorts at this release.
public sealed record LockOutDecision(IReadOnlySet<int> Withheld, bool BudgetUsed, int Budget);

/// i2b2's lock-out of near-identical queries, for the protected tier (analytics/methods/disclosure-control.md). Per
/// subject it keeps the signature of every cohort (report slot) it was answered, at every release, and withholds a slot
/// that differs from one of them by exactly one course: that pair is the differencing attack (within a release, or the
/// same filter at the next release after one course joined), and many such pairs averaged would wear the cell-key noise
/// down. Asking a cohort again is free (the same courses get the same noise). The distinct cohorts a subject may be
/// answered per release are bounded (Disclosure:ProtectedCohortsPerRelease). Rows are kept for good: an answer once
/// given stays known to its asker.
public sealed class DifferencingLockOut(IDocumentStore store, NpgsqlDataSource database, IOptions<DisclosureOptions> options)
{
    public const string AskedTable = "disclosure_asked_cohorts";

    // The hashes of every course of the kept releases, sorted, for the newest release they were read at: the course a
    // pair differs by may be one this report did not read (another clinic, another release). One reference, replaced
    // whole; read once per release per process (300,000 courses: a few hundred ms, 2.4 MB).
    private CourseHashes? _courses;

    private sealed record CourseHashes(long Release, long[] Sorted);

    private string Schema => store.Options.Events.DatabaseSchemaName;

    public static Table Table(string schema)
    {
        var asked = new Table(new PostgresqlObjectName(schema, AskedTable, SchemaUtils.IdentifierUsage.General));
        // Looked up by subject and size, across releases; counted by subject and release.
        asked.AddColumn<string>("subject").AsPrimaryKey();
        asked.AddColumn<int>("courses").AsPrimaryKey();
        asked.AddColumn<long>("hash_sum").AsPrimaryKey();
        asked.AddColumn<int>("release_id").AsPrimaryKey();
        asked.AddColumn("asked_at", "timestamptz").NotNull();
        return asked;
    }

    public async Task<LockOutDecision> DecideAsync(string subject, ReleasePoint release, CohortSignatures signatures,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(release);
        ArgumentNullException.ThrowIfNull(signatures);
        var budget = options.Value.ProtectedCohortsPerRelease;
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // One subject's questions are decided one at a time: two requests at once cannot both pass as the first of a pair.
        await using (var serialise = new NpgsqlCommand("select pg_advisory_xact_lock(hashtext($1))", connection, transaction))
        {
            serialise.Parameters.Add(new NpgsqlParameter { Value = $"{Schema}.{AskedTable}/{subject}" });
            await serialise.ExecuteNonQueryAsync(cancellationToken);
        }

        var slots = signatures.Slots.Count;
        var sets = Enumerable.Range(0, slots).SelectMany(signatures.Of).ToList();
        // Only sets of the same size or one apart can be a repeat or a pair; at any release (one course joined since).
        var sizes = sets.SelectMany(s => new[] { s.Courses - 1, s.Courses, s.Courses + 1 }).Distinct().ToArray();
        var known = new HashSet<CohortSignature>();
        await using (var read = new NpgsqlCommand(
            $"select distinct courses, hash_sum from {Schema}.{AskedTable} where subject = $1 and courses = any($2)", connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = subject });
            read.Parameters.Add(new NpgsqlParameter { Value = sizes });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) known.Add(new CohortSignature(reader.GetInt32(0), reader.GetInt64(1)));
        }
        // The store's course hashes are needed only when some set is one course larger or smaller than another (asked
        // before, or in this report): most reports have none, and then skip reading them.
        var sizesSeen = known.Select(k => k.Courses).Concat(sets.Select(s => s.Courses)).ToHashSet();
        long[] courses = sets.Any(s => sizesSeen.Contains(s.Courses - 1) || sizesSeen.Contains(s.Courses + 1))
            ? await CourseHashesAsync(connection, transaction, cancellationToken)
            : [];
        bool IsCourse(long hash) => Array.BinarySearch(courses, hash) >= 0;
        long asked;
        await using (var count = new NpgsqlCommand(
            $"select count(*) from {Schema}.{AskedTable} where subject = $1 and release_id = $2", connection, transaction))
        {
            count.Parameters.Add(new NpgsqlParameter { Value = subject });
            count.Parameters.Add(new NpgsqlParameter { Value = release.Id });
            asked = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
        }

        var withheld = new HashSet<int>();
        var fresh = new List<CohortSignature>();
        for (var slot = 0; slot < slots; slot++)
        {
            // A slot is a pair with a set asked before if its courses or its eligible courses are one course from it.
            var unknown = signatures.Of(slot).Where(set => !known.Contains(set)).ToList();
            if (unknown.Any(set => known.Any(other => CohortSignatures.DifferByOneCourse(set, other, IsCourse))))
            {
                withheld.Add(slot);
                continue;
            }
            foreach (var set in unknown)
            {
                fresh.Add(set);
                known.Add(set);
            }
        }
        // A whole cohort withheld takes its groups with it: published groups would add up to it.
        if (withheld.Contains(0))
        {
            withheld.UnionWith(Enumerable.Range(0, slots));
            fresh.Clear();
        }
        if (asked + fresh.Count > budget) return new LockOutDecision(withheld, BudgetUsed: true, budget);

        if (fresh.Count > 0)
        {
            await using var insert = new NpgsqlCommand(
                $"insert into {Schema}.{AskedTable} (subject, release_id, courses, hash_sum, asked_at) " +
                "select $1, $2, c, h, now() from unnest($3, $4) as s(c, h) on conflict do nothing", connection, transaction);
            insert.Parameters.Add(new NpgsqlParameter { Value = subject });
            insert.Parameters.Add(new NpgsqlParameter { Value = release.Id });
            insert.Parameters.Add(new NpgsqlParameter { Value = fresh.Select(f => f.Courses).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
            insert.Parameters.Add(new NpgsqlParameter { Value = fresh.Select(f => f.HashSum).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return new LockOutDecision(withheld, BudgetUsed: false, budget);
    }

    private async Task<long[]> CourseHashesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        long newest;
        await using (var latest = new NpgsqlCommand(
            $"select coalesce(max(id), 0) from {Schema}.{Releases.ReleasesTable} where not dropped", connection, transaction))
            newest = Convert.ToInt64(await latest.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        if (_courses is { } cached && cached.Release == newest) return cached.Sorted;
        var hashes = new List<long>();
        await using (var read = new NpgsqlCommand($"select distinct course_key from {Schema}.{Releases.CoursesTable}", connection, transaction))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
            while (await reader.ReadAsync(cancellationToken))
                if (Domain.Courses.CourseKey.TryParse(reader.GetString(0), out var course)) hashes.Add(CohortSignatures.Hash(course!));
        var sorted = hashes.ToArray();
        Array.Sort(sorted);
        _courses = new CourseHashes(newest, sorted);
        return sorted;
    }
}
