namespace Outcomes.Domain.Disclosure;

/// One published count before perturbation: the number of courses in the cell and the sum of their record keys.
public readonly record struct KeyedCount(int Count, int Key)
{
    public KeyedCount Add(int recordKey) => new(Count + 1, Key + recordKey);

    public static KeyedCount operator -(KeyedCount a, KeyedCount b) => new(a.Count - b.Count, a.Key - b.Key);

    public int Perturbed => CellKeyTable.Count(Count, Key);
}

/// A survival sample tallied on a fixed grid of times (a life table): for each interval [Points[j], Points[j+1]) the
/// courses still at risk at its start, its events and its censorings, each with its cell key. The protected tier
/// publishes curves only from these perturbed counts: a grid fixed in advance cannot be asked for the time of one event.
public sealed class LifeTable
{
    private LifeTable(double[] points, KeyedCount total, KeyedCount events, KeyedCount[] atStart, KeyedCount[] eventsIn, KeyedCount[] censoredIn)
    {
        Points = points;
        Total = total;
        Events = events;
        AtStart = atStart;
        EventsIn = eventsIn;
        CensoredIn = censoredIn;
    }

    public double[] Points { get; }
    public KeyedCount Total { get; }
    public KeyedCount Events { get; }
    public KeyedCount[] AtStart { get; }
    public KeyedCount[] EventsIn { get; }
    public KeyedCount[] CensoredIn { get; }

    /// Tallies the records for which <paramref name="include"/> holds. Times before the first point count in the first
    /// interval; a course followed past the last point is at risk in every interval and never an event or censoring.
    public static LifeTable Tally(double[] points, double[] time, int[] status, int[] recordKey, Func<int, bool> include)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(recordKey);
        ArgumentNullException.ThrowIfNull(include);
        var intervals = points.Length - 1;
        var endingIn = new KeyedCount[intervals + 1];
        var eventsIn = new KeyedCount[intervals];
        var censoredIn = new KeyedCount[intervals];
        KeyedCount total = default, events = default;
        for (var i = 0; i < time.Length; i++)
        {
            if (!include(i)) continue;
            var key = recordKey[i];
            total = total.Add(key);
            if (status[i] != 0) events = events.Add(key);
            var j = IntervalOf(points, time[i]);
            endingIn[j] = endingIn[j].Add(key);
            if (j == intervals) continue;
            if (status[i] != 0) eventsIn[j] = eventsIn[j].Add(key);
            else censoredIn[j] = censoredIn[j].Add(key);
        }
        var atStart = new KeyedCount[intervals];
        var remaining = default(KeyedCount);
        for (var j = intervals; j >= 0; j--)
        {
            remaining = new KeyedCount(remaining.Count + endingIn[j].Count, remaining.Key + endingIn[j].Key);
            if (j < intervals) atStart[j] = remaining;
        }
        return new LifeTable(points, total, events, atStart, eventsIn, censoredIn);
    }

    private static int IntervalOf(double[] points, double t)
    {
        var intervals = points.Length - 1;
        if (t >= points[intervals]) return intervals;
        var j = Array.BinarySearch(points, t);
        if (j < 0) j = ~j - 1;
        return Math.Clamp(j, 0, intervals - 1);
    }
}
