using System.IO.Compression;
using Outcomes.Domain.Exports;

namespace Outcomes.Service.Exports;

/// One export file format: its name in requests and manifests (also its files' extension), how its entries are
/// compressed inside the zip, whether its writer seeks (then it writes a local file that is copied in), and its writer.
internal sealed record ExportFormat(
    string Name,
    CompressionLevel EntryCompression,
    bool SeeksWhileWriting,
    Func<Stream, ExportDataset, ExportsOptions, CancellationToken, Task<IDatasetWriter>> Open);

/// The export formats, in one place: the API's validation, the archive and the manifest read this list. The offline
/// reader finds its reader by the same name (Cli's OfflineReport.Readers).
internal static class ExportFormats
{
    /// CSV deflated at Fastest, not Optimal: deflating 300 MB of CSV at the default level took longer than everything
    /// else in the export together. The files inside (and their hashes) are the same whatever the level.
    public static ExportFormat Csv { get; } = new("csv", CompressionLevel.Fastest, SeeksWhileWriting: false,
        (output, dataset, _, _) => Task.FromResult<IDatasetWriter>(new CsvDatasetWriter(output, dataset)));

    /// Parquet stored as it is: its pages are compressed already (Zstandard). Parquet.Net seeks to write its footer.
    public static ExportFormat Parquet { get; } = new("parquet", CompressionLevel.NoCompression, SeeksWhileWriting: true,
        async (output, dataset, options, ct) => await ParquetDatasetWriter.CreateAsync(output, dataset, options.ParquetRowGroupRows, ct));

    public static IReadOnlyList<ExportFormat> All { get; } = [Csv, Parquet];

    public static ExportFormat? Find(string? name) => All.FirstOrDefault(f => f.Name == name);

    /// The rule a request's format breaks when it names none of these: "must be csv or parquet".
    public static string Rule { get; } = $"must be {string.Join(" or ", All.Select(f => f.Name))}";
}
