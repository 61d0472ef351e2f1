namespace Outcomes.Statistics;

/// <summary>How tied event times enter the Cox partial likelihood.</summary>
public enum CoxTies
{
    /// <summary>
    /// Efron (1977): the d deaths at a tied time leave the risk set gradually, the k-th term using
    /// R(t) - (k/d)·D(t) as denominator. The default in R's survival::coxph and here.
    /// </summary>
    Efron,

    /// <summary>Breslow (1974): every death at a tied time sees the full risk set R(t).</summary>
    Breslow,
}

/// <summary>
/// Settings of <see cref="CoxRegression"/>. The defaults are those of R's survival::coxph and coxph.control.
/// </summary>
public sealed record CoxOptions
{
    /// <summary>The defaults: Efron ties, 95% intervals, 20 iterations, eps 1e-9.</summary>
    public static CoxOptions Default { get; } = new();

    /// <summary>Tie handling; Efron by default as in coxph.</summary>
    public CoxTies Ties { get; init; } = CoxTies.Efron;

    /// <summary>Coverage of the hazard-ratio confidence intervals, strictly between 0 and 1 (default 0.95).</summary>
    public double ConfidenceLevel { get; init; } = 0.95;

    /// <summary>Newton-Raphson iteration limit, at least 0 (coxph.control iter.max = 20).</summary>
    public int MaxIterations { get; init; } = 20;

    /// <summary>
    /// Convergence criterion: iteration stops when |1 - l(β_old)/l(β_new)| ≤ eps for the log partial likelihood l
    /// (coxph.control eps = 1e-9). Must be positive and finite.
    /// </summary>
    public double Tolerance { get; init; } = 1e-9;

    /// <summary>
    /// Relative pivot below which the Cholesky factorisation of the information matrix declares a column
    /// redundant (coxph.control toler.chol = .Machine$double.eps^0.75). Must be positive and finite.
    /// </summary>
    public double CholeskyTolerance { get; init; } = Math.Pow(Math.Pow(2, -52), 0.75);

    /// <summary>
    /// Treat times that differ by less than √(machine eps), absolutely or relative to the mean absolute
    /// distinct time, as tied, as survival::aeqSurv does under coxph.control(timefix = TRUE) (default true).
    /// </summary>
    public bool TimeFix { get; init; } = true;
}

/// <summary>
/// A fitted Cox proportional hazards model, mirroring the numbers of R's summary(coxph(...)).
/// Values R reports as NA are null; so are values that overflow (R's Inf), since JSON has no infinity.
/// </summary>
/// <param name="N">Subjects used.</param>
/// <param name="Events">Subjects whose time is an event (not censored).</param>
/// <param name="Coefficients">One entry per design column, in design order; aliased or constant columns have null estimates.</param>
/// <param name="Tests">Global tests of β = 0: Wald, likelihood ratio and score (log-rank-like), each with df = number of estimable coefficients.</param>
/// <param name="LogLikelihoodNull">Log partial likelihood at β = 0 (coxph loglik[1]).</param>
/// <param name="LogLikelihood">Log partial likelihood at the estimate (coxph loglik[2]).</param>
/// <param name="Iterations">Newton-Raphson iterations run.</param>
/// <param name="Converged">Whether the relative change of the log partial likelihood fell to the tolerance.</param>
/// <param name="Singular">Whether the information matrix was singular, i.e. at least one coefficient is null.</param>
/// <param name="Warnings">R's warnings for the same fit: no convergence, or a coefficient that may be infinite.</param>
/// <param name="Ties">Tie handling used.</param>
/// <param name="ConfidenceLevel">Coverage of the intervals in <paramref name="Coefficients"/>.</param>
/// <param name="Covariance">
/// Inverse of the observed information at the estimate (coxph $var), rows and columns in design order;
/// entries of aliased columns are null.
/// </param>
public sealed record CoxResult(
    int N,
    int Events,
    IReadOnlyList<CoxCoefficient> Coefficients,
    CoxTests Tests,
    double LogLikelihoodNull,
    double LogLikelihood,
    int Iterations,
    bool Converged,
    bool Singular,
    IReadOnlyList<string> Warnings,
    CoxTies Ties,
    double ConfidenceLevel,
    IReadOnlyList<IReadOnlyList<double?>> Covariance);

/// <summary>
/// One coefficient of a Cox model: β, exp(β), se = √[I(β̂)⁻¹]ⱼⱼ, z = β/se,
/// p = 2·(1 − Φ(|z|)) and the hazard-ratio interval exp(β ∓ z₁₋α/₂·se). All null when R gives NA.
/// </summary>
/// <param name="Name">Design column name (for a dummy: factor name + level, as R's "sexmale").</param>
/// <param name="Coef">Log hazard ratio β.</param>
/// <param name="HazardRatio">exp(β).</param>
/// <param name="Se">Standard error of β from the inverse observed information.</param>
/// <param name="Z">Wald statistic β/se.</param>
/// <param name="P">Two-sided normal p-value of <paramref name="Z"/>.</param>
/// <param name="Lower">Lower confidence limit of the hazard ratio, exp(β − z·se).</param>
/// <param name="Upper">Upper confidence limit of the hazard ratio, exp(β + z·se).</param>
public sealed record CoxCoefficient(
    string Name,
    double? Coef,
    double? HazardRatio,
    double? Se,
    double? Z,
    double? P,
    double? Lower,
    double? Upper);

/// <summary>The three global tests of H₀: β = 0 that summary(coxph) prints.</summary>
/// <param name="Wald">β̂ᵀ V⁻¹ β̂ over the estimable coefficients, V the inverse information at β̂.</param>
/// <param name="LikelihoodRatio">2·(l(β̂) − l(0)).</param>
/// <param name="Score">U(0)ᵀ I(0)⁻¹ U(0); with one binary covariate and no ties it is the log-rank test.</param>
public sealed record CoxTests(CoxTest Wald, CoxTest LikelihoodRatio, CoxTest Score);

/// <summary>A chi-square test: statistic, degrees of freedom and upper-tail p-value (1 when df = 0, as R's pchisq).</summary>
/// <param name="ChiSquare">The statistic; null if not finite.</param>
/// <param name="Df">Degrees of freedom: the number of non-null coefficients.</param>
/// <param name="P">P(χ²_df ≥ statistic); null if the statistic is null.</param>
public sealed record CoxTest(double? ChiSquare, int Df, double? P);
