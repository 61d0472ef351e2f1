using System.Globalization;
using System.Text;

namespace Outcomes.Bench;

/// <summary>Plain CSV for R's fread/read.csv: a header, invariant culture, numbers in round-trip form, no quotes.</summary>
internal static class CsvFile
{
    public static void Write(string path, string header, int rows, Action<TextWriter, int> writeRow)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false), bufferSize: 1 << 20)
        {
            NewLine = "\n",
        };
        writer.WriteLine(header);
        for (var row = 0; row < rows; row++)
        {
            writeRow(writer, row);
            writer.WriteLine();
        }
    }

    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
