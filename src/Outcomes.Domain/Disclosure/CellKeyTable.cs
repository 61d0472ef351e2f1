namespace Outcomes.Domain.Disclosure;

/// The fixed perturbation table of the cell-key method (analytics/methods/disclosure-control.md). A cell's key is the
/// sum of its courses' record keys modulo 256; the table maps (count, cell key) to the published count, and the key to
/// the noise of the cell's sums. Same courses, same key, same noise: asking again gains nothing; one course more or
/// less changes the key to an unrelated one, so a difference is the true difference plus fresh noise.
public static class CellKeyTable
{
    /// Count noise for counts of 2 or more: -2..+2 with probabilities 4, 16, 60, 16, 4 % (mean 0, variance 0.64).
    /// The bound of 2 is what a published rate's error bound rests on.
    public const int MaximumCountNoise = 2;
    public const double CountNoiseVariance = 0.64;

    // Cumulative upper bounds of the key ranges (of 256) for noise -2, -1, 0, +1, +2.
    private static readonly int[] Bounds = [10, 51, 205, 246, 256];
    private static readonly int[] Noise = [-2, -1, 0, 1, 2];

    // A count of 1 publishes as 0, 1, 2 or 3 with probabilities 24, 56, 16, 4 % (mean 1: unbiased, never negative).
    private static readonly int[] OneBounds = [61, 205, 246, 256];

    /// Standard-normal deviates for the 256 cell keys in a fixed scrambled order: the noise of sums. Built from the
    /// normal quantiles of (k + 0.5) / 256 so the 256 values have mean 0 and variance ~0.99 exactly, not by chance.
    private static readonly double[] Deviates = BuildDeviates(0x9E3779B9u);
    private static readonly double[] SquareDeviates = BuildDeviates(0x85EBCA6Bu);

    /// The published count of a cell: zero stays zero (a structural fact, not a patient's); others get the noise.
    public static int Count(int count, int cellKey)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var k = Normalise(cellKey);
        if (count == 0) return 0;
        if (count == 1)
        {
            for (var i = 0; i < OneBounds.Length; i++)
                if (k < OneBounds[i]) return i;
        }
        for (var i = 0; i < Bounds.Length; i++)
            if (k < Bounds[i]) return count + Noise[i];
        throw new InvalidOperationException("unreachable");
    }

    /// Additive noise of a sum whose single contributions are at most <paramref name="largestContribution"/>: that
    /// bound times a standard-normal deviate chosen by the cell key, so removing one course changes the sum by no
    /// more than the noise's own spread.
    public static double SumNoise(int cellKey, double largestContribution) => largestContribution * Deviates[Normalise(cellKey)];

    /// The same for a sum of squares (a separate deviate, so the two sums' noises are not the same multiple).
    public static double SumOfSquaresNoise(int cellKey, double largestContribution) =>
        largestContribution * largestContribution * SquareDeviates[Normalise(cellKey)];

    private static int Normalise(int cellKey) => ((cellKey % RecordKeys.Range) + RecordKeys.Range) % RecordKeys.Range;

    private static double[] BuildDeviates(uint seed)
    {
        var values = new double[RecordKeys.Range];
        for (var k = 0; k < values.Length; k++)
            values[k] = Statistics.StandardNormal.Quantile((k + 0.5) / values.Length);
        // A fixed Fisher-Yates shuffle by a small xorshift generator: the order is part of the published method.
        var state = seed;
        for (var i = values.Length - 1; i > 0; i--)
        {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            var j = (int)(state % (uint)(i + 1));
            (values[i], values[j]) = (values[j], values[i]);
        }
        return values;
    }
}
