using System.Globalization;
using CsvHelper;
using Outcomes.Statistics;

namespace Outcomes.Cli.Stats;

/// <summary>
/// The named columns of a researcher's CSV file (RFC 4180, header required, UTF-8 with or without BOM),
/// read as text and converted on demand, each bad cell reported by its data row, file line and column.
/// </summary>
internal sealed class CsvColumns
{
    private readonly string _file;
    private readonly Dictionary<string, string[]> _cells;
    private readonly int[] _lines;

    private CsvColumns(string file, Dictionary<string, string[]> cells, int[] lines)
    {
        _file = file;
        _cells = cells;
        _lines = lines;
    }

    /// <summary>Reads only <paramref name="columns"/> (by exact header name) from every data row.</summary>
    /// <exception cref="StatsInputException">The file is missing, empty, malformed, lacks a column, or has no data rows.</exception>
    public static CsvColumns Read(string path, IReadOnlyCollection<string> columns)
    {
        var file = Path.GetFileName(path);
        if (Directory.Exists(path))
            throw new StatsInputException($"'{path}' is a directory, not a CSV file");
        if (!File.Exists(path))
            throw new StatsInputException($"file '{path}' not found");

        var options = new CsvReaderOptions
        {
            // Never guess: a file whose header has a ';' would otherwise be read with ';' as separator.
            Separator = ',',
            DetectSeparatorHint = false,
            TrackLineNumbers = true,
            MalformedData = CsvMalformedDataHandling.Throw,
        };
        try
        {
            using var reader = CsvReader.FromFile(path, options);
            var header = reader.Headers;
            if (header.Count == 0)
                throw new StatsInputException($"{file} is empty: the first line must be a header naming the columns");
            var index = columns.Distinct(StringComparer.Ordinal)
                .ToDictionary(name => name, name => ColumnIndex(header, name, file), StringComparer.Ordinal);

            var cells = index.Keys.ToDictionary(name => name, _ => new List<string>(), StringComparer.Ordinal);
            var lines = new List<int>();
            while (reader.Read())
            {
                if (reader.FieldCount != header.Count)
                    throw new StatsInputException(
                        $"row {reader.RowNumber} (line {reader.LineNumber} of {file}) has {reader.FieldCount} " +
                        $"field{(reader.FieldCount == 1 ? "" : "s")}, but the header has {header.Count}");
                foreach (var (name, i) in index) cells[name].Add(reader.GetString(i));
                lines.Add((int)reader.LineNumber);
            }
            if (lines.Count == 0)
                throw new StatsInputException($"{file} has a header but no data rows");
            return new CsvColumns(file, cells.ToDictionary(c => c.Key, c => c.Value.ToArray(), StringComparer.Ordinal), [.. lines]);
        }
        catch (CsvFormatException e)
        {
            throw new StatsInputException($"{file} is not valid CSV: {e.Message}");
        }
        catch (IOException e)
        {
            throw new StatsInputException($"cannot read '{path}': {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new StatsInputException($"cannot read '{path}': {e.Message}");
        }
    }

    /// <summary>Finite numbers.</summary>
    public double[] Numbers(string column)
    {
        var cells = Cells(column);
        var values = new double[cells.Length];
        for (var row = 0; row < cells.Length; row++)
            values[row] = TryNumber(cells[row]) ?? throw Bad(row, column, $"'{cells[row]}' is not a number");
        return values;
    }

    /// <summary>Times to an event or censoring: finite numbers ≥ 0.</summary>
    public double[] Times(string column)
    {
        var values = Numbers(column);
        for (var row = 0; row < values.Length; row++)
        {
            if (values[row] < 0)
                throw Bad(row, column, $"{values[row].ToString(CultureInfo.InvariantCulture)} is negative: times must be 0 or more");
        }
        return values;
    }

    /// <summary>Event indicators: 1 = event, 0 = censored, nothing else.</summary>
    public int[] Events(string column)
    {
        var cells = Cells(column);
        var values = new int[cells.Length];
        for (var row = 0; row < cells.Length; row++)
        {
            values[row] = cells[row].Trim() switch
            {
                "1" => 1,
                "0" => 0,
                _ => throw Bad(row, column, $"'{cells[row]}' is not 0 or 1: an event column holds 1 (event) or 0 (censored)"),
            };
        }
        return values;
    }

    /// <summary>Labels (group names, subject keys, factor levels) as written, surrounding spaces removed.</summary>
    public string[] Labels(string column)
    {
        var cells = Cells(column);
        var values = new string[cells.Length];
        for (var row = 0; row < cells.Length; row++) values[row] = cells[row].Trim();
        return values;
    }

    /// <summary>
    /// Survival data for Kaplan-Meier and log-rank: one sample, or one per group. A group column of numbers is grouped
    /// and ordered by value (as R's factor of a numeric column: 1, 2, 10), any other by its labels in ordinal order.
    /// </summary>
    public SurvivalSample Survival(string time, string status, string? group)
    {
        var times = Times(time);
        var events = Events(status);
        if (group is null) return SurvivalSample.Create(times, events);
        return IsNumeric(group)
            ? SurvivalSample.Create(times, events, Numbers(group))
            : SurvivalSample.Create(times, events, Labels(group));
    }

    /// <summary>Whether every cell of the column is a finite number (then it is numeric; otherwise labels).</summary>
    public bool IsNumeric(string column) => Cells(column).All(cell => TryNumber(cell) is not null);

    private string[] Cells(string column)
    {
        var cells = _cells[column];
        for (var row = 0; row < cells.Length; row++)
        {
            var text = cells[row].Trim();
            if (text.Length == 0) throw Bad(row, column, "empty");
            // R writes a missing value as NA; read as a label it would silently become a factor level.
            if (text == "NA") throw Bad(row, column, "NA (missing value): remove incomplete rows first");
        }
        return cells;
    }

    private static double? TryNumber(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : null;

    private StatsInputException Bad(int row, string column, string problem) =>
        new($"row {row + 1}, column '{column}': {problem} (line {_lines[row]} of {_file})");

    private static int ColumnIndex(IReadOnlyList<string> header, string name, string file)
    {
        var index = -1;
        for (var i = 0; i < header.Count; i++)
        {
            if (!string.Equals(header[i], name, StringComparison.Ordinal)) continue;
            if (index >= 0) throw new StatsInputException($"column '{name}' appears more than once in the header of {file}");
            index = i;
        }
        if (index >= 0) return index;

        var message = $"column '{name}' not found; columns are: {string.Join(", ", header)}";
        if (header.All(h => TryNumber(h) is not null))
            message += $" (the first line of {file} looks like data: it must be a header naming the columns)";
        throw new StatsInputException(message);
    }
}
