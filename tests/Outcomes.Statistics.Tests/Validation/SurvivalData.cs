using System.Globalization;

namespace Outcomes.Statistics.Tests.Validation;

/// Reads the data sets km.R wrote (columns time, status, group) into the arrays the API takes.
public static class SurvivalData
{
    public static (double[] Time, int[] Status, string[] Group) Load(string name)
    {
        var (header, rows) = RReference.Table($"km-{name}.csv");
        var time = Array.IndexOf(header, "time");
        var status = Array.IndexOf(header, "status");
        var group = Array.IndexOf(header, "group");
        return (
            rows.Select(r => double.Parse(r[time], CultureInfo.InvariantCulture)).ToArray(),
            rows.Select(r => int.Parse(r[status], CultureInfo.InvariantCulture)).ToArray(),
            rows.Select(r => r[group]).ToArray());
    }
}
