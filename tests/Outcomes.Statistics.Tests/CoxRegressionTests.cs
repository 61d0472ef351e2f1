using System.Text.Json;

namespace Outcomes.Statistics.Tests;

/// Degenerate inputs, argument rules and properties of the fit that need no reference file.
public class CoxRegressionTests
{
    private static readonly double[] Time = [1, 2, 3, 4, 5, 6];
    private static readonly bool[] Events = [true, false, true, true, false, true];
    private static readonly double[,] X = { { 2 }, { 1 }, { 4 }, { 3 }, { 7 }, { 5 } };

    [Fact]
    public void NoSubjects_ReturnsNullCoefficientsAndEmptyTests()
    {
        var fit = CoxRegression.Fit([], [], new double[0, 2], ["a", "b"]);

        Assert.Equal(0, fit.N);
        Assert.Equal(0, fit.Events);
        Assert.All(fit.Coefficients, c => Assert.Null(c.Coef));
        Assert.Equal(["a", "b"], fit.Coefficients.Select(c => c.Name));
        Assert.True(fit.Singular);
        AssertEmptyTests(fit);
    }

    [Fact]
    public void NoEvents_MirrorsCoxph()
    {
        // coxph with no events: coefficients NA, loglik c(0, 0), score 0, wald 0, iter 0.
        var fit = CoxRegression.Fit(Time, new bool[6], X, ["x"]);

        Assert.Equal(6, fit.N);
        Assert.Equal(0, fit.Events);
        Assert.Null(fit.Coefficients[0].Coef);
        Assert.Null(fit.Coefficients[0].HazardRatio);
        Assert.Null(fit.Coefficients[0].P);
        Assert.Equal(0, fit.LogLikelihoodNull);
        Assert.Equal(0, fit.LogLikelihood);
        Assert.Equal(0, fit.Iterations);
        Assert.Null(fit.Covariance[0][0]);
        AssertEmptyTests(fit);
    }

    [Fact]
    public void OneSubject_ReturnsNullCoefficientWithoutThrowing()
    {
        // R errors here after 20 fruitless iterations; the likelihood is flat (0), so β is not estimable.
        var fit = CoxRegression.Fit([3], [true], new double[,] { { 2 } }, ["x"]);

        Assert.Equal(1, fit.N);
        Assert.Equal(1, fit.Events);
        Assert.Null(fit.Coefficients[0].Coef);
        Assert.True(fit.Singular);
        Assert.True(fit.Converged);
        Assert.Equal(0, fit.LogLikelihood);
        AssertEmptyTests(fit);
    }

    [Fact]
    public void ConstantCovariateAlone_IsNullAndLeavesLikelihoodAtNull()
    {
        // coxph(Surv(time, status) ~ k) with k constant: coef NA, loglik -4.276666 twice.
        var fit = CoxRegression.Fit(Time, Events, new double[,] { { 3 }, { 3 }, { 3 }, { 3 }, { 3 }, { 3 } }, ["k"]);

        Assert.Null(fit.Coefficients[0].Coef);
        Assert.True(fit.Singular);
        Assert.Equal(-4.276666, fit.LogLikelihoodNull, 6);
        Assert.Equal(fit.LogLikelihoodNull, fit.LogLikelihood);
        AssertEmptyTests(fit);
    }

    [Fact]
    public void NoCovariates_GivesNullModelLikelihood()
    {
        var fit = CoxRegression.Fit(Time, Events, new double[6, 0], []);

        Assert.Empty(fit.Coefficients);
        Assert.Equal(-4.276666, fit.LogLikelihood, 6);
        Assert.Equal(fit.LogLikelihoodNull, fit.LogLikelihood);
        Assert.False(fit.Singular);
        AssertEmptyTests(fit);
    }

    [Fact]
    public void PerfectSeparation_ReportsNonConvergenceAndSerialises()
    {
        // coxph(Surv(1:6, c(1,1,1,0,0,0)) ~ c(1,1,1,0,0,0)): "Ran out of iterations", coef 21.94155, upper limit Inf.
        double[,] separating = { { 1 }, { 1 }, { 1 }, { 0 }, { 0 }, { 0 } };

        var fit = CoxRegression.Fit(Time, [true, true, true, false, false, false], separating, ["x"]);

        Assert.False(fit.Converged);
        Assert.Equal(20, fit.Iterations);
        Assert.Contains(fit.Warnings, w => w.Contains("did not converge", StringComparison.Ordinal));
        Assert.Equal(21.94155, fit.Coefficients[0].Coef!.Value, 5);
        Assert.Null(fit.Coefficients[0].Upper);
        Assert.Equal(-1.791759, fit.LogLikelihood, 6);
        var json = JsonSerializer.Serialize(fit, new JsonSerializerOptions(JsonSerializerDefaults.Web));
        Assert.Contains("\"upper\":null", json, StringComparison.Ordinal);
    }

    [Fact]
    public void SingleEventAtExtremeCovariate_WarnsCoefficientMayBeInfinite()
    {
        // coxph(Surv(1:4, c(0,1,0,0)) ~ c(2,1,4,3)): the only death has the smallest x at its risk set.
        var fit = CoxRegression.Fit([1, 2, 3, 4], [false, true, false, false], new double[,] { { 2 }, { 1 }, { 4 }, { 3 } }, ["x"]);

        Assert.False(fit.Converged);
        Assert.Equal(-10.43748, fit.Coefficients[0].Coef!.Value, 5);
        Assert.Equal(1.785714, fit.Tests.Score.ChiSquare!.Value, 6);
    }

    [Fact]
    public void ResultRecords_SerialiseWithTheCliPropertyNames()
    {
        var fit = CoxRegression.Fit(Time, Events, X, ["x"]);

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(fit, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
        var root = json.RootElement;
        Assert.Equal(6, root.GetProperty("n").GetInt32());
        Assert.Equal(4, root.GetProperty("events").GetInt32());
        var coefficient = root.GetProperty("coefficients")[0];
        foreach (var name in new[] { "name", "coef", "hazardRatio", "se", "z", "p", "lower", "upper" })
            Assert.True(coefficient.TryGetProperty(name, out _), name);
        foreach (var test in new[] { "wald", "likelihoodRatio", "score" })
        {
            var element = root.GetProperty("tests").GetProperty(test);
            Assert.Equal(1, element.GetProperty("df").GetInt32());
            Assert.True(element.GetProperty("chiSquare").GetDouble() > 0, test);
            Assert.True(element.GetProperty("p").GetDouble() is > 0 and < 1, test);
        }
    }

    [Fact]
    public void CovarianceDiagonal_IsSquaredStandardError()
    {
        var fit = CoxRegression.Fit(Time, Events, new double[,] { { 2, 0 }, { 1, 1 }, { 4, 1 }, { 3, 0 }, { 7, 1 }, { 5, 0 } }, ["x", "g"]);

        Assert.True(fit.Converged);
        for (var i = 0; i < 2; i++)
        {
            var se = fit.Coefficients[i].Se!.Value;
            Assert.Equal(1.0, se * se / fit.Covariance[i][i]!.Value, 12);
        }
        Assert.Equal(fit.Covariance[0][1], fit.Covariance[1][0]);
    }

    [Fact]
    public void ShiftingAndRescalingACovariate_RescalesOnlyItsCoefficient()
    {
        double[,] shifted = new double[6, 1];
        for (var i = 0; i < 6; i++) shifted[i, 0] = 1000 + X[i, 0] / 1000;

        var original = CoxRegression.Fit(Time, Events, X, ["x"]);
        var transformed = CoxRegression.Fit(Time, Events, shifted, ["x"]);

        Assert.Equal(original.Coefficients[0].Coef!.Value, transformed.Coefficients[0].Coef!.Value / 1000, 9);
        Assert.Equal(original.Coefficients[0].Z!.Value, transformed.Coefficients[0].Z!.Value, 9);
        Assert.Equal(original.LogLikelihood, transformed.LogLikelihood, 9);
    }

    [Fact]
    public void ReorderingSubjects_LeavesTheFitUnchanged()
    {
        var random = new Random(7);
        var n = 500;
        var time = new double[n];
        var events = new bool[n];
        var x = new double[n, 2];
        for (var i = 0; i < n; i++)
        {
            time[i] = random.Next(1, 30);
            events[i] = random.NextDouble() < 0.7;
            x[i, 0] = random.NextDouble() * 10;
            x[i, 1] = random.Next(0, 2);
        }
        var permutation = Enumerable.Range(0, n).OrderBy(_ => random.Next()).ToArray();
        var shuffledX = new double[n, 2];
        for (var i = 0; i < n; i++)
        {
            shuffledX[i, 0] = x[permutation[i], 0];
            shuffledX[i, 1] = x[permutation[i], 1];
        }

        var original = CoxRegression.Fit(time, events, x, ["a", "b"]);
        var shuffled = CoxRegression.Fit(
            permutation.Select(i => time[i]).ToArray(), permutation.Select(i => events[i]).ToArray(), shuffledX, ["a", "b"]);

        for (var j = 0; j < 2; j++)
        {
            Assert.Equal(original.Coefficients[j].Coef!.Value, shuffled.Coefficients[j].Coef!.Value, 12);
            Assert.Equal(original.Coefficients[j].Se!.Value, shuffled.Coefficients[j].Se!.Value, 12);
        }
        Assert.Equal(original.Tests.Score.ChiSquare!.Value, shuffled.Tests.Score.ChiSquare!.Value, 10);
    }

    [Fact]
    public void NearlyEqualTimes_TieUnderTimeFixOnly()
    {
        double[] nearly = [1, 1 + 1e-12, 3, 4, 5, 6];
        double[] exact = [1, 1, 3, 4, 5, 6];
        bool[] events = [true, true, true, false, true, false];

        var tied = CoxRegression.Fit(exact, events, X, ["x"]);
        var fixedUp = CoxRegression.Fit(nearly, events, X, ["x"]);
        var untouched = CoxRegression.Fit(nearly, events, X, ["x"], new CoxOptions { TimeFix = false });

        Assert.Equal(tied.LogLikelihood, fixedUp.LogLikelihood, 14);
        Assert.NotEqual(tied.LogLikelihood, untouched.LogLikelihood, 6);
    }

    [Fact]
    public void Breslow_EqualsEfronWithoutTies()
    {
        var efron = CoxRegression.Fit(Time, Events, X, ["x"]);
        var breslow = CoxRegression.Fit(Time, Events, X, ["x"], new CoxOptions { Ties = CoxTies.Breslow });

        Assert.Equal(efron.Coefficients[0].Coef!.Value, breslow.Coefficients[0].Coef!.Value, 14);
        Assert.Equal(efron.LogLikelihood, breslow.LogLikelihood, 14);
    }

    [Fact]
    public void ZeroIterations_ReturnsStartingValuesUnconverged()
    {
        var fit = CoxRegression.Fit(Time, Events, X, ["x"], new CoxOptions { MaxIterations = 0 });

        Assert.Equal(0, fit.Coefficients[0].Coef);
        Assert.Equal(0, fit.Iterations);
        Assert.False(fit.Converged);
        Assert.Equal(fit.LogLikelihoodNull, fit.LogLikelihood);
    }

    public static TheoryData<string, Action> BadArguments() => new()
    {
        { "events", () => CoxRegression.Fit([1, 2], [true], new double[2, 1], ["x"]) },
        { "time", () => CoxRegression.Fit([1, double.NaN], [true, true], new double[2, 1], ["x"]) },
        { "time", () => CoxRegression.Fit([1, -2], [true, true], new double[2, 1], ["x"]) },
        { "time", () => CoxRegression.Fit(null!, [true], new double[1, 1], ["x"]) },
        { "covariates", () => CoxRegression.Fit([1, 2], [true, true], new double[3, 1], ["x"]) },
        { "covariates", () => CoxRegression.Fit([1, 2], [true, true], new double[,] { { 1 }, { double.PositiveInfinity } }, ["x"]) },
        { "covariates", () => CoxRegression.Fit([1, 2], [true, true], new[] { new double[] { 1 }, new double[] { 1, 2 } }, ["x"]) },
        { "names", () => CoxRegression.Fit([1, 2], [true, true], new double[2, 2], ["x"]) },
        { "names", () => CoxRegression.Fit([1, 2], [true, true], new double[2, 2], ["x", "x"]) },
        { "names", () => CoxRegression.Fit([1, 2], [true, true], new double[2, 1], [" "]) },
        { "options", () => CoxRegression.Fit([1, 2], [true, true], new double[2, 1], ["x"], new CoxOptions { ConfidenceLevel = 1 }) },
        { "options", () => CoxRegression.Fit([1, 2], [true, true], new double[2, 1], ["x"], new CoxOptions { MaxIterations = -1 }) },
        { "options", () => CoxRegression.Fit([1, 2], [true, true], new double[2, 1], ["x"], new CoxOptions { Tolerance = 0 }) },
        { "options", () => CoxRegression.Fit([1, 2], [true, true], new double[2, 1], ["x"], new CoxOptions { CholeskyTolerance = double.NaN }) },
        { "options", () => CoxRegression.Fit([1, 2], [true, true], new double[2, 1], ["x"], new CoxOptions { Ties = (CoxTies)7 }) },
    };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void BadArgument_ThrowsNamingIt(string argument, Action fit)
    {
        var error = Assert.ThrowsAny<ArgumentException>(fit);

        Assert.Equal(argument, error.ParamName);
    }

    private static void AssertEmptyTests(CoxResult fit)
    {
        foreach (var test in new[] { fit.Tests.Wald, fit.Tests.LikelihoodRatio, fit.Tests.Score })
        {
            Assert.Equal(0, test.Df);
            Assert.Equal(0, test.ChiSquare);
            Assert.Equal(1, test.P);
        }
    }
}
