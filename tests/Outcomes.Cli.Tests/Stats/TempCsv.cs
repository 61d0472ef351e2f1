using System.Text;

namespace Outcomes.Cli.Tests.Stats;

/// A CSV file in its own temporary folder, deleted with the folder.
internal sealed class TempCsv : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("outcomes-stats-").FullName;

    public TempCsv(string text, bool byteOrderMark = false, string name = "table.csv")
        : this([.. byteOrderMark ? Encoding.UTF8.GetPreamble() : [], .. Encoding.UTF8.GetBytes(text)], name)
    {
    }

    public TempCsv(byte[] bytes, string name = "table.csv")
    {
        Path = System.IO.Path.Combine(_directory, name);
        File.WriteAllBytes(Path, bytes);
    }

    public string Path { get; }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
