namespace Outcomes.Statistics;

/// <summary>
/// The scale on which a pointwise confidence interval for a Kaplan-Meier survival estimate is built,
/// named as R's <c>survival::survfit</c> names its <c>conf.type</c>.
/// </summary>
public enum SurvivalIntervalType
{
    /// <summary>
    /// <c>conf.type = "log"</c> (R's default): exp(log S ± z·σ), upper limit capped at 1, where σ² is the
    /// Greenwood sum Σ d/(n(n−d)). Undefined (null) where S = 0.
    /// </summary>
    Log,

    /// <summary>
    /// <c>conf.type = "log-log"</c> (Borgan &amp; Liestøl 1990): exp(−exp(log(−log S) ∓ z·σ/log S)).
    /// Undefined (null) where S = 0 or S = 1.
    /// </summary>
    LogLog,

    /// <summary>
    /// <c>conf.type = "plain"</c>: S ± z·S·σ, clipped to [0, 1]. Undefined (null) where S = 0.
    /// </summary>
    Plain,
}

/// <summary>Reads and writes <see cref="SurvivalIntervalType"/> by the names R uses ("log", "log-log", "plain").</summary>
public static class SurvivalIntervalTypes
{
    /// <summary>Parses R's <c>conf.type</c> name ("log", "log-log" or "plain"; case-insensitive).</summary>
    /// <exception cref="ArgumentException">The name is none of the three.</exception>
    public static SurvivalIntervalType Parse(string name) =>
        name?.Trim().ToLowerInvariant() switch
        {
            "log" => SurvivalIntervalType.Log,
            "log-log" or "loglog" => SurvivalIntervalType.LogLog,
            "plain" => SurvivalIntervalType.Plain,
            _ => throw new ArgumentException(
                $"'{name}' is not a confidence interval type: use \"log\", \"log-log\" or \"plain\"", nameof(name)),
        };

    /// <summary>R's <c>conf.type</c> name of the interval type.</summary>
    public static string RName(this SurvivalIntervalType type) => type switch
    {
        SurvivalIntervalType.Log => "log",
        SurvivalIntervalType.LogLog => "log-log",
        SurvivalIntervalType.Plain => "plain",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown interval type"),
    };
}
