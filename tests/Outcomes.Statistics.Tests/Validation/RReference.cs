using System.Globalization;

namespace Outcomes.Statistics.Tests.Validation;

/// Reads what the R scripts under analytics/validation/ wrote, so tests compare against R without needing R.
/// Expected-value files are long-format CSV "key,value" (value "NA" means R gave NA);
/// data files are plain CSV with a header and no quoted commas.
public static class RReference
{
    public static string ValidationFolder { get; } = Path.Combine(FindRepositoryRoot(), "analytics", "validation");

    public static IReadOnlyDictionary<string, double?> Expected(string fileName)
    {
        var values = new Dictionary<string, double?>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Path.Combine(ValidationFolder, fileName)).Skip(1))
        {
            if (line.Length == 0) continue;
            var comma = line.LastIndexOf(',');
            var key = line[..comma].Trim('"');
            var raw = line[(comma + 1)..].Trim('"');
            values[key] = raw is "NA" or "NaN"
                ? null
                : raw switch
                {
                    "Inf" => double.PositiveInfinity,
                    "-Inf" => double.NegativeInfinity,
                    _ => double.Parse(raw, CultureInfo.InvariantCulture),
                };
        }
        return values;
    }

    public static (string[] Header, string[][] Rows) Table(string fileName)
    {
        var lines = File.ReadAllLines(Path.Combine(ValidationFolder, fileName))
            .Where(l => l.Length > 0)
            .Select(l => l.Split(',').Select(c => c.Trim('"')).ToArray())
            .ToArray();
        return (lines[0], lines[1..]);
    }

    public static double[] Column(string fileName, string column)
    {
        var (header, rows) = Table(fileName);
        var index = Array.IndexOf(header, column);
        if (index < 0) throw new ArgumentException($"{fileName} has no column '{column}'");
        return rows.Select(r => r[index] == "NA" ? double.NaN : double.Parse(r[index], CultureInfo.InvariantCulture)).ToArray();
    }

    /// Relative comparison as the issue's tolerances are stated; an absolute floor keeps values near 0 comparable.
    public static void Close(double? expected, double? actual, double relativeTolerance, string what)
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{what}: expected {Show(expected)}, got {Show(actual)}");
            return;
        }
        var e = expected.Value;
        var a = actual.Value;
        if (double.IsInfinity(e) || double.IsInfinity(a))
        {
            Assert.True(e.Equals(a), $"{what}: expected {e}, got {a}");
            return;
        }
        var scale = Math.Max(Math.Abs(e), 1e-12);
        Assert.True(Math.Abs(e - a) <= relativeTolerance * scale + 1e-15,
            $"{what}: expected {e:R}, got {a:R} (relative error {Math.Abs(e - a) / scale:E2}, tolerance {relativeTolerance:E0})");
    }

    private static string Show(double? v) => v is null ? "NA" : v.Value.ToString("R", CultureInfo.InvariantCulture);

    private static string FindRepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Outcomes.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Outcomes.sln not found above " + AppContext.BaseDirectory);
    }
}
