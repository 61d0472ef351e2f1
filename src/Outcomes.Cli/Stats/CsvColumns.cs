using System.Globalization;
using CsvHelper;
using Outcomes.Statistics;

namespace Outcomes.Cli.Stats;

/// <summary>
/// The named columns of a researcher's CSV file (RFC 4180, header required, UTF-8 with or without BOM),
/// read as text, each cell classified once as R's read.csv would (number, missing, infinite or text), rows with a
/// missing value left out as R's na.omit, and each bad cell reported by its data row, file line and column.
/// </summary>
internal sealed class CsvColumns
{
    private readonly string _file;
    private readonly Dictionary<string, string[]> _cells;
    private readonly int[] _lines;
    private readonly Dictionary<string, Classified> _classified;
    private readonly int[] _rows;
    private readonly int[] _dropped;

    private CsvColumns(string file, Dictionary<string, string[]> cells, int[] lines)
    {
        _file = file;
        _cells = cells;
        _lines = lines;
        _classified = cells.ToDictionary(c => c.Key, c => Classified.Of(c.Value), StringComparer.Ordinal);

        // As R's na.omit on the model frame: a row with a missing value in any named column is left out whole.
        var missing = new bool[lines.Length];
        foreach (var column in _classified.Values)
            for (var row = 0; row < missing.Length; row++) missing[row] |= column.IsMissing(row);
        var complete = new List<int>(lines.Length);
        var dropped = new List<int>();
        for (var row = 0; row < lines.Length; row++) (missing[row] ? dropped : complete).Add(row);
        _rows = [.. complete];
        _dropped = [.. dropped];
        if (_rows.Length == 0)
            throw new StatsInputException(
                $"every data row of {file} ({lines.Length}) has a missing value (empty, NA or NaN) in a named column: " +
                "nothing is left to analyse");
    }

    /// <summary>Rows left out because a named column is missing there (empty, <c>NA</c>, or <c>NaN</c> in a numeric column).</summary>
    public int DroppedRows => _dropped.Length;

    /// <summary>The note that says which rows were left out, or null when none was.</summary>
    public string? DroppedRowsNote
    {
        get
        {
            if (_dropped.Length == 0) return null;
            const int shown = 10;
            var rows = string.Join(", ", _dropped.Take(shown).Select(row => row + 1));
            if (_dropped.Length > shown) rows += ", ...";
            return $"{_dropped.Length} row{(_dropped.Length == 1 ? "" : "s")} of {_file} dropped for a missing value " +
                $"(empty, NA or NaN) in a named column, as R's na.omit: row{(_dropped.Length == 1 ? "" : "s")} {rows}";
        }
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

    /// <summary>Finite numbers, one per complete row.</summary>
    public double[] Numbers(string column)
    {
        var classified = _classified[column];
        var values = new double[_rows.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var row = _rows[i];
            values[i] = classified.Kinds[row] switch
            {
                Cell.Number => classified.Values[row],
                // R reads Inf, -Inf and 1e400 as infinite numbers and then refuses them ("infinite predictor").
                Cell.Infinite => throw Bad(i, column, $"{Printable.Quote(_cells[column][row])} is infinite: numbers must be finite"),
                _ => throw Bad(i, column, $"{Printable.Quote(_cells[column][row])} is not a number"),
            };
        }
        return values;
    }

    /// <summary>Times to an event or censoring: finite numbers ≥ 0.</summary>
    public double[] Times(string column)
    {
        var values = Numbers(column);
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] < 0)
                throw Bad(i, column, $"{values[i].ToString(CultureInfo.InvariantCulture)} is negative: times must be 0 or more");
        }
        return values;
    }

    /// <summary>Event indicators: 1 = event, 0 = censored, nothing else.</summary>
    public int[] Events(string column)
    {
        var cells = Cells(column);
        var values = new int[cells.Length];
        for (var i = 0; i < cells.Length; i++)
        {
            values[i] = cells[i].Trim() switch
            {
                "1" => 1,
                "0" => 0,
                _ => throw Bad(i, column, $"{Printable.Quote(cells[i])} is not 0 or 1: an event column holds 1 (event) or 0 (censored)"),
            };
        }
        return values;
    }

    /// <summary>Labels (group names, subject keys, factor levels) as written, surrounding spaces removed.</summary>
    public string[] Labels(string column)
    {
        var cells = Cells(column);
        var values = new string[cells.Length];
        for (var i = 0; i < cells.Length; i++) values[i] = cells[i].Trim();
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
        if (DistinctCount(group, StatsLimits.Groups) > StatsLimits.Groups)
            throw new StatsInputException(
                $"column '{group}' has more than {StatsLimits.Show(StatsLimits.Groups)} groups: km and logrank compare at most " +
                $"{StatsLimits.Show(StatsLimits.Groups)} (a group column holds arms, clinics or similar, not one value per subject)");
        return IsNumeric(group)
            ? SurvivalSample.Create(times, events, Numbers(group))
            : SurvivalSample.Create(times, events, Labels(group));
    }

    /// <summary>
    /// Distinct values of the column over the complete rows (by value in a numeric column, by label otherwise),
    /// counted only up to <paramref name="atMost"/> + 1, so that a column of a million keys costs no more than one of
    /// <paramref name="atMost"/> + 1.
    /// </summary>
    public int DistinctCount(string column, int atMost)
    {
        if (IsNumeric(column)) return CountUpTo(Numbers(column), EqualityComparer<double>.Default, atMost);
        return CountUpTo(Labels(column), StringComparer.Ordinal, atMost);
    }

    private static int CountUpTo<T>(T[] values, IEqualityComparer<T> comparer, int atMost)
    {
        var seen = new HashSet<T>(comparer);
        foreach (var value in values)
        {
            if (seen.Add(value) && seen.Count > atMost) break;
        }
        return seen.Count;
    }

    /// <summary>
    /// Whether the column is numeric: every cell a number, infinite or missing, as R's read.csv decides a column's type.
    /// Otherwise it holds labels, and <c>NaN</c> in it is a label like any other.
    /// </summary>
    public bool IsNumeric(string column) => _classified[column].Numeric;

    /// <summary>The cells of the complete rows, in file order.</summary>
    private string[] Cells(string column)
    {
        var all = _cells[column];
        var cells = new string[_rows.Length];
        for (var i = 0; i < cells.Length; i++) cells[i] = all[_rows[i]];
        return cells;
    }

    private enum Cell { Empty, NotAvailable, NotANumber, Number, Infinite, Text }

    /// <summary>What R's read.csv makes of a cell: NA, NaN and infinities in any letter case, and overflow (1e400) as infinite.</summary>
    private static Cell Classify(string text, out double value)
    {
        value = 0;
        var trimmed = text.AsSpan().Trim();
        if (trimmed.IsEmpty) return Cell.Empty;
        if (trimmed.SequenceEqual("NA")) return Cell.NotAvailable;
        var unsigned = trimmed[0] is '+' or '-' ? trimmed[1..] : trimmed;
        if (unsigned.Equals("NaN", StringComparison.OrdinalIgnoreCase)) return Cell.NotANumber;
        if (unsigned.Equals("Inf", StringComparison.OrdinalIgnoreCase) || unsigned.Equals("Infinity", StringComparison.OrdinalIgnoreCase))
            return Cell.Infinite;
        if (!double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out value)) return Cell.Text;
        return double.IsNaN(value) ? Cell.NotANumber : double.IsInfinity(value) ? Cell.Infinite : Cell.Number;
    }

    /// <summary>A column's cells classified once, with the numbers they hold.</summary>
    private sealed record Classified(Cell[] Kinds, double[] Values, bool Numeric)
    {
        public static Classified Of(string[] cells)
        {
            var kinds = new Cell[cells.Length];
            var values = new double[cells.Length];
            var numeric = true;
            for (var row = 0; row < cells.Length; row++)
            {
                kinds[row] = Classify(cells[row], out values[row]);
                numeric &= kinds[row] != Cell.Text;
            }
            return new Classified(kinds, values, numeric);
        }

        /// <summary>Empty and NA are missing in any column; NaN only in a numeric one (in a column of labels it is a label).</summary>
        public bool IsMissing(int row) => Kinds[row] switch
        {
            Cell.Empty or Cell.NotAvailable => true,
            Cell.NotANumber => Numeric,
            _ => false,
        };
    }

    /// <summary>A bad cell, named by its data row and file line; <paramref name="index"/> counts complete rows.</summary>
    private StatsInputException Bad(int index, string column, string problem)
    {
        var row = _rows[index];
        return new($"row {row + 1}, column '{column}': {problem} (line {_lines[row]} of {_file})");
    }

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

        if (header.Any(Printable.IsBinary))
            throw new StatsInputException(
                $"column '{name}' not found: the first line of {file} is not text (it holds control characters or bytes that " +
                "are not UTF-8); the file must be a UTF-8 CSV whose first line names the columns");
        const int listed = 20;
        var columns = string.Join(", ", header.Take(listed).Select(h => h.Length <= Printable.QuotedLength ? h : Printable.Quote(h)));
        if (header.Count > listed) columns += $", ... ({StatsLimits.Show(header.Count)} columns)";
        var message = $"column '{name}' not found; columns are: {columns}";
        if (header.All(h => Classify(h, out _) is Cell.Number or Cell.Infinite or Cell.NotANumber))
            message += $" (the first line of {file} looks like data: it must be a header naming the columns)";
        throw new StatsInputException(message);
    }
}
