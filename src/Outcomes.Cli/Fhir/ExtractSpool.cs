using System.Text;
using System.Text.Json;

namespace Outcomes.Cli.Fhir;

/// <summary>
/// Holds extracts between reading and assembling, on disk, in buckets by patient: a Bulk Data export writes one
/// file per resource type, so a patient's Patient, Observations and administrations are spread over the whole
/// input. Each bucket holds whole patients and is assembled alone, so memory is bounded by one bucket, not by the
/// export. Lives in a temporary folder deleted at the end (it holds birth dates, never identifiers).
/// </summary>
public sealed class ExtractSpool : IDisposable
{
    /// <summary>Input bytes per bucket: a bucket's extracts are a small fraction of the resources they came from.</summary>
    public const long InputBytesPerBucket = 64L << 20;
    public const int MaxBuckets = 256;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly string _directory;
    private readonly StreamWriter[] _writers;

    public ExtractSpool(long inputBytes, string? parent = null)
    {
        var buckets = (int)Math.Clamp(inputBytes / InputBytesPerBucket + 1, 1, MaxBuckets);
        _directory = Path.Combine(parent ?? Path.GetTempPath(), "outcomes-fhir-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _writers = Enumerable.Range(0, buckets)
            .Select(i => new StreamWriter(new FileStream(BucketPath(i), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16),
                new UTF8Encoding(false), 1 << 16))
            .ToArray();
    }

    public int Buckets => _writers.Length;

    private string BucketPath(int i) => Path.Combine(_directory, $"bucket-{i:D3}.jsonl");

    public void Add(PatientExtract extract)
    {
        var bucket = (int)(Fnv1a(extract.Patient) % (uint)_writers.Length);
        _writers[bucket].WriteLine(JsonSerializer.Serialize(extract, Json));
    }

    // Stable across runs and machines (string.GetHashCode is not), so the output's order is too.
    private static uint Fnv1a(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text) hash = (hash ^ c) * 16777619u;
        return hash;
    }

    /// <summary>Every patient's extracts, bucket by bucket, patients in reference order within a bucket.</summary>
    public IEnumerable<IReadOnlyList<PatientExtract>> Patients()
    {
        foreach (var writer in _writers) writer.Dispose();
        for (var i = 0; i < _writers.Length; i++)
        {
            var patients = new Dictionary<string, List<PatientExtract>>(StringComparer.Ordinal);
            foreach (var line in File.ReadLines(BucketPath(i)))
            {
                var extract = JsonSerializer.Deserialize<PatientExtract>(line, Json)!;
                if (!patients.TryGetValue(extract.Patient, out var list)) patients[extract.Patient] = list = [];
                list.Add(extract);
            }
            foreach (var patient in patients.Keys.Order(StringComparer.Ordinal)) yield return patients[patient];
            File.Delete(BucketPath(i));
        }
    }

    public void Dispose()
    {
        foreach (var writer in _writers) writer.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the folder is in the temp directory and holds no identifiers.
        }
    }
}
