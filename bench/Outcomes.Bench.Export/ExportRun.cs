using System.Diagnostics;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Exports;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.Exports;
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
    private readonly ExportsOptions _options;

    public ExportRun(string connectionString, string schema, string? tempFolder)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Outcomes"] = connectionString,
            ["EventStore:Schema"] = schema,
        }).Build();
        _services = new ServiceCollection().AddLogging().AddOutcomesEventStore(configuration).BuildServiceProvider();
        _courses = new EventStoreCourses(_services.GetRequiredService<IDocumentStore>());
        _options = new ExportsOptions { SubjectKey = "bench-export-subject-key-not-a-secret-0123456789", TempFolder = tempFolder };
    }

    public async Task<ExportTimed> Export(string format, CancellationToken cancellationToken)
    {
        var clinics = await _courses.ClinicsAsync(cancellationToken);
        var plan = new ExportPlan(null, CohortFilter.All, OutcomeDefinitions.Default, OutcomeDefinitions.Default.InductionWindowDays,
            format, null, Seed, 11, false, clinics);
        var clock = Stopwatch.StartNew();
        var outcome = await new ExportArchive(_courses, _options).BuildAsync(plan, cancellationToken);
        var elapsed = clock.Elapsed;
        File.Delete(outcome.ArchivePath);
        var assessments = outcome.Manifest.Files.Single(f => f.Name.StartsWith("assessments.", StringComparison.Ordinal)).Rows!.Value;
        return new ExportTimed(new Timed(assessments, elapsed), outcome.Manifest.EventStorePosition, outcome.ArchiveBytes,
            outcome.Manifest.Files.Where(f => f.Rows is not null).Sum(f => f.Rows!.Value));
    }

    /// Pass one's reading alone (SQL, rows over the wire, Marten's deserialiser, CourseFacts) and with the outcome
    /// engine added: the parts of the export's time that are not spooling, k-anonymity and writing.
    public async Task<(Timed Read, Timed Derive)> Phases(CancellationToken cancellationToken)
    {
        var clinics = await _courses.ClinicsAsync(cancellationToken);
        var (_, position, asOf) = await _courses.CutAsync(null, cancellationToken);
        var scope = new ExportScope(CohortFilter.All, OutcomeDefinitions.Default, asOf, OutcomeDefinitions.Default.InductionWindowDays);
        long scores = 0;
        var clock = Stopwatch.StartNew();
        await foreach (var (_, facts) in _courses.ReadAsync(clinics, position, cancellationToken))
            scores += facts.Scores.Count;
        var read = new Timed(scores, clock.Elapsed);
        clock.Restart();
        scores = 0;
        await foreach (var (key, facts) in _courses.ReadAsync(clinics, position, cancellationToken))
        {
            scores += facts.Scores.Count;
            _ = ExportedCourse.From(key, facts, scope).Included;
        }
        return (read, new Timed(scores, clock.Elapsed));
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}

internal readonly record struct ExportTimed(Timed Assessments, long Position, long ArchiveBytes, long AllRows);
