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
    /// <summary>
    /// The life tables of the whole cohort (slot 0) and of each group (slots 1..<paramref name="slots"/>-1) in one pass:
    /// each course's interval is found once and added to the cohort's table and its group's.
    /// </summary>
    public static LifeTable[] TallyBySlot(double[] points, double[] time, int[] status, int[] recordKey, int[] slot, int slots)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(recordKey);
        ArgumentNullException.ThrowIfNull(slot);
        var intervals = points.Length - 1;
        var endingIn = new KeyedCount[slots, intervals + 1];
        var eventsIn = new KeyedCount[slots, intervals];
        var censoredIn = new KeyedCount[slots, intervals];
        var total = new KeyedCount[slots];
        var events = new KeyedCount[slots];
        for (var i = 0; i < time.Length; i++)
        {
            var key = recordKey[i];
            var j = IntervalOf(points, time[i]);
            var s = 0;
            while (true)
            {
                total[s] = total[s].Add(key);
                if (status[i] != 0) events[s] = events[s].Add(key);
                endingIn[s, j] = endingIn[s, j].Add(key);
                if (j < intervals)
                {
                    if (status[i] != 0) eventsIn[s, j] = eventsIn[s, j].Add(key);
                    else censoredIn[s, j] = censoredIn[s, j].Add(key);
                }
                if (s != 0 || slot[i] <= 0) break;
                s = slot[i];
            }
        }
        var tables = new LifeTable[slots];
        for (var s = 0; s < slots; s++)
        {
            var atStart = new KeyedCount[intervals];
            var slotEvents = new KeyedCount[intervals];
            var slotCensored = new KeyedCount[intervals];
            var remaining = default(KeyedCount);
            for (var j = intervals; j >= 0; j--)
            {
                remaining = new KeyedCount(remaining.Count + endingIn[s, j].Count, remaining.Key + endingIn[s, j].Key);
                if (j >= intervals) continue;
                atStart[j] = remaining;
                slotEvents[j] = eventsIn[s, j];
                slotCensored[j] = censoredIn[s, j];
            }
            tables[s] = new LifeTable(points, total[s], events[s], atStart, slotEvents, slotCensored);
        }
        return tables;
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
