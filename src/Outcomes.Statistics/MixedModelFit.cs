namespace Outcomes.Statistics;

/// <summary>
/// Which per-subject random effects the mixed model carries, in lme4's formula notation.
/// </summary>
public enum RandomEffectsTerm
{
    /// <summary><c>(1 | subject)</c>: each subject has its own level, all share the fixed slope over time.</summary>
    Intercept,

    /// <summary>
    /// <c>(1 + time | subject)</c>: each subject has its own level and its own slope, correlated;
    /// the 2x2 covariance is unstructured.
    /// </summary>
    InterceptAndSlope,
}

/// <summary>
/// An extra fixed-effect column of the design matrix X (beyond the intercept and time),
/// one value per observation, e.g. a treatment-group indicator or a time-by-group interaction.
/// </summary>
/// <param name="Name">The coefficient's name in the output, e.g. "group" or "time:group".</param>
/// <param name="Values">One finite value per observation, in the order of the outcome array.</param>
public sealed record Covariate(string Name, IReadOnlyList<double> Values);

/// <summary>
/// One fixed-effect coefficient: the REML estimate beta-hat = (X'V^-1 X)^-1 X'V^-1 y at the REML estimate
/// of the covariance, and its standard error, the square root of the diagonal of
/// sigma^2 (R_X'R_X)^-1 (what <c>vcov(lmer(...))</c> and <c>summary()</c> report).
/// </summary>
/// <param name="Name">"(Intercept)", "time", or a covariate's name.</param>
/// <param name="Estimate">The estimate.</param>
/// <param name="Se">Its standard error.</param>
public sealed record FixedEffect(string Name, double Estimate, double Se);

/// <summary>
/// Variance components on the outcome's scale, as <c>VarCorr(fit)</c> and <c>sigma(fit)^2</c> report them.
/// A component the model does not have is null; all are null when the model could not be fitted.
/// </summary>
/// <param name="Intercept">Variance of the subjects' random intercepts.</param>
/// <param name="Slope">Variance of the subjects' random slopes over time (random-slope model only).</param>
/// <param name="Covariance">Covariance of a subject's random intercept and slope (random-slope model only).</param>
/// <param name="Residual">Residual (within-subject) variance sigma^2 = r^2 / (n - p).</param>
public sealed record VarianceComponents(double? Intercept, double? Slope, double? Covariance, double? Residual)
{
    /// <summary>No estimates: the model could not be fitted.</summary>
    public static VarianceComponents None { get; } = new(null, null, null, null);
}

/// <summary>
/// A subject's predicted random effects (conditional modes, BLUPs, as <c>ranef(fit)</c>): the subject's
/// deviation from the population intercept and slope. The subject's fitted trajectory is
/// (beta_0 + Intercept) + (beta_time + Slope) * time when the model has no covariates.
/// </summary>
/// <param name="Subject">The subject's key, as given.</param>
/// <param name="Observations">Number of the subject's observations used.</param>
/// <param name="Intercept">Predicted random intercept.</param>
/// <param name="Slope">Predicted random slope; null for the random-intercept model.</param>
public sealed record SubjectRandomEffects<TSubject>(TSubject Subject, int Observations, double Intercept, double? Slope);

/// <summary>
/// A REML fit of the linear mixed model y = X beta + Z b + e (Laird and Ware 1982), as <c>lme4::lmer</c>.
/// When the data cannot support the model (too few subjects or observations, fixed effects not estimable),
/// <see cref="Problem"/> says why and the estimates are empty or null; no exception is thrown for data.
/// </summary>
/// <param name="Term">The random-effects term fitted.</param>
/// <param name="FixedEffects">Fixed effects in design order: "(Intercept)", "time", then the covariates.</param>
/// <param name="FixedEffectsCovariance">sigma^2 (R_X'R_X)^-1, rows and columns in the order of <see cref="FixedEffects"/>.</param>
/// <param name="Variance">Variance components.</param>
/// <param name="LogLikelihood">
/// The REML log-likelihood at the optimum, -d_R(theta-hat)/2 (what <c>logLik()</c> reports for a REML fit);
/// null when it is unbounded (outcomes fitted exactly) or the model could not be fitted.
/// </param>
/// <param name="RemlCriterion">The profiled REML criterion d_R(theta-hat) = -2 log-likelihood (lme4's "REML criterion at convergence").</param>
/// <param name="Observations">Number of observations n.</param>
/// <param name="Subjects">Number of subjects m.</param>
/// <param name="Converged">
/// True when the optimiser stopped at a minimum of the REML criterion: the final Newton step was below
/// 1e-6 (relative) with a positive semi-definite Hessian.
/// </param>
/// <param name="Singular">
/// True when the fit lies on the boundary of the parameter space, as <c>lme4::isSingular</c> (tolerance 1e-4
/// on the diagonal of theta): a zero variance or an intercept-slope correlation of +-1. Theta is judged with time
/// in units of a power of two near its largest value, so the answer does not depend on the time unit (lme4 judges
/// the caller's units, and calls a fit with time in seconds singular because the slope's theta is below 1e-4).
/// </param>
/// <param name="Theta">
/// lme4's theta: the lower Cholesky factor of the random-effects covariance divided by sigma,
/// column-wise (one value for <c>(1|subject)</c>, three for <c>(1 + time|subject)</c>); diagonal entries >= 0.
/// </param>
/// <param name="RandomEffects">Per-subject random effects, in order of the subjects' first appearance.</param>
/// <param name="Problem">Null for an ordinary fit; otherwise why estimates are missing or degenerate.</param>
public sealed record MixedModelFit<TSubject>(
    RandomEffectsTerm Term,
    IReadOnlyList<FixedEffect> FixedEffects,
    IReadOnlyList<IReadOnlyList<double>> FixedEffectsCovariance,
    VarianceComponents Variance,
    double? LogLikelihood,
    double? RemlCriterion,
    int Observations,
    int Subjects,
    bool Converged,
    bool Singular,
    IReadOnlyList<double> Theta,
    IReadOnlyList<SubjectRandomEffects<TSubject>> RandomEffects,
    string? Problem);
