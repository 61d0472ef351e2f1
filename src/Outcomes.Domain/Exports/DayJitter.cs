namespace Outcomes.Domain.Exports;

/// Per release and per subject, a shift of at most one day of every assessment and session day except day 0, so that
/// (day, PHQ-9 total) sequences are not exact fingerprints across releases (each release has its own key, so its own
/// shifts; within a release every export gives the same days). The map is monotone and keeps each day's side of the
/// first session (a positive day stays at 1 or more, a negative one at -1 or less), so the order of a subject's
/// events and the baseline's side are kept; two neighbouring days may fall on one. Subjects' outcome columns
/// (response_day, ...) are not shifted: they stay exact, which is the residual risk analytics/methods/exports.md states.
public sealed class DayJitter
{
    public const int MaxDays = 1;

    private readonly Dictionary<int, int>? _map;

    private DayJitter(Dictionary<int, int>? map) => _map = map;

    /// No shift: the unprotected days (for comparisons).
    public static DayJitter None { get; } = new(null);

    /// The shifts of one subject's days under its keyed hash (ExportKeys.JitterKey).
    public static DayJitter For(ulong key, IEnumerable<int> days)
    {
        ArgumentNullException.ThrowIfNull(days);
        var distinct = days.Distinct().Order().ToArray();
        var map = new Dictionary<int, int>(distinct.Length);
        var floor = 1;
        foreach (var day in distinct.Where(d => d > 0))
        {
            // At most day + 1, at least the previous day's shift (which is at most day): monotone, within ±1.
            floor = Math.Max(day + Delta(key, day), floor);
            map[day] = floor;
        }
        var ceiling = -1;
        foreach (var day in distinct.Where(d => d < 0).Reverse())
        {
            ceiling = Math.Min(day + Delta(key, day), ceiling);
            map[day] = ceiling;
        }
        return new DayJitter(map);
    }

    public int Day(int day) => _map is not null && _map.TryGetValue(day, out var shifted) ? shifted : day;

    public int? Day(int? day) => day is { } d ? Day(d) : null;

    /// -1, 0 or +1 from the subject's key and the day (SplitMix64's finaliser: a fixed, platform-independent mix).
    private static int Delta(ulong key, int day)
    {
        var z = key + (ulong)(uint)day * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z % 3) - 1;
    }
}
