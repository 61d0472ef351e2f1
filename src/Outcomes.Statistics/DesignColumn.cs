namespace Outcomes.Statistics;

/// <summary>
/// One covariate as supplied by the caller, before coding into design columns: either numeric (used as is)
/// or a factor of string labels (treatment-coded against its reference level).
/// </summary>
public sealed class DesignColumn
{
    private DesignColumn(string name, double[]? numbers, string[]? labels, string[]? levels)
    {
        Name = name;
        Numbers = numbers;
        Labels = labels;
        Levels = levels;
    }

    /// <summary>Covariate name; a factor's dummy columns are named Name + level.</summary>
    public string Name { get; }

    internal double[]? Numbers { get; }

    internal string[]? Labels { get; }

    internal string[]? Levels { get; }

    internal int Length => Numbers?.Length ?? Labels!.Length;

    /// <summary>A numeric covariate, one finite value per subject.</summary>
    /// <exception cref="ArgumentException">The name is empty or the values are null.</exception>
    public static DesignColumn Numeric(string name, IReadOnlyList<double> values)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(values);
        return new DesignColumn(name, [.. values], null, null);
    }

    /// <summary>
    /// A factor covariate, one label per subject. Levels default to the distinct labels in ordinal (byte-wise)
    /// order, which is R's sorted order for ASCII labels in the C locale; the first level is the reference.
    /// Pass <paramref name="levels"/> to choose the reference (first) and the order of the dummies; levels
    /// never observed give all-zero dummies, which the fit reports as null (R's NA).
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty, the labels are null, or <paramref name="levels"/> has duplicates.</exception>
    public static DesignColumn Factor(string name, IReadOnlyList<string> labels, IReadOnlyList<string>? levels = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(labels);
        string[]? fixedLevels = null;
        if (levels is not null)
        {
            fixedLevels = [.. levels];
            if (fixedLevels.Any(l => l is null))
                throw new ArgumentException($"Levels of factor '{name}' must not be null.", nameof(levels));
            if (fixedLevels.Distinct(StringComparer.Ordinal).Count() != fixedLevels.Length)
                throw new ArgumentException($"Levels of factor '{name}' must be distinct.", nameof(levels));
        }
        return new DesignColumn(name, null, [.. labels], fixedLevels);
    }
}
