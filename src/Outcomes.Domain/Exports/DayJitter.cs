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

    // The subject's distinct days in order and their shifted days; a binary search finds a day (a course has a few dozen).
    private readonly int[] _days;
    private readonly int[] _shifted;

    private DayJitter(int[] days, int[] shifted)
    {
        _days = days;
        _shifted = shifted;
    }

    /// No shift: the unprotected days (for comparisons).
    public static DayJitter None { get; } = new([], []);

    /// The shifts of one subject's days under its keyed hash (ExportKeys.JitterKey).
    public static DayJitter For(ulong key, IEnumerable<int> days)
    {
        ArgumentNullException.ThrowIfNull(days);
        var distinct = days.ToArray();
        Array.Sort(distinct);
        var n = 0;
        for (var i = 0; i < distinct.Length; i++)
            if (n == 0 || distinct[n - 1] != distinct[i]) distinct[n++] = distinct[i];
        distinct = distinct[..n];
        var shifted = new int[n];
        var floor = 1;
        for (var i = 0; i < n; i++)
        {
            if (distinct[i] <= 0) continue;
            // At most day + 1, at least the previous day's shift (which is at most day): monotone, within ±1.
            floor = Math.Max(distinct[i] + Delta(key, distinct[i]), floor);
            shifted[i] = floor;
        }
        var ceiling = -1;
        for (var i = n - 1; i >= 0; i--)
        {
            if (distinct[i] >= 0) continue;
            ceiling = Math.Min(distinct[i] + Delta(key, distinct[i]), ceiling);
            shifted[i] = ceiling;
        }
        return new DayJitter(distinct, shifted);
    }

    public int Day(int day)
    {
        var at = Array.BinarySearch(_days, day);
        return at >= 0 ? _shifted[at] : day;
    }

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
