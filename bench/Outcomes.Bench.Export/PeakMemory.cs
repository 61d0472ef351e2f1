using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Outcomes.Bench.Export;

/// Peak resident memory of one export in a fresh process: this program's export-once command under
/// /usr/bin/time -v ("Maximum resident set size", in KiB), the figure the issue's goal names.
internal static partial class PeakMemory
{
    public static async Task<(long PeakKib, string Output)> ExportOnce(string schema, string format, CancellationToken cancellationToken)
    {
        var self = typeof(PeakMemory).Assembly.Location;
        var start = new ProcessStartInfo("/usr/bin/time")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-v", "dotnet", self, "export-once", "--schema", schema, "--format", format })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("/usr/bin/time did not start (apt-get install time)");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var report = await error;
        if (process.ExitCode != 0) throw new InvalidOperationException($"export-once failed ({process.ExitCode}): {report}");
        var match = MaximumResidentSetSize().Match(report);
        if (!match.Success) throw new InvalidOperationException($"no maximum resident set size in: {report}");
        return (long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), (await output).Trim());
    }

    /// This process's own peak (VmHWM), in KiB.
    public static long OwnPeakKib() =>
        File.ReadLines("/proc/self/status").Where(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)).Single();

    [GeneratedRegex(@"Maximum resident set size \(kbytes\): (\d+)")]
    private static partial Regex MaximumResidentSetSize();
}
