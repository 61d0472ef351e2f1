namespace Outcomes.Statistics;

/// <summary>
/// Sorts survival times (as the bit patterns of non-negative doubles, which order like the doubles) with a
/// payload, by least-significant-digit radix for large inputs: O(n) per digit, and digits that every key
/// shares (the low mantissa bits of whole-day times) cost one histogram read only.
/// </summary>
internal static class TimeOrder
{
    private const int ComparisonSortBelow = 4096;
    private const int DigitBits = 11;
    private const int Buckets = 1 << DigitBits;
    private const ulong DigitMask = Buckets - 1;
    private const int Digits = (64 + DigitBits - 1) / DigitBits;

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
