namespace Outcomes.Statistics;

/// <summary>
/// A numeric design matrix, one row per subject and one named column per coefficient, as R's model.matrix
/// without the intercept (a Cox model has none).
/// </summary>
public sealed class DesignMatrix
{
    /// <summary>Wraps an existing matrix (rows = subjects); the array is not copied.</summary>
    /// <exception cref="ArgumentException">Names are missing, blank, duplicated, or do not match the column count.</exception>
    public DesignMatrix(IReadOnlyList<string> names, double[,] values)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(values);
        if (names.Count != values.GetLength(1))
            throw new ArgumentException(
                $"names must have one entry per column of values ({values.GetLength(1)} columns, {names.Count} names).", nameof(names));
        RequireDistinctNames(names, nameof(names));
        Names = [.. names];
        Values = values;
    }

    /// <summary>Column names, in column order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Values[subject, column].</summary>
    public double[,] Values { get; }

    /// <summary>Number of subjects (rows).</summary>
    public int Rows => Values.GetLength(0);

    /// <summary>Number of coefficients (columns).</summary>
    public int Columns => Values.GetLength(1);

    /// <summary>
    /// Codes mixed covariates into a design matrix: a numeric column is copied; a factor with levels
    /// L₁ &lt; … &lt; L_k becomes k − 1 dummy columns named name + Lⱼ (j ≥ 2) with value 1 where the label is Lⱼ,
    /// i.e. R's treatment contrasts (contr.treatment) with L₁ as reference.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// No columns; columns of different lengths; a numeric value that is not finite (remove incomplete rows
    /// first, as R's na.omit does); a null label; a label outside the given levels; a factor with fewer than
    /// two levels (R: "contrasts can be applied only to factors with 2 or more levels"); duplicate column names.
    /// </exception>
    public static DesignMatrix FromColumns(IReadOnlyList<DesignColumn> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Count == 0)
            throw new ArgumentException("columns must contain at least one covariate.", nameof(columns));
        if (columns.Any(c => c is null))
            throw new ArgumentException("columns must not contain null entries.", nameof(columns));
        var rows = columns[0].Length;
        foreach (var column in columns)
        {
            if (column.Length != rows)
                throw new ArgumentException(
                    $"All columns must have one value per subject: '{columns[0].Name}' has {rows}, '{column.Name}' has {column.Length}.",
                    nameof(columns));
        }

        var names = new List<string>();
        var coded = new List<double[]>();
        foreach (var column in columns)
        {
            if (column.Numbers is { } numbers)
            {
                for (var i = 0; i < numbers.Length; i++)
                {
                    if (!double.IsFinite(numbers[i]))
                        throw new ArgumentException(
                            $"Column '{column.Name}' has a non-finite value at row {i}; values must be finite (remove incomplete rows first).",
                            nameof(columns));
                }
                names.Add(column.Name);
                coded.Add(numbers);
            }
            else
            {
                CodeFactor(column, names, coded);
            }
        }

        RequireDistinctNames(names, nameof(columns));
        var values = new double[rows, coded.Count];
        for (var j = 0; j < coded.Count; j++)
        {
            var source = coded[j];
            for (var i = 0; i < rows; i++) values[i, j] = source[i];
        }
        return new DesignMatrix(names, values);
    }

    private static void CodeFactor(DesignColumn column, List<string> names, List<double[]> coded)
    {
        var labels = column.Labels!;
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] is null)
                throw new ArgumentException(
                    $"Factor '{column.Name}' has a missing label at row {i}; labels must not be null (remove incomplete rows first).",
                    "columns");
        }

        var levels = column.Levels ?? labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (levels.Length < 2)
            throw new ArgumentException(
                $"Factor '{column.Name}' has {levels.Length} level(s); a factor needs at least 2 levels to be contrasted.", "columns");

        var position = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var l = 0; l < levels.Length; l++) position[levels[l]] = l;
        var dummies = new double[levels.Length - 1][];
        for (var l = 1; l < levels.Length; l++) dummies[l - 1] = new double[labels.Length];
        for (var i = 0; i < labels.Length; i++)
        {
            if (!position.TryGetValue(labels[i], out var l))
                throw new ArgumentException(
                    $"Factor '{column.Name}' has label '{labels[i]}' at row {i}, which is not one of its levels.", "columns");
            if (l > 0) dummies[l - 1][i] = 1.0;
        }
        for (var l = 1; l < levels.Length; l++)
        {
            names.Add(column.Name + levels[l]);
            coded.Add(dummies[l - 1]);
        }
    }

    private static void RequireDistinctNames(IReadOnlyList<string> names, string argument)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (string.IsNullOrWhiteSpace(name))
                throw new ArgumentException("Column names must not be empty.", argument);
            if (!seen.Add(name))
                throw new ArgumentException($"Column names must be distinct; '{name}' occurs twice.", argument);
        }
    }
}
