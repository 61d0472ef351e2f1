using System.Globalization;

namespace Outcomes.Cli.Stats;

/// <summary>
/// How large an analysis the stats commands accept. Each bound is far beyond a real clinic's tables (arms, clinics,
/// modalities), and keeps time and memory bounded when a column of subject keys or times is named by mistake: such
/// a column is refused while its distinct values are still being counted, before anything of its size is built.
/// </summary>
internal static class StatsLimits
{
    /// <summary>
    /// Groups of km and logrank. The log-rank variance matrix is groups² doubles (8 MB at 1,000) and its cost
    /// O(subjects·groups + groups³); 200,000 groups would need 320 GB.
    /// </summary>
    public const int Groups = 1_000;

    /// <summary>Levels of one Cox factor covariate (each level after the first is a coefficient).</summary>
    public const int FactorLevels = 100;

    /// <summary>
    /// Coefficients of a Cox model. The design is subjects × coefficients doubles, held three times, and each Newton
    /// iteration costs O(subjects·coefficients²): 99 coefficients over 200,000 subjects took 13 s and 690 MB here.
    /// </summary>
    public const int CoxCoefficients = 100;

    /// <summary>A limit as the messages and docs write it, e.g. 1,000.</summary>
    public static string Show(int limit) => limit.ToString("N0", CultureInfo.InvariantCulture);
}
