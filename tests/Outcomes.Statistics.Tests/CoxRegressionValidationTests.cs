using System.Globalization;
using Outcomes.Statistics.Tests.Validation;

namespace Outcomes.Statistics.Tests;

/// Known answers from analytics/validation/cox.R (survival::coxph), Efron and Breslow.
public class CoxRegressionValidationTests
{
    private const double Tolerance = 1e-6;
    private static readonly IReadOnlyDictionary<string, double?> Expected = RReference.Expected("cox_expected.csv");

    public static TheoryData<string, CoxTies> Models()
    {
        var data = new TheoryData<string, CoxTies>();
        foreach (var model in new[] { "lung", "lungfactor", "aml", "ties", "constant", "aliased", "alltied", "alldied" })
        {
            data.Add(model, CoxTies.Efron);
            data.Add(model, CoxTies.Breslow);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Fit_MatchesCoxph(string model, CoxTies ties)
    {
        var (time, events, design) = Load(model);

        var fit = CoxRegression.Fit(time, events, design, new CoxOptions { Ties = ties });

        AssertMatches($"{model}.{ties.ToString().ToLowerInvariant()}.", fit);
    }

    [Fact]
    public void Fit_NinetyPercentIntervals_MatchCoxph()
    {
        var (time, events, design) = Load("lungfactor");

        var fit = CoxRegression.Fit(time, events, design, new CoxOptions { ConfidenceLevel = 0.90 });

        AssertMatches("lungfactor90.efron.", fit);
    }

    [Fact]
    public void Fit_FactorDesign_NamesDummiesAsR()
    {
        var (_, _, design) = Load("lungfactor");

        Assert.Equal(["age", "sexmale", "ph.ecog1", "ph.ecog2", "ph.ecog3"], design.Names);
    }

    [Fact]
    public void Fit_MatrixAndJaggedInputs_AgreeWithDesign()
    {
        var (time, events, design) = Load("ties");
        var rows = new double[design.Rows][];
        for (var i = 0; i < design.Rows; i++)
        {
            rows[i] = new double[design.Columns];
            for (var j = 0; j < design.Columns; j++) rows[i][j] = design.Values[i, j];
        }

        var viaDesign = CoxRegression.Fit(time, events, design);
        var viaMatrix = CoxRegression.Fit(time, events, design.Values, design.Names);
        var viaRows = CoxRegression.Fit(time, events, rows, design.Names);

        for (var j = 0; j < design.Columns; j++)
        {
            Assert.Equal(viaDesign.Coefficients[j].Coef, viaMatrix.Coefficients[j].Coef);
            Assert.Equal(viaDesign.Coefficients[j].Se, viaRows.Coefficients[j].Se);
        }
        Assert.Equal(viaDesign.LogLikelihood, viaRows.LogLikelihood);
    }

    private static void AssertMatches(string prefix, CoxResult fit)
    {
        Assert.Equal((int)Expected[prefix + "n"]!.Value, fit.N);
        Assert.Equal((int)Expected[prefix + "events"]!.Value, fit.Events);
        Assert.Equal((int)Expected[prefix + "iterations"]!.Value, fit.Iterations);
        Assert.True(fit.Converged, $"{prefix} did not converge");
        Close(prefix + "loglik0", fit.LogLikelihoodNull);
        Close(prefix + "loglik", fit.LogLikelihood);
        foreach (var c in fit.Coefficients)
        {
            Close($"{prefix}coef.{c.Name}", c.Coef);
            Close($"{prefix}hr.{c.Name}", c.HazardRatio);
            Close($"{prefix}se.{c.Name}", c.Se);
            Close($"{prefix}z.{c.Name}", c.Z);
            Close($"{prefix}p.{c.Name}", c.P);
            Close($"{prefix}lower.{c.Name}", c.Lower);
            Close($"{prefix}upper.{c.Name}", c.Upper);
        }
        for (var i = 0; i < fit.Coefficients.Count; i++)
        {
            for (var j = 0; j < fit.Coefficients.Count; j++)
                Close($"{prefix}var.{fit.Coefficients[i].Name}.{fit.Coefficients[j].Name}", fit.Covariance[i][j]);
        }
        Assert.Equal(fit.Coefficients.Any(c => c.Coef is null), fit.Singular);
        AssertTest(prefix + "wald.", fit.Tests.Wald);
        AssertTest(prefix + "lr.", fit.Tests.LikelihoodRatio);
        AssertTest(prefix + "score.", fit.Tests.Score);
    }

    private static void AssertTest(string prefix, CoxTest test)
    {
        Close(prefix + "chisq", test.ChiSquare);
        Assert.Equal((int)Expected[prefix + "df"]!.Value, test.Df);
        Close(prefix + "p", test.P);
    }

    /// Relative to 1e-6; R's exact zeros (β at a symmetric optimum) are met to 1e-12 absolute.
    private static void Close(string key, double? actual)
    {
        Assert.True(Expected.ContainsKey(key), $"no expected value {key}");
        var expected = Expected[key];
        if (expected == 0 && actual is { } a && Math.Abs(a) < 1e-12) return;
        RReference.Close(expected, actual, Tolerance, key);
    }

    private static (double[] Time, bool[] Events, DesignMatrix Design) Load(string model) => model switch
    {
        "lung" => Fitting("cox_lung.csv", "time", "status",
            Number("cox_lung.csv", "age"), Number("cox_lung.csv", "sex"), Number("cox_lung.csv", "ph.ecog")),
        "lungfactor" => Fitting("cox_lung.csv", "time", "status",
            Number("cox_lung.csv", "age"),
            DesignColumn.Factor("sex", Text("cox_lung.csv", "sex").Select(s => s == "1" ? "male" : "female").ToArray()),
            DesignColumn.Factor("ph.ecog", Text("cox_lung.csv", "ph.ecog"))),
        "aml" => Fitting("cox_aml.csv", "time", "status", DesignColumn.Factor("x", Text("cox_aml.csv", "x"))),
        "ties" => Fitting("cox_ties.csv", "time", "status",
            Number("cox_ties.csv", "age"), Number("cox_ties.csv", "male"),
            DesignColumn.Factor("modality", Text("cox_ties.csv", "modality"))),
        "constant" => Fitting("cox_degenerate.csv", "time", "status",
            Number("cox_degenerate.csv", "x"), Number("cox_degenerate.csv", "k")),
        "aliased" => Fitting("cox_degenerate.csv", "time", "status",
            Number("cox_degenerate.csv", "x"), Number("cox_degenerate.csv", "z")),
        "alltied" => Fitting("cox_degenerate.csv", "tiedtime", "status", Number("cox_degenerate.csv", "x")),
        "alldied" => Fitting("cox_degenerate.csv", "tiedtime", "died", Number("cox_degenerate.csv", "x")),
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, "unknown validation model"),
    };

    private static (double[], bool[], DesignMatrix) Fitting(string file, string time, string status, params DesignColumn[] columns) =>
        (RReference.Column(file, time), RReference.Column(file, status).Select(s => s == 1).ToArray(), DesignMatrix.FromColumns(columns));

    private static DesignColumn Number(string file, string column) => DesignColumn.Numeric(column, RReference.Column(file, column));

    private static string[] Text(string file, string column)
    {
        var (header, rows) = RReference.Table(file);
        var index = Array.IndexOf(header, column);
        Assert.True(index >= 0, string.Create(CultureInfo.InvariantCulture, $"{file} has no column {column}"));
        return rows.Select(r => r[index]).ToArray();
    }
}
