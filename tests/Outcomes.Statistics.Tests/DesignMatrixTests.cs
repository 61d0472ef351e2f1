namespace Outcomes.Statistics.Tests;

public class DesignMatrixTests
{
    [Fact]
    public void FromColumns_FactorWithSortedLevels_DummyCodesAgainstFirst()
    {
        var design = DesignMatrix.FromColumns(
        [
            DesignColumn.Numeric("age", [50, 61, 42]),
            DesignColumn.Factor("modality", ["nasal", "iv", "im"]),
        ]);

        Assert.Equal(["age", "modalityiv", "modalitynasal"], design.Names);
        Assert.Equal(3, design.Rows);
        Assert.Equal(new double[,] { { 50, 0, 1 }, { 61, 1, 0 }, { 42, 0, 0 } }, design.Values);
    }

    [Fact]
    public void FromColumns_LevelsSortOrdinally()
    {
        // Ordinal order puts upper case before lower case, as R's sort() in the C locale.
        var design = DesignMatrix.FromColumns([DesignColumn.Factor("g", ["b", "B", "a"])]);

        Assert.Equal(["ga", "gb"], design.Names);
    }

    [Fact]
    public void FromColumns_ExplicitLevels_ChooseReferenceAndKeepUnusedLevels()
    {
        var design = DesignMatrix.FromColumns([DesignColumn.Factor("sex", ["male", "female", "male"], ["male", "female", "other"])]);

        Assert.Equal(["sexfemale", "sexother"], design.Names);
        Assert.Equal(new double[,] { { 0, 0 }, { 1, 0 }, { 0, 0 } }, design.Values);
    }

    [Fact]
    public void UnusedFactorLevel_GivesNullCoefficient()
    {
        var design = DesignMatrix.FromColumns(
        [
            DesignColumn.Numeric("x", [2, 1, 4, 3, 7, 5]),
            DesignColumn.Factor("g", ["a", "b", "a", "b", "a", "b"], ["a", "b", "c"]),
        ]);

        var fit = CoxRegression.Fit([1, 2, 3, 4, 5, 6], [true, false, true, true, false, true], design);

        Assert.NotNull(fit.Coefficients[1].Coef);
        Assert.Null(fit.Coefficients[2].Coef);
        Assert.Equal(2, fit.Tests.Wald.Df);
    }

    public static TheoryData<string, Func<DesignMatrix>> BadColumns() => new()
    {
        { "single level", () => DesignMatrix.FromColumns([DesignColumn.Factor("g", ["a", "a"])]) },
        { "unknown label", () => DesignMatrix.FromColumns([DesignColumn.Factor("g", ["a", "z"], ["a", "b"])]) },
        { "missing label", () => DesignMatrix.FromColumns([DesignColumn.Factor("g", ["a", null!, "b"])]) },
        { "NaN", () => DesignMatrix.FromColumns([DesignColumn.Numeric("x", [1, double.NaN])]) },
        { "lengths", () => DesignMatrix.FromColumns([DesignColumn.Numeric("x", [1, 2]), DesignColumn.Numeric("y", [1])]) },
        { "duplicate name", () => DesignMatrix.FromColumns([DesignColumn.Numeric("ga", [1, 2]), DesignColumn.Factor("g", ["b", "a"], ["b", "a"])]) },
        { "no columns", () => DesignMatrix.FromColumns([]) },
    };

    [Theory]
    [MemberData(nameof(BadColumns))]
    public void FromColumns_BadColumns_ThrowNamingColumns(string rule, Func<DesignMatrix> build)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => build());

        Assert.True(error.ParamName == "columns", $"{rule}: {error.ParamName}");
    }

    [Fact]
    public void Factor_DuplicateLevels_ThrowsNamingLevels()
    {
        var error = Assert.Throws<ArgumentException>(() => DesignColumn.Factor("g", ["a"], ["a", "a"]));

        Assert.Equal("levels", error.ParamName);
    }

    [Fact]
    public void Constructor_NameCountMismatch_ThrowsNamingNames()
    {
        var error = Assert.Throws<ArgumentException>(() => new DesignMatrix(["x"], new double[3, 2]));

        Assert.Equal("names", error.ParamName);
    }
}
