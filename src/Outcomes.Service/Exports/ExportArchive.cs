using System.IO.Compression;
using System.Security.Cryptography;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Exports;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Service.Exports;

/// What to export: the cohort (a named report's filter and window, or an ad-hoc filter), the format, the release it is
/// a subset of (its point, seed and anonymisation parameters), the caller's clinics and every clinic of the release.
public sealed record ExportPlan(
    ReportDefinition? Report,
    CohortFilter Filter,
    OutcomeDefinitions Definitions,
    int InductionWindowDays,
    string Format,
    ExportRelease Release,
    byte[] Seed,
    ReleaseParameters Parameters,
    double RiskThreshold,
    bool ClinicIds,
    IReadOnlyList<string> Clinics,
    IReadOnlyList<string> ReleaseClinics)
{
    /// The caller's scope as its token names it (["*"] for every clinic, which Clinics lists as they are now): the
    /// manifest's scope fingerprint, so a re-export by the same caller matches even after new clinics join.
    public IReadOnlyList<string> Scope { get; init; } = Clinics;
}

/// The archive written, its manifest, and its size and hash.
public sealed record ExportOutcome(ExportManifest Manifest, string ArchivePath, long ArchiveBytes, string ArchiveSha256);

/// Builds an export archive in two passes. Pass one reads every course of the release (every clinic) once at the
/// release's position (EventStoreCourses), keeps each one's quasi-identifiers (eight bytes) and spools the rows of the
/// caller's clinics' courses; the release's whole population is anonymised (Release.Anonymise: deterministic, so every
/// export of the release computes the same table); the filter then selects on released values only; pass two replays
/// the selected rows in subject-id order into CSV or Parquet inside one zip with fixed entry times. Memory holds one
/// course, one Parquet row group and a few dozen bytes per course of the release.
public sealed class ExportArchive(EventStoreCourses courses, ExportsOptions options)
{
    /// Zip entries carry this time, so the archive's bytes depend on its content only.
    private static readonly DateTimeOffset EntryTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private struct Subject
    {
        public ulong Id;
        public int Population;
        public long SubjectsAt, AssessmentsAt, SessionsAt;
        public int SubjectsLength, AssessmentsLength, SessionsLength;
    }

    /// Progress: rows spooled so far in pass one (courses read) and rows written in pass two.
    public Action<string, long>? Progress { get; init; }

    public async Task<ExportOutcome> BuildAsync(ExportPlan plan, CancellationToken cancellationToken)
    {
        var folder = options.TempFolder ?? Path.GetTempPath();
        var clinics = plan.ReleaseClinics.Concat(plan.Clinics).Distinct().Order(StringComparer.Ordinal).ToArray();
        var inScope = new HashSet<string>(plan.Clinics, StringComparer.Ordinal);
        var filter = new ReleasedFilter(plan.Filter);
        var source = await courses.OpenReleaseAsync(plan.Release.Id, clinics, plan.Release.EventStorePosition, cancellationToken);
        var (position, asOf) = (source.Position, source.AsOf);
        var scope = new ExportScope(CohortFilter.All, plan.Definitions, asOf, plan.InductionWindowDays);
        using var keys = new ExportKeys(options.Key(), plan.Seed);
        using var subjectsSpool = new ExportSpool(folder);
        using var assessmentsSpool = new ExportSpool(folder);
        using var sessionsSpool = new ExportSpool(folder);

        var subjects = new List<Subject>();
        var population = new List<SubjectAttributes>();
        var suppressibleInScope = new List<int>();
        var clinicsSeen = new bool[clinics.Length];
        var clinicIndex = clinics.Select((clinic, i) => (clinic, i)).ToDictionary(x => x.clinic, x => (short)x.i, StringComparer.Ordinal);
        long read = 0;
        // The source holds a snapshot open: only for pass one.
        await using (source)
        {
            // Pass one's order (the read model's storage order or the stream order) only lays out the spools: pass two
            // writes in subject-id order whatever it is, and the plan depends only on the multiset of attributes.
            await foreach (var (key, facts) in source.Courses.WithCancellation(cancellationToken))
            {
                if (++read % 10_000 == 0) Progress?.Invoke("courses read", read);
                var course = ExportedCourse.From(key, facts, scope);
                if (!course.Included) continue;
                var c = clinicIndex[key.ClinicId];
                clinicsSeen[c] = true;
                population.Add(course.Attributes(c));
                if (!inScope.Contains(key.ClinicId)) continue;
                suppressibleInScope.Add(population.Count - 1);
                if (!filter.MatchesAnalysisVariables(course.Member)) continue;
                var jitter = course.Jitter(keys.JitterKey(key));
                var subject = new Subject { Id = keys.SubjectKey(key), Population = population.Count - 1 };
                subject.SubjectsAt = subjectsSpool.Position;
                course.WriteSubject(subjectsSpool, NoPrefix);
                subject.SubjectsLength = (int)(subjectsSpool.Position - subject.SubjectsAt);
                subject.AssessmentsAt = assessmentsSpool.Position;
                course.WriteAssessments(assessmentsSpool, NoPrefix, jitter);
                subject.AssessmentsLength = (int)(assessmentsSpool.Position - subject.AssessmentsAt);
                subject.SessionsAt = sessionsSpool.Position;
                course.WriteSessions(sessionsSpool, NoPrefix, jitter);
                subject.SessionsLength = (int)(sessionsSpool.Position - subject.SessionsAt);
                subjects.Add(subject);
            }
        }
        subjectsSpool.Flush();
        assessmentsSpool.Flush();
        sessionsSpool.Flush();

        var release = Release.Anonymise(population, plan.Parameters);
        var released = new SubjectAttributes[subjects.Count];
        for (var i = 0; i < subjects.Count; i++)
            if (release.Levels[subjects[i].Population] != Release.Suppressed)
                released[i] = release.Released(population[subjects[i].Population], subjects[i].Population);
        var order = Enumerable.Range(0, subjects.Count)
            .Where(i => release.Levels[subjects[i].Population] != Release.Suppressed
                        && filter.MatchesReleased(clinics[released[i].Clinic], released[i]))
            .OrderBy(i => subjects[i].Id).ToArray();
        var exported = order.Select(i => (Fine: population[subjects[i].Population], Released: released[i])).ToArray();
        var deidentification = new Deidentification(plan.Parameters.K, plan.Parameters.GeneralisationOrder,
            ReleaseDeidentification.Of(release, population, plan.RiskThreshold),
            new ExportDeidentification(order.Length, exported.Count(s => s.Fine != s.Released), ReleaseDeidentification.Columns(exported),
                suppressibleInScope.Count(i => release.Levels[i] == Release.Suppressed), DayJitter.MaxDays));
        var codes = keys.ClinicCodes(clinics.Where((_, i) => clinicsSeen[i]));
        var clinicLabels = clinics.Select(c => plan.ClinicIds ? c : codes.GetValueOrDefault(c, "")).ToArray();
        var format = ExportFormats.Find(plan.Format) ?? throw new ArgumentException($"format {ExportFormats.Rule}, got '{plan.Format}'", nameof(plan));
        var extension = format.Name;

        var archivePath = Path.Combine(folder, $"outcomes-export-{Guid.NewGuid():N}.zip");
        var files = new List<ExportFile>();
        ExportManifest manifest;
        await using (var archiveFile = new FileStream(archivePath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16))
        {
            using (var zip = new ZipArchive(archiveFile, ZipArchiveMode.Create, leaveOpen: true))
            {
                var scratch = new byte[1 << 16];
                foreach (var (dataset, spool) in new[] { (ExportDatasets.Subjects, subjectsSpool), (ExportDatasets.Assessments, assessmentsSpool), (ExportDatasets.Sessions, sessionsSpool) })
                {
                    var name = $"{dataset.Name}.{extension}";
                    var (rows, hash) = await WriteEntryAsync(zip, name, format, dataset, folder, async writer =>
                    {
                        var written = 0L;
                        foreach (var i in order)
                        {
                            var s = subjects[i];
                            var values = released[i];
                            var id = ExportKeys.SubjectId(s.Id);
                            var label = clinicLabels[values.Clinic];
                            Action<IRowWriter> prefix = dataset.HasAttributes
                                ? row =>
                                {
                                    row.Text(id);
                                    Release.WriteAttributes(row, values, label);
                                }
                                : row => row.Text(id);
                            var (at, length) = dataset == ExportDatasets.Subjects ? (s.SubjectsAt, s.SubjectsLength)
                                : dataset == ExportDatasets.Assessments ? (s.AssessmentsAt, s.AssessmentsLength)
                                : (s.SessionsAt, s.SessionsLength);
                            spool.Replay(at, length, writer, prefix, dataset, Release.ModalityWithheld(values), ref scratch);
                            if (++written % 10_000 == 0) Progress?.Invoke($"{dataset.Name} subjects written", written);
                        }
                        await Task.CompletedTask;
                    }, cancellationToken);
                    files.Add(new ExportFile(name, rows, hash));
                }
                files.Add(new ExportFile("data-dictionary.json", null, await WriteTextAsync(zip, "data-dictionary.json", DataDictionary.ToJson(ExportDatasets.All))));
                files.Add(new ExportFile("data-dictionary.md", null, await WriteTextAsync(zip, "data-dictionary.md", DataDictionary.ToMarkdown(ExportDatasets.All, extension))));
                manifest = new ExportManifest
                {
                    Format = plan.Format,
                    Report = plan.Report,
                    Filter = plan.Filter,
                    Definitions = plan.Definitions,
                    DefinitionsFingerprint = plan.Definitions.Fingerprint(),
                    Release = plan.Release,
                    EventStorePosition = position,
                    AsOf = asOf,
                    InductionWindowDays = plan.InductionWindowDays,
                    Seed = Convert.ToHexStringLower(plan.Seed),
                    ClinicIdentifiers = plan.ClinicIds ? ExportManifest.Ids : ExportManifest.Codes,
                    ScopeFingerprint = ScopeFingerprint(plan.Scope),
                    Deidentification = deidentification,
                    Files = files,
                };
                files = [.. files, new ExportFile("manifest.json", null, await WriteTextAsync(zip, "manifest.json", manifest.ToJson()))];
            }
            await archiveFile.FlushAsync(cancellationToken);
        }
        var bytes = new FileInfo(archivePath).Length;
        string archiveHash;
        await using (var archive = File.OpenRead(archivePath))
            archiveHash = Convert.ToHexStringLower(await SHA256.HashDataAsync(archive, cancellationToken));
        return new ExportOutcome(manifest with { Files = files }, archivePath, bytes, archiveHash);
    }

    private static void NoPrefix(IRowWriter row) { }

    /// A keyed hash of the clinics in scope: equal scopes give equal fingerprints, and the manifest names no clinic.
    public string ScopeFingerprint(IEnumerable<string> clinics)
    {
        using var hmac = new HMACSHA256(options.Key());
        var text = string.Join('\n', clinics.Distinct().Order(StringComparer.Ordinal));
        return Convert.ToHexStringLower(hmac.ComputeHash(System.Text.Encoding.UTF8.GetBytes("scope\n" + text)), 0, 16);
    }

    private async Task<(long Rows, string Sha256)> WriteEntryAsync(ZipArchive zip, string name, ExportFormat format, ExportDataset dataset,
        string folder, Func<IRowWriter, Task> writeRows, CancellationToken cancellationToken)
    {
        var entry = zip.CreateEntry(name, format.EntryCompression);
        entry.LastWriteTime = EntryTime;
        await using var entryStream = entry.Open();
        await using var hashing = new HashingStream(entryStream);
        long rows;
        if (format.SeeksWhileWriting)
        {
            // A zip entry cannot seek: write a local file, then copy it in.
            var path = Path.Combine(folder, $"outcomes-export-{Guid.NewGuid():N}.{format.Name}");
            try
            {
                await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16))
                {
                    await using var writer = await format.Open(file, dataset, options, cancellationToken);
                    await writeRows(writer);
                    await writer.CompleteAsync(cancellationToken);
                    rows = writer.Rows;
                }
                await using var written = File.OpenRead(path);
                await written.CopyToAsync(hashing, cancellationToken);
            }
            finally
            {
                File.Delete(path);
            }
        }
        else
        {
            await using var buffered = new BufferedStream(hashing, 1 << 16);
            await using var writer = await format.Open(buffered, dataset, options, cancellationToken);
            await writeRows(writer);
            await writer.CompleteAsync(cancellationToken);
            rows = writer.Rows;
            await buffered.FlushAsync(cancellationToken);
        }
        return (rows, hashing.Hash());
    }

    private static async Task<string> WriteTextAsync(ZipArchive zip, string name, string text)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        entry.LastWriteTime = EntryTime;
        await using var stream = entry.Open();
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        await stream.WriteAsync(bytes);
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// Passes bytes through and hashes them on the way: the file's SHA-256 without reading it twice.
    private sealed class HashingStream(Stream inner) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        private string? _final;

        public string Hash() => _final ?? Convert.ToHexStringLower(_hash.GetCurrentHash());

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _hash.AppendData(buffer);
            inner.Write(buffer);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _hash.AppendData(buffer.Span);
            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => inner.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && _final is null)
            {
                // A BufferedStream in front disposes this one before the caller asks for the hash.
                _final = Hash();
                _hash.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
