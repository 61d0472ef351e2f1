using System.Globalization;
using Outcomes.Statistics.Tests.Validation;

namespace Outcomes.Statistics.Tests;

/// Reference values: analytics/validation/lmm.R (lme4::lmer, REML, optimiser run to its optimum).
public class MixedModelTests
{
    private const string ExpectedFile = "lmm_expected.csv";
    private static readonly Lazy<IReadOnlyDictionary<string, double?>> Expected = new(() => RReference.Expected(ExpectedFile));

    public static TheoryData<string, string> ReferenceFits => new()
    {
        { "sleepstudy", "intercept" },
        { "sleepstudy", "slope" },
        { "phq9_complete", "intercept" },
        { "phq9_complete", "slope" },
        { "phq9_missing", "intercept" },
        { "phq9_missing", "slope" },
        { "phq9_missing", "slope_group" },
        { "singular", "intercept" },
        { "singular", "slope" },
    };

    [Theory]
    [MemberData(nameof(ReferenceFits))]
    public void ReferenceData_FixedEffectsAndStandardErrorsMatchLme4(string dataset, string model)
    {
        var fit = FitReference(dataset, model);
        var prefix = $"{dataset}.{model}.";
        Assert.Equal(ExpectedNames(prefix), fit.FixedEffects.Select(f => f.Name));
        foreach (var effect in fit.FixedEffects)
        {
            RReference.Close(Expected.Value[prefix + "estimate." + effect.Name], effect.Estimate, 1e-6, prefix + "estimate." + effect.Name);
            RReference.Close(Expected.Value[prefix + "se." + effect.Name], effect.Se, 1e-6, prefix + "se." + effect.Name);
        }
        for (var j = 0; j < fit.FixedEffects.Count; j++)
            for (var k = 0; k < fit.FixedEffects.Count; k++)
            {
                var key = $"{prefix}vcov.{fit.FixedEffects[j].Name}.{fit.FixedEffects[k].Name}";
                RReference.Close(Expected.Value[key], fit.FixedEffectsCovariance[j][k], 1e-6, key);
            }
    }

    [Theory]
    [MemberData(nameof(ReferenceFits))]
    public void ReferenceData_VarianceComponentsMatchLme4(string dataset, string model)
    {
        var fit = FitReference(dataset, model);
        var prefix = $"{dataset}.{model}.";
        RReference.Close(Expected.Value[prefix + "variance.intercept"], fit.Variance.Intercept, 1e-3, prefix + "variance.intercept");
        RReference.Close(Expected.Value[prefix + "variance.slope"], fit.Variance.Slope, 1e-3, prefix + "variance.slope");
        RReference.Close(Expected.Value[prefix + "variance.covariance"], fit.Variance.Covariance, 1e-3, prefix + "variance.covariance");
        RReference.Close(Expected.Value[prefix + "variance.residual"], fit.Variance.Residual, 1e-3, prefix + "variance.residual");
    }

    [Theory]
    [MemberData(nameof(ReferenceFits))]
    public void ReferenceData_RemlLogLikelihoodMatchesLme4(string dataset, string model)
    {
        var fit = FitReference(dataset, model);
        var prefix = $"{dataset}.{model}.";
        Assert.NotNull(fit.LogLikelihood);
        Assert.True(Math.Abs(Expected.Value[prefix + "logLik"]!.Value - fit.LogLikelihood.Value) <= 1e-6,
            $"{prefix}logLik: expected {Expected.Value[prefix + "logLik"]:R}, got {fit.LogLikelihood:R}");
        RReference.Close(Expected.Value[prefix + "reml"], fit.RemlCriterion, 1e-9, prefix + "reml");
    }

    [Theory]
    [MemberData(nameof(ReferenceFits))]
    public void ReferenceData_CountsConvergenceAndSingularityMatchLme4(string dataset, string model)
    {
        var fit = FitReference(dataset, model);
        var prefix = $"{dataset}.{model}.";
        Assert.Null(fit.Problem);
        Assert.True(fit.Converged);
        Assert.Equal((int)Expected.Value[prefix + "nobs"]!.Value, fit.Observations);
        Assert.Equal((int)Expected.Value[prefix + "ngroups"]!.Value, fit.Subjects);
        Assert.Equal(Expected.Value[prefix + "singular"] == 1, fit.Singular);
        for (var i = 0; i < fit.Theta.Count; i++)
            Assert.True(Math.Abs(Expected.Value[$"{prefix}theta.{i + 1}"]!.Value - fit.Theta[i]) <= 1e-5,
                $"{prefix}theta.{i + 1}: expected {Expected.Value[$"{prefix}theta.{i + 1}"]:R}, got {fit.Theta[i]:R}");
    }

    [Theory]
    [MemberData(nameof(ReferenceFits))]
    public void ReferenceData_SubjectRandomEffectsMatchLme4Ranef(string dataset, string model)
    {
        var fit = FitReference(dataset, model);
        var prefix = $"{dataset}.{model}.";
        // Compared on the scale of the random effect's own spread: a BLUP near 0 has no meaningful relative error.
        var interceptScale = Math.Sqrt(fit.Variance.Intercept!.Value);
        var slopeScale = Math.Sqrt(fit.Variance.Slope ?? 0);
        foreach (var effect in fit.RandomEffects)
        {
            var key = $"{prefix}ranef.{effect.Subject}.";
            Assert.True(Math.Abs(Expected.Value[key + "intercept"]!.Value - effect.Intercept) <= 1e-5 * interceptScale,
                $"{key}intercept: expected {Expected.Value[key + "intercept"]:R}, got {effect.Intercept:R}");
            if (fit.Term == RandomEffectsTerm.InterceptAndSlope)
                Assert.True(Math.Abs(Expected.Value[key + "slope"]!.Value - effect.Slope!.Value) <= 1e-5 * slopeScale,
                    $"{key}slope: expected {Expected.Value[key + "slope"]:R}, got {effect.Slope:R}");
            else
                Assert.Null(effect.Slope);
        }
        Assert.Equal(fit.Subjects, fit.RandomEffects.Count);
    }

    [Fact]
    public void UnbalancedVisits_SubjectObservationCountsAreReported()
    {
        var data = Load("phq9_missing");
        var fit = MixedModel.Fit(data.Subject, data.Time, data.Outcome);
        var counts = data.Subject.GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(fit.RandomEffects, e => Assert.Equal(counts[e.Subject], e.Observations));
        Assert.Contains(fit.RandomEffects, e => e.Observations == 1);
        Assert.Equal(data.Outcome.Length, fit.RandomEffects.Sum(e => e.Observations));
    }

    [Fact]
    public void RandomInterceptModel_HasNoSlopeOrCovariance()
    {
        var data = Load("sleepstudy");
        var fit = MixedModel.Fit(data.Subject, data.Time, data.Outcome, RandomEffectsTerm.Intercept);
        Assert.Null(fit.Variance.Slope);
        Assert.Null(fit.Variance.Covariance);
        Assert.Single(fit.Theta);
        Assert.Equal(RandomEffectsTerm.Intercept, fit.Term);
    }

    [Theory]
    [InlineData(7.0)]
    [InlineData(1.0 / 52)]
    [InlineData(30.0)]
    public void TimeRescaled_SlopeAndItsVarianceRescaleAndTheFitStaysConverged(double daysPerUnit)
    {
        // Weeks -> days (or years): beta_time scales by 1/c, the slope variance by 1/c^2, the covariance by 1/c;
        // the intercept, its variance and the residual variance do not move. This checks that the optimiser
        // finds the same optimum when theta's slope entries are orders of magnitude smaller or larger.
        var data = Load("phq9_missing");
        var weeks = MixedModel.Fit(data.Subject, data.Time, data.Outcome);
        var rescaled = MixedModel.Fit(data.Subject, data.Time.Select(t => t * daysPerUnit).ToArray(), data.Outcome);
        Assert.True(rescaled.Converged);
        RReference.Close(weeks.FixedEffects[0].Estimate, rescaled.FixedEffects[0].Estimate, 1e-8, "intercept");
        RReference.Close(weeks.FixedEffects[1].Estimate / daysPerUnit, rescaled.FixedEffects[1].Estimate, 1e-8, "time");
        RReference.Close(weeks.FixedEffects[1].Se / daysPerUnit, rescaled.FixedEffects[1].Se, 1e-6, "time se");
        RReference.Close(weeks.Variance.Intercept, rescaled.Variance.Intercept, 1e-6, "intercept variance");
        RReference.Close(weeks.Variance.Slope / (daysPerUnit * daysPerUnit), rescaled.Variance.Slope, 1e-6, "slope variance");
        RReference.Close(weeks.Variance.Covariance / daysPerUnit, rescaled.Variance.Covariance, 1e-6, "covariance");
        RReference.Close(weeks.Variance.Residual, rescaled.Variance.Residual, 1e-6, "residual variance");
    }

    [Theory]
    [InlineData("sleepstudy_seconds", 1e-6, 1e-3)]
    [InlineData("nlme_seconds", 1e-5, 1e-3)]
    public void SleepstudyInSeconds_FitsAsInDays_RewrittenInSeconds(string reference, double fixedTolerance, double varianceTolerance)
    {
        // Days x 86400: the slope's entries of theta are ~1e-5 of the intercept's. Without rescaling time the optimiser
        // stopped short ("did not reach a stationary point"); lme4 itself stops short too (analytics/validation/lmm_units.R).
        // The references: lme4's per-day fit rewritten in seconds, and nlme's fit to the seconds directly.
        var expected = RReference.Expected("lmm_units_expected.csv");
        var data = Load("sleepstudy");

        var fit = MixedModel.Fit(data.Subject, data.Time.Select(t => t * 86400).ToArray(), data.Outcome);

        Assert.Null(fit.Problem);
        Assert.True(fit.Converged);
        Assert.False(fit.Singular);
        var prefix = $"{reference}.slope.";
        foreach (var effect in fit.FixedEffects)
        {
            RReference.Close(expected[prefix + "estimate." + effect.Name], effect.Estimate, fixedTolerance, prefix + "estimate." + effect.Name);
            RReference.Close(expected[prefix + "se." + effect.Name], effect.Se, fixedTolerance, prefix + "se." + effect.Name);
        }
        RReference.Close(expected[prefix + "variance.intercept"], fit.Variance.Intercept, varianceTolerance, "variance.intercept");
        RReference.Close(expected[prefix + "variance.slope"], fit.Variance.Slope, varianceTolerance, "variance.slope");
        RReference.Close(expected[prefix + "variance.covariance"], fit.Variance.Covariance, varianceTolerance, "variance.covariance");
        RReference.Close(expected[prefix + "variance.residual"], fit.Variance.Residual, varianceTolerance, "variance.residual");
        Assert.True(Math.Abs(expected[prefix + "logLik"]!.Value - fit.LogLikelihood!.Value) <= 1e-6,
            $"logLik: expected {expected[prefix + "logLik"]:R}, got {fit.LogLikelihood:R}");
    }

    [Theory]
    [InlineData(86400.0)]
    [InlineData(1.0 / 1024)]
    [InlineData(1e-6)]
    [InlineData(3600.0 * 24 * 365)]
    public void TimeInAnyUnit_SameFitRewrittenInThatUnit(double unitsPerDay)
    {
        var data = Load("sleepstudy");
        var days = MixedModel.Fit(data.Subject, data.Time, data.Outcome);

        var fit = MixedModel.Fit(data.Subject, data.Time.Select(t => t * unitsPerDay).ToArray(), data.Outcome);

        Assert.True(fit.Converged);
        Assert.Equal(days.Singular, fit.Singular);
        RReference.Close(days.FixedEffects[1].Estimate / unitsPerDay, fit.FixedEffects[1].Estimate, 1e-8, "time");
        RReference.Close(days.FixedEffects[1].Se / unitsPerDay, fit.FixedEffects[1].Se, 1e-6, "time se");
        RReference.Close(days.Variance.Slope / (unitsPerDay * unitsPerDay), fit.Variance.Slope, 1e-6, "slope variance");
        RReference.Close(days.Variance.Covariance / unitsPerDay, fit.Variance.Covariance, 1e-6, "covariance");
        RReference.Close(days.Variance.Residual, fit.Variance.Residual, 1e-6, "residual variance");
        RReference.Close(days.LogLikelihood - Math.Log(unitsPerDay), fit.LogLikelihood, 1e-9, "logLik");
        RReference.Close(days.Theta[1] / unitsPerDay, fit.Theta[1], 1e-5, "theta 2");
        RReference.Close(days.RandomEffects[0].Slope / unitsPerDay, fit.RandomEffects[0].Slope, 1e-5, "first subject's slope");
    }

    [Fact]
    public void ShuffledRows_GiveTheSameFit()
    {
        var data = Load("phq9_missing");
        var order = Enumerable.Range(0, data.Outcome.Length).OrderBy(i => (i * 7919) % data.Outcome.Length).ToArray();
        var original = MixedModel.Fit(data.Subject, data.Time, data.Outcome);
        var shuffled = MixedModel.Fit(order.Select(i => data.Subject[i]).ToArray(), order.Select(i => data.Time[i]).ToArray(),
            order.Select(i => data.Outcome[i]).ToArray());
        for (var j = 0; j < 2; j++)
            RReference.Close(original.FixedEffects[j].Estimate, shuffled.FixedEffects[j].Estimate, 1e-9, "estimate");
        RReference.Close(original.LogLikelihood, shuffled.LogLikelihood, 1e-12, "logLik");
    }

    [Fact]
    public void NoSubjectVariation_InterceptVarianceIsZeroAndFixedEffectsAreOrdinaryLeastSquares()
    {
        // Each subject's outcomes are the same line plus within-subject noise that averages to 0 per subject:
        // between-subject variance is exactly 0, so REML puts theta on the boundary and beta is the OLS fit.
        double[] noise = [1.5, -0.5, -2.0, 1.0];
        var subjects = new List<int>();
        var times = new List<double>();
        var outcomes = new List<double>();
        for (var s = 0; s < 12; s++)
            for (var t = 0; t < 4; t++)
            {
                subjects.Add(s);
                times.Add(t);
                outcomes.Add(20 - 1.5 * t + noise[(t + s) % 4]);
            }
        var fit = MixedModel.Fit(subjects, times, outcomes, RandomEffectsTerm.Intercept);

        var ols = OrdinaryLeastSquares(times, outcomes);
        Assert.True(fit.Singular);
        Assert.True(fit.Converged);
        Assert.True(fit.Variance.Intercept < 1e-8 * fit.Variance.Residual, $"intercept variance {fit.Variance.Intercept}");
        RReference.Close(ols.Intercept, fit.FixedEffects[0].Estimate, 1e-9, "intercept");
        RReference.Close(ols.Slope, fit.FixedEffects[1].Estimate, 1e-9, "slope");
        RReference.Close(ols.Residual, fit.Variance.Residual, 1e-6, "residual variance");
        RReference.Close(ols.SlopeSe, fit.FixedEffects[1].Se, 1e-6, "slope se");
    }

    [Theory]
    [InlineData("sleepstudy", 1, new[] { 0.7 })]
    [InlineData("sleepstudy", 2, new[] { 0.9, 0.1, 0.3 })]
    [InlineData("sleepstudy", 2, new[] { 0.0, 0.1, 0.3 })]
    [InlineData("sleepstudy", 2, new[] { 0.9, -0.2, 0.0 })]
    [InlineData("phq9_missing", 1, new[] { 1.3 })]
    [InlineData("phq9_missing", 2, new[] { 1.3, -0.2, 0.4 })]
    public void RemlGradient_MatchesFiniteDifferencesOfTheCriterion(string dataset, int randomEffectsPerSubject, double[] theta)
    {
        var data = Load(dataset);
        var keys = data.Subject.Distinct().ToList();
        var index = data.Subject.Select(s => keys.IndexOf(s)).ToArray();
        IReadOnlyList<double>[] covariates = data.Group is null ? [] : [data.Group];
        var criterion = new RemlCriterion(index, keys.Count, data.Time, data.Outcome, covariates, randomEffectsPerSubject);

        var gradient = criterion.Gradient(theta);
        for (var j = 0; j < theta.Length; j++)
        {
            // Fourth-order central difference, so truncation error stays far below the tolerance.
            const double h = 1e-4;
            double At(double shift)
            {
                var shifted = (double[])theta.Clone();
                shifted[j] += shift;
                return criterion.Deviance(shifted);
            }
            var numeric = (8 * (At(h) - At(-h)) - (At(2 * h) - At(-2 * h))) / (12 * h);
            Assert.True(Math.Abs(numeric - gradient[j]) <= 1e-6 * Math.Max(1, Math.Abs(numeric)),
                $"d/dtheta_{j + 1}: finite differences {numeric:R}, analytic {gradient[j]:R}");
        }
    }

    [Fact]
    public void EachSubjectOnItsOwnExactLine_FailureResultBecauseResidualVarianceIsZero()
    {
        var subjects = new List<int>();
        var times = new List<double>();
        var outcomes = new List<double>();
        for (var s = 0; s < 6; s++)
            for (var t = 0; t < 4; t++)
            {
                subjects.Add(s);
                times.Add(t);
                outcomes.Add(10 + 2 * s - (0.5 + 0.3 * s) * t);
            }
        var fit = MixedModel.Fit(subjects, times, outcomes);
        Assert.Empty(fit.FixedEffects);
        Assert.False(fit.Converged);
        Assert.Null(fit.LogLikelihood);
        Assert.Contains("residual variance is 0", fit.Problem);
    }

    [Fact]
    public void AllOutcomesEqual_ExactFitWithZeroVariancesAndNoLikelihood()
    {
        var subjects = new[] { "a", "a", "a", "b", "b", "b", "c", "c" };
        var times = new double[] { 0, 1, 2, 0, 1, 3, 0, 2 };
        var outcomes = Enumerable.Repeat(12.0, 8).ToArray();
        var fit = MixedModel.Fit(subjects, times, outcomes, RandomEffectsTerm.Intercept);

        Assert.Equal(12.0, fit.FixedEffects[0].Estimate, 12);
        Assert.Equal(0.0, fit.FixedEffects[1].Estimate, 12);
        Assert.All(fit.FixedEffects, f => Assert.Equal(0.0, f.Se));
        Assert.Equal(new VarianceComponents(0, null, null, 0), fit.Variance);
        Assert.Null(fit.LogLikelihood);
        Assert.True(fit.Singular);
        Assert.NotNull(fit.Problem);
        Assert.All(fit.RandomEffects, e => Assert.Equal(0.0, e.Intercept));
    }

    [Fact]
    public void NoObservations_FailureResultWithoutException()
    {
        var fit = MixedModel.Fit(Array.Empty<string>(), [], []);
        Assert.Empty(fit.FixedEffects);
        Assert.Equal(VarianceComponents.None, fit.Variance);
        Assert.Null(fit.LogLikelihood);
        Assert.False(fit.Converged);
        Assert.Contains("no observations", fit.Problem);
    }

    [Fact]
    public void OneSubject_FailureResultAsLme4Refuses()
    {
        var fit = MixedModel.Fit(new[] { 1, 1, 1, 1 }, [0, 1, 2, 3], [20, 18, 15, 11]);
        Assert.Empty(fit.FixedEffects);
        Assert.Equal(1, fit.Subjects);
        Assert.Contains("at least 2 subjects", fit.Problem);
    }

    [Fact]
    public void OneObservationPerSubject_RandomSlopeFailsButRandomInterceptNeedsMoreObservationsToo()
    {
        int[] subjects = [1, 2, 3, 4, 5];
        double[] times = [0, 1, 2, 3, 4];
        double[] outcomes = [20, 17, 15, 14, 10];
        var slope = MixedModel.Fit(subjects, times, outcomes, RandomEffectsTerm.InterceptAndSlope);
        var intercept = MixedModel.Fit(subjects, times, outcomes, RandomEffectsTerm.Intercept);
        Assert.Empty(slope.FixedEffects);
        Assert.Contains("random effects", slope.Problem);
        Assert.Empty(intercept.FixedEffects);
        Assert.Contains("number of subjects", intercept.Problem);
    }

    [Fact]
    public void TwoObservationsPerSubject_RandomSlopeNotIdentifiedButRandomInterceptFits()
    {
        var subjects = new[] { 1, 1, 2, 2, 3, 3, 4, 4 };
        double[] times = [0, 4, 0, 4, 0, 3, 0, 5];
        double[] outcomes = [20, 14, 18, 9, 22, 17, 16, 6];
        var slope = MixedModel.Fit(subjects, times, outcomes, RandomEffectsTerm.InterceptAndSlope);
        var intercept = MixedModel.Fit(subjects, times, outcomes, RandomEffectsTerm.Intercept);
        Assert.Empty(slope.FixedEffects);
        Assert.NotNull(slope.Problem);
        Assert.Null(intercept.Problem);
        Assert.Equal(2, intercept.FixedEffects.Count);
        Assert.NotNull(intercept.LogLikelihood);
    }

    [Fact]
    public void ConstantTime_FailureNamesTheInestimableFixedEffect()
    {
        var fit = MixedModel.Fit(new[] { 1, 1, 2, 2, 3, 3 }, [2, 2, 2, 2, 2, 2], [20, 18, 15, 11, 14, 13],
            RandomEffectsTerm.Intercept);
        Assert.Empty(fit.FixedEffects);
        Assert.Contains("'time'", fit.Problem);
    }

    [Fact]
    public void DifferentLengths_ArgumentExceptionNamesTheArgument()
    {
        var exception = Assert.Throws<ArgumentException>(() => MixedModel.Fit(new[] { 1, 2, 3 }, [0, 1], [1, 2, 3]));
        Assert.Equal("time", exception.ParamName);
        Assert.Contains("one per observation", exception.Message);
        var outcomeException = Assert.Throws<ArgumentException>(() => MixedModel.Fit(new[] { 1, 2 }, [0, 1], [1, 2, 3]));
        Assert.Equal("outcome", outcomeException.ParamName);
    }

    [Fact]
    public void NaNOutcome_ArgumentExceptionNamesTheArgumentAndRule()
    {
        var exception = Assert.Throws<ArgumentException>(() => MixedModel.Fit(new[] { 1, 1, 2 }, [0, 1, 0], [1, double.NaN, 3]));
        Assert.Equal("outcome", exception.ParamName);
        Assert.Contains("outcome[1]", exception.Message);
        Assert.Contains("finite", exception.Message);
    }

    [Fact]
    public void InfiniteTime_ArgumentExceptionNamesTheArgument()
    {
        var exception = Assert.Throws<ArgumentException>(() => MixedModel.Fit(new[] { 1, 1, 2 }, [0, double.PositiveInfinity, 0], [1, 2, 3]));
        Assert.Equal("time", exception.ParamName);
    }

    [Fact]
    public void NullSubjectKey_ArgumentException()
    {
        var exception = Assert.Throws<ArgumentException>(() => MixedModel.Fit(new[] { "a", null!, "b" }, [0, 1, 0], [1, 2, 3]));
        Assert.Equal("subject", exception.ParamName);
    }

    [Fact]
    public void CovariateClashingWithTime_ArgumentException()
    {
        var exception = Assert.Throws<ArgumentException>(() => MixedModel.Fit(new[] { 1, 1, 2 }, [0, 1, 0], [1, 2, 3],
            RandomEffectsTerm.Intercept, [new Covariate("time", [0, 1, 0])]));
        Assert.Equal("covariates", exception.ParamName);
    }

    [Fact]
    public void CovariateOfWrongLength_ArgumentException()
    {
        var exception = Assert.Throws<ArgumentException>(() => MixedModel.Fit(new[] { 1, 1, 2 }, [0, 1, 0], [1, 2, 3],
            RandomEffectsTerm.Intercept, [new Covariate("group", [0, 1])]));
        Assert.Equal("covariates", exception.ParamName);
        Assert.Contains("group", exception.Message);
    }

    [Fact]
    public void NaNCovariate_ArgumentExceptionNamesTheCovariate()
    {
        var exception = Assert.Throws<ArgumentException>(() => MixedModel.Fit(new[] { 1, 1, 2 }, [0, 1, 0], [1, 2, 3],
            RandomEffectsTerm.Intercept, [new Covariate("group", [0, double.NaN, 1])]));
        Assert.Equal("covariates", exception.ParamName);
        Assert.Contains("'group'[1]", exception.Message);
    }

    [Fact]
    public void RandomEffects_FollowSubjectsFirstAppearance()
    {
        var data = Load("sleepstudy");
        var fit = MixedModel.Fit(data.Subject, data.Time, data.Outcome);
        Assert.Equal(data.Subject.Distinct(), fit.RandomEffects.Select(e => e.Subject));
    }

    private static MixedModelFit<string> FitReference(string dataset, string model)
    {
        var data = Load(dataset);
        return model switch
        {
            "intercept" => MixedModel.Fit(data.Subject, data.Time, data.Outcome, RandomEffectsTerm.Intercept),
            "slope" => MixedModel.Fit(data.Subject, data.Time, data.Outcome, RandomEffectsTerm.InterceptAndSlope),
            "slope_group" => MixedModel.Fit(data.Subject, data.Time, data.Outcome, RandomEffectsTerm.InterceptAndSlope,
                [new Covariate("group", data.Group!), new Covariate("time:group", data.Time.Zip(data.Group!, (t, g) => t * g).ToArray())]),
            _ => throw new ArgumentException($"unknown model {model}", nameof(model)),
        };
    }

    private static string[] ExpectedNames(string prefix) =>
        Expected.Value.Keys.Where(k => k.StartsWith(prefix + "estimate.", StringComparison.Ordinal))
            .Select(k => k[(prefix.Length + "estimate.".Length)..]).ToArray();

    private sealed record Dataset(string[] Subject, double[] Time, double[] Outcome, double[]? Group);

    private static readonly Dictionary<string, Dataset> Cache = [];

    private static Dataset Load(string dataset)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(dataset, out var cached)) return cached;
            var file = $"lmm_{dataset}.csv";
            var (header, rows) = RReference.Table(file);
            var subject = rows.Select(r => r[Array.IndexOf(header, "subject")]).ToArray();
            var group = header.Contains("group") ? RReference.Column(file, "group") : null;
            var loaded = new Dataset(subject, RReference.Column(file, "time"), RReference.Column(file, "outcome"), group);
            Cache[dataset] = loaded;
            return loaded;
        }
    }

    private static (double Intercept, double Slope, double Residual, double SlopeSe) OrdinaryLeastSquares(
        IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var n = x.Count;
        var meanX = x.Average();
        var meanY = y.Average();
        double sxx = 0, sxy = 0;
        for (var i = 0; i < n; i++)
        {
            sxx += (x[i] - meanX) * (x[i] - meanX);
            sxy += (x[i] - meanX) * (y[i] - meanY);
        }
        var slope = sxy / sxx;
        var intercept = meanY - slope * meanX;
        var rss = 0.0;
        for (var i = 0; i < n; i++)
        {
            var e = y[i] - intercept - slope * x[i];
            rss += e * e;
        }
        var residual = rss / (n - 2);
        return (intercept, slope, residual, Math.Sqrt(residual / sxx));
    }
}
