namespace Outcomes.Statistics;

/// <summary>
/// Linear mixed model for longitudinal trajectories, fitted by REML exactly as <c>lme4::lmer</c>:
/// <c>outcome ~ 1 + time [+ covariates] + (1 | subject)</c> or <c>... + (1 + time | subject)</c>.
/// </summary>
/// <remarks>
/// Model (Laird and Ware 1982): y = X beta + Z b + e, b ~ N(0, sigma^2 Lambda_theta Lambda_theta'),
/// e ~ N(0, sigma^2 I), where Lambda_theta is block diagonal with one q x q lower-triangular block T(theta)
/// per subject (q = 1 or 2). REML estimates theta by minimising the profiled criterion
/// (Bates, Maechler, Bolker and Walker 2015, J Stat Softw 67(1), eq. 41)
/// d_R(theta) = log|L_theta|^2 + log|R_X|^2 + (n - p) [1 + log(2 pi r^2(theta) / (n - p))],
/// with L_theta L_theta' = Lambda'Z'Z Lambda + I, R_X the Cholesky factor of the Schur complement of X'X,
/// and r^2 the penalised residual sum of squares. Then sigma^2 = r^2 / (n - p),
/// Var(beta-hat) = sigma^2 (R_X'R_X)^-1, Sigma_b = sigma^2 T T', log-likelihood = -d_R / 2.
/// Per-subject sums are formed once, so each evaluation costs O(subjects), not O(observations).
/// Unbalanced data (different visit times and numbers of visits per subject) need nothing special:
/// a missed visit is an absent row.
/// </remarks>
public static class MixedModel
{
    /// <summary>The tolerance lme4::isSingular applies to the diagonal of theta.</summary>
    public const double SingularityTolerance = 1e-4;

    /// <summary>
    /// Fits the model by REML. Rows are observations; <paramref name="subject"/> groups them.
    /// </summary>
    /// <param name="subject">Each observation's subject key (not null).</param>
    /// <param name="time">Each observation's time (finite), e.g. weeks since the first session.</param>
    /// <param name="outcome">Each observation's outcome (finite), e.g. the PHQ-9 total.</param>
    /// <param name="term">Random intercept only, or correlated random intercept and slope.</param>
    /// <param name="covariates">Optional extra fixed-effect columns after "(Intercept)" and "time".</param>
    /// <returns>
    /// The fit. Data that cannot support the model (fewer than 2 subjects, no more observations than random
    /// effects, a constant time, an outcome fitted exactly) give a result whose <c>Problem</c> says so,
    /// following lme4's checks; only malformed arguments throw.
    /// </returns>
    /// <exception cref="ArgumentNullException">An argument or a covariate's values are null.</exception>
    /// <exception cref="ArgumentException">
    /// Arrays of different lengths, a null subject key, a non-finite time, outcome or covariate value,
    /// or a covariate name that is empty, repeated, or "(Intercept)"/"time".
    /// </exception>
    public static MixedModelFit<TSubject> Fit<TSubject>(
        IReadOnlyList<TSubject> subject,
        IReadOnlyList<double> time,
        IReadOnlyList<double> outcome,
        RandomEffectsTerm term = RandomEffectsTerm.InterceptAndSlope,
        IReadOnlyList<Covariate>? covariates = null)
        where TSubject : notnull
    {
        covariates ??= [];
        Validate(subject, time, outcome, term, covariates);

        // Time is fitted in units of a power of two near its largest value, so that the slope's entries of theta are of
        // the order of the intercept's whatever the unit (days x 86400 puts them 1e-5 apart, where the optimiser stops
        // short of the optimum, as lme4's does). Dividing by a power of two is exact, and the model is the same: only
        // its parameters are written in other units, and are rewritten in the caller's below.
        var timeUnit = TimeUnit(time);
        var scaledTime = new double[time.Count];
        for (var i = 0; i < scaledTime.Length; i++) scaledTime[i] = time[i] / timeUnit;
        var fit = FitScaled(subject, scaledTime, outcome, term, covariates);
        return timeUnit == 1 ? fit : InCallerUnits(fit, timeUnit);
    }

    // 2^k with 1 <= max|t| / 2^k < 2; 1 when every time is 0.
    private static double TimeUnit(IReadOnlyList<double> time)
    {
        var largest = 0.0;
        for (var i = 0; i < time.Count; i++) largest = Math.Max(largest, Math.Abs(time[i]));
        return largest == 0 ? 1 : Math.ScaleB(1.0, Math.ILogB(largest));
    }

    // The fit with time in units of u, written per caller's time unit: with t = u·s, beta_time and b_time scale by 1/u,
    // Var(slope) by 1/u^2, Cov(intercept, slope) by 1/u, theta's slope row by 1/u; log|X'V^-1 X| gains 2 log u, so the
    // REML criterion gains 2 log u. Singularity stays judged on the scaled fit, where it does not depend on the unit.
    private static MixedModelFit<TSubject> InCallerUnits<TSubject>(MixedModelFit<TSubject> fit, double u)
    {
        if (fit.FixedEffects.Count == 0) return fit;
        double PerTime(double value, int index, int timeIndex) => index == timeIndex ? value / u : value;
        var fixedEffects = fit.FixedEffects
            .Select((f, j) => f with { Estimate = PerTime(f.Estimate, j, 1), Se = PerTime(f.Se, j, 1) })
            .ToArray();
        var covariance = fit.FixedEffectsCovariance
            .Select((row, j) => (IReadOnlyList<double>)row.Select((v, k) => PerTime(PerTime(v, j, 1), k, 1)).ToArray())
            .ToArray();
        var variance = fit.Variance with
        {
            Slope = fit.Variance.Slope / (u * u),
            Covariance = fit.Variance.Covariance / u,
        };
        IReadOnlyList<double> theta = fit.Theta.Count == 3 ? [fit.Theta[0], fit.Theta[1] / u, fit.Theta[2] / u] : fit.Theta;
        var randomEffects = fit.RandomEffects.Select(e => e with { Slope = e.Slope / u }).ToArray();
        return fit with
        {
            FixedEffects = fixedEffects,
            FixedEffectsCovariance = covariance,
            Variance = variance,
            Theta = theta,
            RandomEffects = randomEffects,
            LogLikelihood = fit.LogLikelihood - Math.Log(u),
            RemlCriterion = fit.RemlCriterion + 2 * Math.Log(u),
        };
    }

    private static MixedModelFit<TSubject> FitScaled<TSubject>(
        IReadOnlyList<TSubject> subject,
        IReadOnlyList<double> time,
        IReadOnlyList<double> outcome,
        RandomEffectsTerm term,
        IReadOnlyList<Covariate> covariates)
        where TSubject : notnull
    {
        var index = new Dictionary<TSubject, int>();
        var keys = new List<TSubject>();
        var subjectIndex = new int[subject.Count];
        for (var i = 0; i < subject.Count; i++)
        {
            if (!index.TryGetValue(subject[i], out var g))
            {
                g = keys.Count;
                index.Add(subject[i], g);
                keys.Add(subject[i]);
            }
            subjectIndex[i] = g;
        }

        var n = outcome.Count;
        var m = keys.Count;
        var q = term == RandomEffectsTerm.Intercept ? 1 : 2;
        var names = new List<string> { "(Intercept)", "time" };
        names.AddRange(covariates.Select(c => c.Name));
        var p = names.Count;

        MixedModelFit<TSubject> Failure(string problem) =>
            new(term, [], [], VarianceComponents.None, null, null, n, m, false, false, [], [], problem);

        if (n == 0) return Failure("There are no observations.");
        if (m < 2) return Failure($"A mixed model needs observations from at least 2 subjects; there is {m}.");
        if (n <= q * m)
            return Failure(q == 1
                ? $"The number of observations ({n}) must exceed the number of subjects ({m}) for a random intercept."
                : $"The number of observations ({n}) must exceed the number of random effects ({q * m}: an intercept and a slope for each of {m} subjects): a random slope cannot be separated from the residual; fit the random-intercept model.");
        if (n <= p) return Failure($"The number of observations ({n}) must exceed the number of fixed effects ({p}).");

        var criterion = new RemlCriterion(subjectIndex, m, time, outcome, covariates.Select(c => c.Values).ToArray(), q);
        var inestimable = FirstInestimableColumn(criterion.ScaledCrossProduct(), p);
        if (inestimable >= 0)
            return Failure($"The fixed effect '{names[inestimable]}' is not estimable: its column is constant or a linear combination of the columns before it.");

        var zeroTheta = new double[q == 1 ? 1 : 3];
        var ordinary = criterion.Solve(zeroTheta);
        if (ordinary.PenalisedResidualSumOfSquares <= 1e-12 * criterion.CentredSumOfSquares)
            return ExactFit(term, names, ordinary, n, m, keys, criterion.ObservationsPerSubject, q);

        double[] start = q == 1 ? [1.0] : [1.0, 0.0, 1.0];
        var optimum = ThetaOptimizer.Minimize(t => criterion.Deviance(t), t => criterion.Gradient(t), start);
        var theta = Canonical(optimum.Theta);
        if (theta.Any(t => Math.Abs(t) > ThetaOptimizer.DivergenceBound))
            return Failure("The random effects fit every outcome exactly (each subject's outcomes lie on the subject's own line): the residual variance is 0 and the REML criterion is unbounded, so the model cannot be fitted.");
        var solution = criterion.Solve(theta);

        var sigma2 = solution.PenalisedResidualSumOfSquares / (n - p);
        var fixedEffects = new FixedEffect[p];
        var covariance = new IReadOnlyList<double>[p];
        for (var j = 0; j < p; j++)
        {
            var row = new double[p];
            for (var k = 0; k < p; k++) row[k] = sigma2 * solution.CrossProductInverse[j * p + k];
            covariance[j] = row;
            fixedEffects[j] = new FixedEffect(names[j], solution.Beta[j], Math.Sqrt(row[j]));
        }

        VarianceComponents variance = q == 1
            ? new(sigma2 * theta[0] * theta[0], null, null, sigma2)
            : new(sigma2 * theta[0] * theta[0], sigma2 * (theta[1] * theta[1] + theta[2] * theta[2]),
                sigma2 * theta[0] * theta[1], sigma2);

        var singular = q == 1 ? theta[0] < SingularityTolerance : theta[0] < SingularityTolerance || theta[2] < SingularityTolerance;
        return new MixedModelFit<TSubject>(
            term, fixedEffects, covariance, variance, -solution.Deviance / 2, solution.Deviance,
            n, m, optimum.Converged, singular, theta,
            RandomEffectsOf(keys, criterion.ObservationsPerSubject, solution.RandomEffects, q),
            optimum.Converged ? null : "The optimiser did not reach a stationary point of the REML criterion; the estimates may be inaccurate.");
    }

    private static void Validate<TSubject>(IReadOnlyList<TSubject> subject, IReadOnlyList<double> time,
        IReadOnlyList<double> outcome, RandomEffectsTerm term, IReadOnlyList<Covariate> covariates)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(outcome);
        if (!Enum.IsDefined(term))
            throw new ArgumentOutOfRangeException(nameof(term), term, "term must be Intercept or InterceptAndSlope.");
        if (time.Count != subject.Count)
            throw new ArgumentException($"time has {time.Count} values but subject has {subject.Count}: there must be one per observation.", nameof(time));
        if (outcome.Count != subject.Count)
            throw new ArgumentException($"outcome has {outcome.Count} values but subject has {subject.Count}: there must be one per observation.", nameof(outcome));
        for (var i = 0; i < subject.Count; i++)
        {
            if (subject[i] is null)
                throw new ArgumentException($"subject[{i}] is null: every observation needs a subject key.", nameof(subject));
            if (!double.IsFinite(time[i]))
                throw new ArgumentException($"time[{i}] is {time[i]}: every time must be a finite number.", nameof(time));
            if (!double.IsFinite(outcome[i]))
                throw new ArgumentException($"outcome[{i}] is {outcome[i]}: every outcome must be a finite number (leave a missed visit out).", nameof(outcome));
        }
        var seen = new HashSet<string>(StringComparer.Ordinal) { "(Intercept)", "time" };
        foreach (var covariate in covariates)
        {
            if (covariate is null) throw new ArgumentException("A covariate is null.", nameof(covariates));
            if (string.IsNullOrWhiteSpace(covariate.Name))
                throw new ArgumentException("A covariate has no name: every fixed effect needs one.", nameof(covariates));
            if (!seen.Add(covariate.Name))
                throw new ArgumentException($"Covariate name '{covariate.Name}' is used twice or clashes with \"(Intercept)\"/\"time\": names must be unique.", nameof(covariates));
            if (covariate.Values is null)
                throw new ArgumentNullException(nameof(covariates), $"Covariate '{covariate.Name}' has no values.");
            if (covariate.Values.Count != subject.Count)
                throw new ArgumentException($"Covariate '{covariate.Name}' has {covariate.Values.Count} values but subject has {subject.Count}: there must be one per observation.", nameof(covariates));
            for (var i = 0; i < covariate.Values.Count; i++)
                if (!double.IsFinite(covariate.Values[i]))
                    throw new ArgumentException($"Covariate '{covariate.Name}'[{i}] is {covariate.Values[i]}: every covariate value must be a finite number.", nameof(covariates));
        }
    }

    // Cholesky of the unit-diagonal X'X: a pivot below 1e-9 means the column is (numerically) a linear
    // combination of earlier ones (R^2 > 1 - 1e-9), where lme4 would drop it.
    private static int FirstInestimableColumn(double[] scaled, int p)
    {
        Cholesky.Decompose(scaled, p, 1e-9);
        for (var j = 0; j < p; j++)
            if (scaled[j * p + j] == 0) return j;
        return -1;
    }

    // Sign flips of T's columns that give lme4's representation (non-negative diagonal); T T' is unchanged.
    private static double[] Canonical(double[] theta)
    {
        if (theta.Length == 1) return [Math.Abs(theta[0])];
        var sign = theta[0] < 0 ? -1.0 : 1.0;
        return [sign * theta[0], sign * theta[1], Math.Abs(theta[2])];
    }

    // Outcomes on the fixed-effects plane exactly (e.g. all equal): sigma^2 = 0, so every variance and standard
    // error is 0 and the REML criterion is -infinity; lme4 reports the same estimates with "REML criterion -Inf".
    private static MixedModelFit<TSubject> ExactFit<TSubject>(RandomEffectsTerm term, List<string> names,
        RemlSolution ordinary, int n, int m, List<TSubject> keys, int[] observationsPerSubject, int q)
    {
        var p = names.Count;
        var fixedEffects = names.Select((name, j) => new FixedEffect(name, ordinary.Beta[j], 0)).ToArray();
        var covariance = names.Select(_ => (IReadOnlyList<double>)new double[p]).ToArray();
        VarianceComponents variance = q == 1 ? new(0, null, null, 0) : new(0, 0, 0, 0);
        return new MixedModelFit<TSubject>(term, fixedEffects, covariance, variance, null, null, n, m, true, true,
            new double[q == 1 ? 1 : 3], RandomEffectsOf(keys, observationsPerSubject, new double[m * q], q),
            "The fixed effects fit every outcome exactly (e.g. all outcomes are equal): the residual variance is 0 and the REML log-likelihood is unbounded.");
    }

    private static SubjectRandomEffects<TSubject>[] RandomEffectsOf<TSubject>(List<TSubject> keys,
        int[] observationsPerSubject, double[] effects, int q)
    {
        var result = new SubjectRandomEffects<TSubject>[keys.Count];
        for (var g = 0; g < keys.Count; g++)
            result[g] = new SubjectRandomEffects<TSubject>(keys[g], observationsPerSubject[g], effects[g * q],
                q == 2 ? effects[g * q + 1] : null);
        return result;
    }
}
