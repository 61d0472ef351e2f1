using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Outcomes.Cli.Fhir;

/// <summary>
/// Reads FHIR R4 JSON as clinics export it: Bulk Data NDJSON (one resource per line, read line by line, so a file
/// of any size streams), JSON files holding one resource or a Bundle of any type, and folders of these. Anything
/// unreadable is skipped with a reason, never a stop.
/// </summary>
public sealed class FhirInputs(ConversionReport report)
{
    private static readonly string[] NdjsonEndings = [".ndjson", ".jsonl"];
    private const string JsonEnding = ".json";

    // Ostrich: whatever an EHR wrote is kept where the model has room for it, so a messy resource is mapped or
    // skipped by the bridge's rules with a reason, not thrown away by the parser. No validator: speed.
    private readonly FhirJsonDeserializer _parser = new(new DeserializerSettings { Validator = null }.UsingMode(DeserializationMode.Ostrich));

    /// <summary>The files to read, in a stable order, and their total size; or what is wrong with the paths given.</summary>
    public static (IReadOnlyList<FileInfo> Files, string? Problem) Files(IEnumerable<string> paths)
    {
        var files = new List<FileInfo>();
        foreach (var path in paths)
        {
            if (File.Exists(path))
            {
                files.Add(new FileInfo(path));
            }
            else if (Directory.Exists(path))
            {
                files.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => IsNdjson(f) || f.EndsWith(JsonEnding, StringComparison.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal).Select(f => new FileInfo(f)));
            }
            else
            {
                return ([], $"--input: no such file or folder: {path}");
            }
        }
        return files.Count == 0 ? ([], "--input: no .ndjson, .jsonl or .json files found") : (files, null);
    }

    private static bool IsNdjson(string path) => NdjsonEndings.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    public IEnumerable<(Resource Resource, ResourceOrigin Origin)> Read(FileInfo file)
    {
        report.Files++;
        return IsNdjson(file.FullName) ? ReadLines(file) : ReadDocument(file);
    }

    private IEnumerable<(Resource, ResourceOrigin)> ReadLines(FileInfo file)
    {
        using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var buffer = new byte[1 << 20];
        int filled = 0, start = 0;
        while (true)
        {
            var read = stream.Read(buffer, filled, buffer.Length - filled);
            var end = filled + read;
            var at = start;
            while (true)
            {
                var newline = Array.IndexOf(buffer, (byte)'\n', at, end - at);
                if (newline < 0) break;
                foreach (var item in ParseLine(buffer.AsMemory(at, newline - at))) yield return item;
                at = newline + 1;
            }
            if (read == 0)
            {
                if (at < end) foreach (var item in ParseLine(buffer.AsMemory(at, end - at))) yield return item;
                yield break;
            }
            // Keep the unfinished line; grow only for a line longer than the buffer.
            var rest = end - at;
            if (rest == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
            else Buffer.BlockCopy(buffer, at, buffer, 0, rest);
            filled = rest;
            start = 0;
        }
    }

    private IEnumerable<(Resource, ResourceOrigin)> ParseLine(ReadOnlyMemory<byte> line)
    {
        var span = line.Span.Trim((byte)'\r').Trim((byte)' ');
        if (span.IsEmpty) return [];
        var resource = Parse(span);
        return resource is null ? [] : Entries(resource);
    }

    private IEnumerable<(Resource, ResourceOrigin)> ReadDocument(FileInfo file)
    {
        var resource = Parse(File.ReadAllBytes(file.FullName));
        return resource is null ? [] : Entries(resource);
    }

    private Resource? Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            _parser.TryDeserializeResource(ref reader, out var resource, out _);
            if (resource is null)
            {
                report.Resource("(unreadable)");
                report.Skip("(unreadable)", "not a FHIR resource");
            }
            return resource;
        }
        catch (Exception e) when (e is JsonException or DeserializationFailedException or FormatException or InvalidOperationException)
        {
            report.Resource("(unreadable)");
            report.Skip("(unreadable)", "not FHIR R4 JSON");
            return null;
        }
    }

    /// <summary>A resource, or a Bundle's entries (nested Bundles too), each with how it and its Bundle refer to it.</summary>
    private static IEnumerable<(Resource, ResourceOrigin)> Entries(Resource resource)
    {
        if (resource is not Bundle bundle)
        {
            yield return (resource, new ResourceOrigin(FhirReferences.Self(resource.TypeName, resource.Id, null), null));
            yield break;
        }
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in bundle.Entry)
        {
            if (entry.Resource is null || string.IsNullOrEmpty(entry.FullUrl)) continue;
            if (FhirReferences.Self(entry.Resource.TypeName, entry.Resource.Id, entry.FullUrl) is { } self) map.TryAdd(entry.FullUrl, self);
        }
        foreach (var entry in bundle.Entry)
        {
            if (entry.Resource is null) continue;
            if (entry.Resource is Bundle inner)
            {
                foreach (var item in Entries(inner)) yield return item;
                continue;
            }
            yield return (entry.Resource, new ResourceOrigin(FhirReferences.Self(entry.Resource.TypeName, entry.Resource.Id, entry.FullUrl), map));
        }
    }
}
