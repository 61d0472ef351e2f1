using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Exports;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.CourseOutcomes;
using Outcomes.Service.Exports;
using Outcomes.Service.EventStore;
using Outcomes.Service.Hosting;

namespace Outcomes.Bench.Export;

/// The export as POST /api/v1/exports builds it: the service's own Marten setup and ExportArchive.BuildAsync, over
/// every clinic (an all-clinics researcher), the cohort filter "all", a fixed seed. The zip is deleted afterwards;
/// streaming it to a client is not timed.
internal sealed class ExportRun : IAsyncDisposable
{
    private static readonly byte[] Seed = Enumerable.Range(1, ExportKeys.SeedBytes).Select(i => (byte)i).ToArray();

    private readonly ServiceProvider _services;
    private readonly EventStoreCourses _courses;
    private readonly EventStoreCourses _events;
    private readonly OutcomeReadModel _readModel;
    private readonly OutcomeReadModelStatus _status;
    private readonly ExportsOptions _options;

    public ExportRun(string connectionString, string schema, string? tempFolder)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Outcomes"] = connectionString,
            ["EventStore:Schema"] = schema,
        }).Build();
        _services = new ServiceCollection().AddLogging().AddOutcomesEventStore(configuration).AddOutcomeReadModel().BuildServiceProvider();
        var (database, reader) = (_services.GetRequiredService<NpgsqlDataSource>(), _services.GetRequiredService<CourseStreamReader>());
        _readModel = _services.GetRequiredService<OutcomeReadModel>();
        _status = _services.GetRequiredService<OutcomeReadModelStatus>();
        _courses = new EventStoreCourses(database, reader, _readModel, _status);
        _events = new EventStoreCourses(database, reader, _readModel, _status) { PreferReadModel = false };
        _options = new ExportsOptions { SubjectKey = "bench-export-subject-key-not-a-secret-0123456789", TempFolder = tempFolder };
    }

    /// Whether the outcome read model is current (else every export replays the events, as the service would).
    public async Task<OutcomeReadModelState> CheckReadModel(CancellationToken cancellationToken) => await _status.Check(_readModel, cancellationToken);

    /// One export; fromEvents replays the events as an export at an earlier position does (a manifest's position
    /// with facts stored after it), instead of reading the read model's stored facts.
    public async Task<ExportTimed> Export(string format, bool fromEvents, CancellationToken cancellationToken, long? position = null)
    {
        var clinics = await _courses.ClinicsAsync(cancellationToken);
        // A release point at the position (the latest unless given), as the service's exports stand at one.
        var at = position ?? await _courses.LatestPositionAsync(cancellationToken);
        var plan = new ExportPlan(null, CohortFilter.All, OutcomeDefinitions.Default, OutcomeDefinitions.Default.InductionWindowDays,
            format, new ExportRelease(0, at, DateTimeOffset.UnixEpoch), Seed, ReleaseParameters.Default, 0.05, false, clinics, clinics);
        var clock = Stopwatch.StartNew();
        var outcome = await new ExportArchive(fromEvents ? _events : _courses, _options).BuildAsync(plan, cancellationToken);
        var elapsed = clock.Elapsed;
        File.Delete(outcome.ArchivePath);
        var assessments = outcome.Manifest.Files.Single(f => f.Name.StartsWith("assessments.", StringComparison.Ordinal)).Rows!.Value;
        return new ExportTimed(new Timed(assessments, elapsed), outcome.Manifest.EventStorePosition, outcome.ArchiveBytes,
            outcome.Manifest.Files.Where(f => f.Rows is not null).Sum(f => f.Rows!.Value));
    }

    /// Pass one's reading alone (SQL, rows over the wire, decoding into CourseFacts) and with the outcome engine
    /// added: the parts of the export's time that are not spooling, k-anonymity and writing.
    public async Task<(Timed Read, Timed Derive)> Phases(bool fromEvents, CancellationToken cancellationToken)
    {
        var courses = fromEvents ? _events : _courses;
        var clinics = await courses.ClinicsAsync(cancellationToken);
        long scores = 0;
        var clock = Stopwatch.StartNew();
        await using (var source = await courses.OpenAsync(clinics, null, cancellationToken))
            await foreach (var (_, facts) in source.Courses.WithCancellation(cancellationToken))
                scores += facts.Scores.Count;
        var read = new Timed(scores, clock.Elapsed);
        clock.Restart();
        scores = 0;
        await using (var source = await courses.OpenAsync(clinics, null, cancellationToken))
        {
            var scope = new ExportScope(CohortFilter.All, OutcomeDefinitions.Default, source.AsOf, OutcomeDefinitions.Default.InductionWindowDays);
            await foreach (var (key, facts) in source.Courses.WithCancellation(cancellationToken))
            {
                scores += facts.Scores.Count;
                _ = ExportedCourse.From(key, facts, scope).Included;
            }
        }
        return (read, new Timed(scores, clock.Elapsed));
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}

internal readonly record struct ExportTimed(Timed Assessments, long Position, long ArchiveBytes, long AllRows);
