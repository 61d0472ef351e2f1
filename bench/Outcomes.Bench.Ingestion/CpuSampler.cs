using System.Diagnostics;

namespace Outcomes.Bench.Ingestion;

/// CPU seconds spent during a run, by who spent them. dotnet-counters is not on these machines;
/// /proc tells as much about where the time goes: the service, PostgreSQL, RabbitMQ, the benchmark
/// itself, and anything else on the (shared) machine.
public sealed record CpuUse(double WallSeconds, double MachineBusySeconds, int Cores, double Service, double Postgres,
    double RabbitMq, double Bench, double LoadAverage1)
{
    public double Other => Math.Max(0, MachineBusySeconds - Service - Postgres - RabbitMq - Bench);

    /// Fraction of the machine's cores busy over the run.
    public double MachineBusy => WallSeconds > 0 ? MachineBusySeconds / (WallSeconds * Cores) : 0;
}

public sealed class CpuSampler
{
    // Linux reports process times in clock ticks of USER_HZ, 100 on every mainstream build.
    private const double TicksPerSecond = 100;

    private readonly IReadOnlyCollection<int> _servicePids;
    private readonly long _startedAt;
    private readonly (long Busy, long Total) _machine;
    private readonly Dictionary<int, (string Group, long Ticks)> _processes;

    private CpuSampler(IReadOnlyCollection<int> servicePids)
    {
        _servicePids = servicePids;
        _startedAt = Stopwatch.GetTimestamp();
        _machine = MachineTicks();
        _processes = ProcessTicks(servicePids);
    }

    public static CpuSampler Start(int? servicePid) => new(servicePid is { } pid ? [pid] : []);

    /// Several service instances count as one "service".
    public static CpuSampler Start(IReadOnlyCollection<int> servicePids) => new(servicePids);

    public CpuUse Stop()
    {
        var wall = Stopwatch.GetElapsedTime(_startedAt).TotalSeconds;
        var machine = MachineTicks();
        var groups = new Dictionary<string, double>();
        foreach (var (pid, (group, ticks)) in ProcessTicks(_servicePids))
        {
            // A process that started during the run spent all its time in it.
            var before = _processes.TryGetValue(pid, out var b) && b.Group == group ? b.Ticks : 0;
            groups[group] = groups.GetValueOrDefault(group) + (ticks - before) / TicksPerSecond;
        }
        return new CpuUse(wall, (machine.Busy - _machine.Busy) / TicksPerSecond, Environment.ProcessorCount,
            groups.GetValueOrDefault("service"), groups.GetValueOrDefault("postgres"), groups.GetValueOrDefault("rabbitmq"),
            groups.GetValueOrDefault("bench"), LoadAverage());
    }

    public static double LoadAverage() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);

    // /proc/stat, first line: cpu user nice system idle iowait irq softirq steal ... (USER_HZ ticks).
    private static (long Busy, long Total) MachineTicks()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]
            .Take(8).Select(long.Parse).ToArray();
        var total = fields.Sum();
        return (total - fields[3] - fields[4], total);
    }

    private static Dictionary<int, (string Group, long Ticks)> ProcessTicks(IReadOnlyCollection<int> servicePids)
    {
        var self = Environment.ProcessId;
        var result = new Dictionary<int, (string, long)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var comm = File.ReadAllText(Path.Combine(dir, "comm")).Trim();
                var group = servicePids.Contains(pid) ? "service"
                    : pid == self ? "bench"
                    : comm == "postgres" ? "postgres"
                    : comm is "beam.smp" or "erl_child_setup" or "inet_gethost" ? "rabbitmq"
                    : null;
                if (group is null) continue;
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // Fields after "(comm)": state is field 3, utime 14, stime 15.
                var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                result[pid] = (group, long.Parse(rest[11]) + long.Parse(rest[12]));
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return result;
    }
}
