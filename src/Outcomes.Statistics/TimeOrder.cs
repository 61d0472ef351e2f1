namespace Outcomes.Statistics;

/// <summary>
/// Sorts survival times with a payload in O(n): whole numbers in a modest range (days) by one counting
/// pass; other times as the bit patterns of non-negative doubles (which order like the doubles) by
/// least-significant-digit radix, where digits that every key shares cost one histogram read only.
/// </summary>
internal static class TimeOrder
{
    private const int ComparisonSortBelow = 4096;
    private const int DigitBits = 11;
    private const int Buckets = 1 << DigitBits;
    private const ulong DigitMask = Buckets - 1;
    private const int Digits = (64 + DigitBits - 1) / DigitBits;

    /// <summary>Counting sort for whole-number times in [0, max]: times and payload written in time order.</summary>
    public static void SortWholeNumbers(double[] time, int[] items, int max, double[] sortedTime, int[] sortedItems)
    {
        var start = new int[max + 2];
        foreach (var t in time) start[(int)t + 1]++;
        for (var v = 1; v < start.Length; v++) start[v] += start[v - 1];
        for (var v = 0; v <= max; v++)
        {
            if (start[v + 1] > start[v]) sortedTime.AsSpan(start[v], start[v + 1] - start[v]).Fill(v);
        }
        for (var i = 0; i < time.Length; i++) sortedItems[start[(int)time[i]]++] = items[i];
    }

    public static void Sort(ulong[] keys, int[] items)
    {
        var n = keys.Length;
        if (n < ComparisonSortBelow)
        {
            Array.Sort(keys, items);
            return;
        }

        var counts = new int[Digits * Buckets];
        foreach (var key in keys)
        {
            for (var d = 0; d < Digits; d++)
                counts[d * Buckets + (int)((key >> (d * DigitBits)) & DigitMask)]++;
        }

        var sourceKeys = keys;
        var sourceItems = items;
        ulong[]? targetKeys = null;
        int[]? targetItems = null;
        var offsets = new int[Buckets];
        for (var d = 0; d < Digits; d++)
        {
            var shift = d * DigitBits;
            var histogram = counts.AsSpan(d * Buckets, Buckets);
            if (histogram[(int)((sourceKeys[0] >> shift) & DigitMask)] == n) continue;

            var position = 0;
            for (var b = 0; b < Buckets; b++)
            {
                offsets[b] = position;
                position += histogram[b];
            }

            targetKeys ??= new ulong[n];
            targetItems ??= new int[n];
            for (var i = 0; i < n; i++)
            {
                var key = sourceKeys[i];
                var slot = offsets[(int)((key >> shift) & DigitMask)]++;
                targetKeys[slot] = key;
                targetItems[slot] = sourceItems[i];
            }

            (sourceKeys, targetKeys) = (targetKeys, sourceKeys);
            (sourceItems, targetItems) = (targetItems, sourceItems);
        }

        if (!ReferenceEquals(sourceKeys, keys))
        {
            Array.Copy(sourceKeys, keys, n);
            Array.Copy(sourceItems, items, n);
        }
    }
}
