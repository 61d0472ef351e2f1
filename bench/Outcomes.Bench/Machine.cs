using System.Globalization;
using System.Runtime.InteropServices;

namespace Outcomes.Bench;

/// <summary>What the numbers were measured on, and how busy it was: the machine is shared.</summary>
internal static class Machine
{
    public static string Describe()
    {
        var cpu = ReadLines("/proc/cpuinfo")
            .FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memoryKb = ReadLines("/proc/meminfo")
            .FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))?
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var memory = memoryKb is null
            ? "unknown memory"
            : $"{double.Parse(memoryKb, CultureInfo.InvariantCulture) / (1024 * 1024):F1} GiB memory";
        return $"{Environment.ProcessorCount} cores ({cpu}), {memory}, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}";
    }

    /// <summary>The 1-, 5- and 15-minute load averages, or null where /proc/loadavg is absent.</summary>
    public static LoadAverage? Load()
    {
        var fields = ReadLines("/proc/loadavg").FirstOrDefault()?.Split(' ');
        if (fields is null || fields.Length < 3) return null;
        return new LoadAverage(
            double.Parse(fields[0], CultureInfo.InvariantCulture),
            double.Parse(fields[1], CultureInfo.InvariantCulture),
            double.Parse(fields[2], CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Waits, polling, until the 1-minute load is at most <paramref name="maxLoad"/> or
    /// <paramref name="maxWait"/> has passed; returns the load measurement starts under.
    /// </summary>
    public static async Task<LoadAverage?> WaitForQuietAsync(double maxLoad, TimeSpan maxWait, TextWriter log, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + maxWait;
        var load = Load();
        var told = false;
        while (load is { } current && current.OneMinute > maxLoad && DateTime.UtcNow < deadline)
        {
            if (!told) log.WriteLine($"  load {current} above {maxLoad:F2}: waiting up to {maxWait.TotalSeconds:F0} s");
            told = true;
            await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
            load = Load();
        }
        if (told) log.WriteLine($"  measuring under load {load}");
        return load;
    }

    private static IEnumerable<string> ReadLines(string path) => File.Exists(path) ? File.ReadLines(path) : [];
}

internal readonly record struct LoadAverage(double OneMinute, double FiveMinutes, double FifteenMinutes)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{OneMinute:F2} / {FiveMinutes:F2} / {FifteenMinutes:F2}");
}
