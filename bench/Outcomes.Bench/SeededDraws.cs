namespace Outcomes.Bench;

/// <summary>
/// Random variates from a seeded <see cref="Random"/> (whose seeded sequence is fixed across .NET versions),
/// so a seed always gives the same benchmark data.
/// </summary>
internal static class SeededDraws
{
    public static double Exponential(this Random random, double mean) => -mean * Math.Log(1 - random.NextDouble());

    /// <summary>Standard normal by Box-Muller; one of the pair is discarded, which keeps the draw order simple.</summary>
    public static double StandardNormal(this Random random)
    {
        var u = 1 - random.NextDouble();
        var v = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }

    public static bool Bernoulli(this Random random, double probability) => random.NextDouble() < probability;

    /// <summary>Rounds up to the grid 1/<paramref name="perUnit"/>; k / perUnit is the double nearest the decimal R will parse.</summary>
    public static double CeilingTo(double value, int perUnit) => Math.Ceiling(value * perUnit) / perUnit;
}
