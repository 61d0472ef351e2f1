using System.Runtime.CompilerServices;
using MathNet.Numerics;
using MathNet.Numerics.Distributions;

namespace Outcomes.Statistics;

/// <summary>
/// Cox proportional hazards regression, h(t | x) = h₀(t)·exp(xᵀβ), fitted by maximising the log partial
/// likelihood with Newton-Raphson as R's survival::coxph (coxfit6) does: start at β = 0, step-halving when
/// the likelihood falls, stop when |1 − l_old/l_new| ≤ eps; covariates are centred and scaled internally
/// (0/±1 columns are left alone, as coxph's nocenter) and singular columns detected by a pivoting Cholesky
/// factorisation get null estimates (R's NA).
/// References: Cox (1972) JRSS B 34:187; Efron (1977) JASA 72:557; Breslow (1974) Biometrics 30:89;
/// Therneau &amp; Grambsch (2000) Modeling Survival Data, ch. 3. Methods: analytics/methods/cox.md.
/// </summary>
public static class CoxRegression
{
    private static readonly double TimeFixTolerance = Math.Sqrt(Math.Pow(2, -52));

    /// <summary>Fits a Cox model to a design built with <see cref="DesignMatrix.FromColumns"/> or wrapped around a matrix.</summary>
    /// <param name="time">Follow-up time per subject: finite and non-negative.</param>
    /// <param name="events">Per subject, true if the time is an event, false if censored.</param>
    /// <param name="design">Covariates, one row per subject.</param>
    /// <param name="options">Ties, interval level and iteration control; <see cref="CoxOptions.Default"/> when null.</param>
    /// <exception cref="ArgumentException">An argument breaks the rule its message states.</exception>
    public static CoxResult Fit(double[] time, bool[] events, DesignMatrix design, CoxOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(design);
        return Fit(time, events, design.Values, design.Names, options);
    }

    /// <summary>Fits a Cox model with covariates[subject, column].</summary>
    /// <param name="time">Follow-up time per subject: finite and non-negative.</param>
    /// <param name="events">Per subject, true if the time is an event, false if censored.</param>
    /// <param name="covariates">One row per subject, one column per coefficient; finite values.</param>
    /// <param name="names">One distinct, non-blank name per column.</param>
    /// <param name="options">Ties, interval level and iteration control; <see cref="CoxOptions.Default"/> when null.</param>
    /// <exception cref="ArgumentException">An argument breaks the rule its message states.</exception>
    public static CoxResult Fit(double[] time, bool[] events, double[,] covariates, IReadOnlyList<string> names, CoxOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(covariates);
        var subjects = RequireSubjects(time, events);
        RequireRows(covariates.GetLength(0), subjects);
        var columns = covariates.GetLength(1);
        var x = GC.AllocateUninitializedArray<double>(covariates.Length);
        Buffer.BlockCopy(covariates, 0, x, 0, covariates.Length * sizeof(double));
        return FitSorted(time, events, x, columns, RequireNames(names, columns), options ?? CoxOptions.Default);
    }

    /// <summary>Fits a Cox model with covariates[subject][column] (one array per subject).</summary>
    /// <param name="time">Follow-up time per subject: finite and non-negative.</param>
    /// <param name="events">Per subject, true if the time is an event, false if censored.</param>
    /// <param name="covariates">One array per subject, each with one finite value per name.</param>
    /// <param name="names">One distinct, non-blank name per column.</param>
    /// <param name="options">Ties, interval level and iteration control; <see cref="CoxOptions.Default"/> when null.</param>
    /// <exception cref="ArgumentException">An argument breaks the rule its message states.</exception>
    public static CoxResult Fit(double[] time, bool[] events, double[][] covariates, IReadOnlyList<string> names, CoxOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(covariates);
        ArgumentNullException.ThrowIfNull(names);
        var subjects = RequireSubjects(time, events);
        RequireRows(covariates.Length, subjects);
        var columns = names.Count;
        var x = GC.AllocateUninitializedArray<double>(subjects * columns);
        for (var i = 0; i < subjects; i++)
        {
            var row = covariates[i];
            if (row is null || row.Length != columns)
                throw new ArgumentException(
                    $"covariates[{i}] must hold one value per name ({columns}), but has {row?.Length.ToString() ?? "null"}.",
                    nameof(covariates));
            row.CopyTo(x, i * columns);
        }
        return FitSorted(time, events, x, columns, RequireNames(names, columns), options ?? CoxOptions.Default);
    }

    /// x holds the covariates row-major in input order (x[subject·p + column]).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static CoxResult FitSorted(double[] time, bool[] events, double[] x, int p, string[] names, CoxOptions options)
    {
        RequireOptions(options);
        for (var k = 0; k < x.Length; k++)
        {
            if (!double.IsFinite(x[k]))
                throw new ArgumentException(
                    $"covariates has a non-finite value for subject {k / p}, column '{names[k % p]}'; values must be finite (remove incomplete rows first, as R's na.omit does).",
                    "covariates");
        }

        var n = time.Length;
        var order = SortByTime(time, options.TimeFix, out var sortedTime);
        var died = new bool[n];
        var z = GC.AllocateUninitializedArray<double>(n * p);
        var eventCount = 0;
        for (var r = 0; r < n; r++)
        {
            var subject = order[r];
            died[r] = events[subject];
            if (died[r]) eventCount++;
            var from = subject * p;
            var to = r * p;
            for (var j = 0; j < p; j++) z[to + j] = x[from + j];
        }
        if (eventCount == 0) return WithoutEvents(n, names, options);
        var scale = CentreAndScale(z, n, p);

        var likelihood = new PartialLikelihood(sortedTime, died, z, p, options.Ties == CoxTies.Efron);
        if (p == 0)
        {
            var nullLoglik = likelihood.Evaluate([]);
            return Summarise(n, eventCount, names, options, [], [], nullLoglik, nullLoglik, 0.0, 0, true, []);
        }
        return Newton(likelihood, n, eventCount, names, scale, options);
    }

    /// Mirrors coxfit6's main loop, so iterates, iteration counts and singularity decisions match R's.
    private static CoxResult Newton(PartialLikelihood likelihood, int n, int eventCount, string[] names, double[] scale, CoxOptions options)
    {
        var p = names.Length;
        var u = likelihood.Score;
        var info = likelihood.Information;
        var beta = new double[p];
        var newBeta = new double[p];
        var step = new double[p];

        var loglik0 = likelihood.Evaluate(beta);
        var best = loglik0;
        Array.Copy(u, step, p);
        Cholesky.Decompose(info, p, options.CholeskyTolerance);
        Cholesky.Solve(info, p, step);
        var scoreTest = 0.0;
        for (var i = 0; i < p; i++) scoreTest += u[i] * step[i];

        var iterations = 0;
        var converged = false;
        if (options.MaxIterations > 0)
        {
            for (var i = 0; i < p; i++) newBeta[i] = beta[i] + step[i];
            var halving = 0;
            for (var iteration = 1; iteration <= options.MaxIterations; iteration++)
            {
                iterations = iteration;
                var newLoglik = likelihood.Evaluate(newBeta);
                Cholesky.Decompose(info, p, options.CholeskyTolerance);
                var finite = double.IsFinite(newLoglik) && AllFinite(u) && AllFinite(info);
                // newLoglik == best covers 0/0 (a single subject, or one at risk per event), where R's ratio is NaN.
                if (finite && (Math.Abs(1 - best / newLoglik) <= options.Tolerance || newLoglik == best))
                {
                    best = newLoglik;
                    Array.Copy(newBeta, beta, p);
                    converged = true;
                    break;
                }
                if (!finite || newLoglik < best)
                {
                    halving++;
                    for (var i = 0; i < p; i++) newBeta[i] = (newBeta[i] + halving * beta[i]) / (halving + 1.0);
                }
                else
                {
                    halving = 0;
                    best = newLoglik;
                    Cholesky.Solve(info, p, u);
                    for (var i = 0; i < p; i++)
                    {
                        beta[i] = newBeta[i];
                        newBeta[i] += u[i];
                    }
                }
            }
            // coxph re-evaluates at the last accepted β but inverts a stale factorisation; this refactorises.
            if (!converged && options.MaxIterations > 1)
            {
                best = likelihood.Evaluate(beta);
                Cholesky.Decompose(info, p, options.CholeskyTolerance);
            }
        }
        Cholesky.Invert(info, p);

        var variance = new double[p * p];
        for (var i = 0; i < p; i++)
        {
            for (var j = 0; j < p; j++)
                variance[i * p + j] = info[Math.Min(i, j) * p + Math.Max(i, j)] * scale[i] * scale[j];
        }
        var coef = new double[p];
        var score = new double[p];
        for (var i = 0; i < p; i++)
        {
            coef[i] = beta[i] * scale[i];
            score[i] = u[i] / scale[i];
        }

        var warnings = new List<string>();
        if (!converged && options.MaxIterations > 0)
        {
            warnings.Add("Ran out of iterations and did not converge");
            if (likelihood.MaxLinearPredictor(beta) > 500 || !AllFinite(ScoreTimesVariance(score, variance, p)))
                warnings.Add("One or more coefficients may be infinite");
        }
        else if (converged && options.MaxIterations > 1)
        {
            var infs = ScoreTimesVariance(score, variance, p);
            var tolerInf = Math.Sqrt(options.Tolerance);
            var suspects = new List<string>();
            for (var i = 0; i < p; i++)
            {
                if (!double.IsFinite(score[i]) || (infs[i] > options.Tolerance && infs[i] > tolerInf * Math.Abs(coef[i])))
                    suspects.Add(names[i]);
            }
            if (suspects.Count > 0)
                warnings.Add($"Loglik converged before variable {string.Join(", ", suspects)}; coefficient may be infinite");
        }

        return Summarise(n, eventCount, names, options, coef, variance, loglik0, best, scoreTest, iterations, converged, warnings);
    }

    private static double[] ScoreTimesVariance(double[] score, double[] variance, int p)
    {
        var result = new double[p];
        for (var j = 0; j < p; j++)
        {
            var sum = 0.0;
            for (var i = 0; i < p; i++) sum += score[i] * variance[i * p + j];
            result[j] = Math.Abs(sum);
        }
        return result;
    }

    /// As coxph when no subject has an event: every coefficient NA, both log-likelihoods 0, all tests 0 on 0 df.
    private static CoxResult WithoutEvents(int n, string[] names, CoxOptions options)
    {
        var p = names.Length;
        return Summarise(n, 0, names, options, new double[p], new double[p * p], 0.0, 0.0, 0.0, 0, true, []);
    }

    private static CoxResult Summarise(
        int n, int eventCount, string[] names, CoxOptions options, double[] coef, double[] variance,
        double loglik0, double loglik, double scoreTest, int iterations, bool converged, IReadOnlyList<string> warnings)
    {
        var p = names.Length;
        var quantile = Normal.InvCDF(0, 1, (1 + options.ConfidenceLevel) / 2);
        var estimable = new bool[p];
        var coefficients = new CoxCoefficient[p];
        var df = 0;
        for (var i = 0; i < p; i++)
        {
            var v = variance[i * p + i];
            estimable[i] = v != 0 && double.IsFinite(coef[i]);
            if (!estimable[i])
            {
                coefficients[i] = new CoxCoefficient(names[i], null, null, null, null, null, null, null);
                continue;
            }
            df++;
            var b = coef[i];
            var se = Math.Sqrt(v);
            var z = b / se;
            coefficients[i] = new CoxCoefficient(
                names[i],
                b,
                Finite(Math.Exp(b)),
                Finite(se),
                Finite(z),
                double.IsNaN(z) ? null : SpecialFunctions.Erfc(Math.Abs(z) / Constants.Sqrt2),
                Finite(Math.Exp(b - quantile * se)),
                Finite(Math.Exp(b + quantile * se)));
        }

        var covariance = new IReadOnlyList<double?>[p];
        for (var i = 0; i < p; i++)
        {
            var row = new double?[p];
            for (var j = 0; j < p; j++)
                row[j] = estimable[i] && estimable[j] ? Finite(variance[i * p + j]) : null;
            covariance[i] = row;
        }

        var tests = new CoxTests(
            ChiSquare(WaldStatistic(coef, variance, estimable, df, options.CholeskyTolerance), df),
            ChiSquare(2 * (loglik - loglik0), df),
            ChiSquare(scoreTest, df));
        return new CoxResult(
            n, eventCount, coefficients, tests, loglik0, loglik, iterations, converged,
            estimable.Contains(false), warnings, options.Ties, options.ConfidenceLevel, covariance);
    }

    /// β̂ᵀ V⁻¹ β̂ over the estimable coefficients with the same Cholesky solve as coxph.wtest.
    private static double WaldStatistic(double[] coef, double[] variance, bool[] estimable, int df, double tolerance)
    {
        if (df == 0) return 0.0;
        var p = coef.Length;
        var v = new double[df * df];
        var b = new double[df];
        for (int i = 0, r = 0; i < p; i++)
        {
            if (!estimable[i]) continue;
            b[r] = coef[i];
            for (int j = 0, c = 0; j < p; j++)
            {
                if (!estimable[j]) continue;
                v[r * df + c] = variance[i * p + j];
                c++;
            }
            r++;
        }
        if (!AllFinite(v)) return double.NaN;
        var solved = (double[])b.Clone();
        Cholesky.Decompose(v, df, tolerance);
        Cholesky.Solve(v, df, solved);
        var sum = 0.0;
        for (var i = 0; i < df; i++) sum += b[i] * solved[i];
        return sum;
    }

    /// Upper tail of χ²_df as R's pchisq(x, df, lower.tail = FALSE), which is 1 for df = 0 or x ≤ 0.
    private static CoxTest ChiSquare(double statistic, int df)
    {
        if (!double.IsFinite(statistic)) return new CoxTest(null, df, null);
        var p = df == 0 || statistic <= 0 ? 1.0 : SpecialFunctions.GammaUpperRegularized(df / 2.0, statistic / 2.0);
        return new CoxTest(statistic, df, p);
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static bool AllFinite(double[] values)
    {
        foreach (var v in values) if (!double.IsFinite(v)) return false;
        return true;
    }

    /// Sorts subjects by time, ties in input order as R's order(), then merges near-ties as survival::aeqSurv.
    /// A stable least-significant-digit radix sort on the bits of the (non-negative) times: O(n), and bytes
    /// shared by every time, such as the low mantissa bytes of whole days, cost no pass.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int[] SortByTime(double[] time, bool timeFix, out double[] sortedTime)
    {
        var n = time.Length;
        var keys = GC.AllocateUninitializedArray<ulong>(n);
        var order = GC.AllocateUninitializedArray<int>(n);
        var counts = new int[8 * 256];
        for (var i = 0; i < n; i++)
        {
            // Non-negative doubles order as their bit patterns; -0 is folded into +0.
            var key = time[i] == 0 ? 0UL : BitConverter.DoubleToUInt64Bits(time[i]);
            keys[i] = key;
            order[i] = i;
            for (var d = 0; d < 8; d++) counts[d * 256 + (int)((key >> (8 * d)) & 0xFF)]++;
        }

        var keysOut = GC.AllocateUninitializedArray<ulong>(n);
        var orderOut = GC.AllocateUninitializedArray<int>(n);
        var offsets = new int[256];
        for (var d = 0; d < 8; d++)
        {
            var histogram = counts.AsSpan(d * 256, 256);
            if (histogram.Contains(n)) continue;
            var total = 0;
            for (var b = 0; b < 256; b++)
            {
                offsets[b] = total;
                total += histogram[b];
            }
            var shift = 8 * d;
            for (var i = 0; i < n; i++)
            {
                var key = keys[i];
                var target = offsets[(int)((key >> shift) & 0xFF)]++;
                keysOut[target] = key;
                orderOut[target] = order[i];
            }
            (keys, keysOut) = (keysOut, keys);
            (order, orderOut) = (orderOut, order);
        }

        sortedTime = GC.AllocateUninitializedArray<double>(n);
        for (var r = 0; r < n; r++) sortedTime[r] = time[order[r]];
        if (timeFix) MergeNearTies(sortedTime);
        return order;
    }

    /// aeqSurv: distinct times whose gap is ≤ tol, or ≤ tol·mean|distinct times|, take the earlier (chained) value,
    /// so that times computed by different arithmetic paths still tie.
    private static void MergeNearTies(double[] sorted)
    {
        if (sorted.Length < 2) return;
        var sumAbs = 0.0;
        var distinct = 0;
        for (var i = 0; i < sorted.Length; i++)
        {
            if (i > 0 && sorted[i] == sorted[i - 1]) continue;
            sumAbs += Math.Abs(sorted[i]);
            distinct++;
        }
        var meanAbs = sumAbs / distinct;
        var previous = sorted[0];
        var cut = sorted[0];
        for (var i = 1; i < sorted.Length; i++)
        {
            var y = sorted[i];
            if (y != previous)
            {
                var gap = y - previous;
                if (!(gap <= TimeFixTolerance || gap / meanAbs <= TimeFixTolerance)) cut = y;
                previous = y;
            }
            sorted[i] = cut;
        }
    }

    /// As coxfit6: subtract the mean and scale to mean absolute deviation 1, except columns whose values are all
    /// in {−1, 0, 1} (coxph's nocenter). Returns the scale factors; β on the original scale is β_scaled·scale.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double[] CentreAndScale(double[] z, int n, int p)
    {
        var mean = new double[p];
        var indicator = new bool[p];
        Array.Fill(indicator, true);
        for (var r = 0; r < n; r++)
        {
            for (var j = 0; j < p; j++)
            {
                var v = z[r * p + j];
                mean[j] += v;
                if (v != 0 && v != 1 && v != -1) indicator[j] = false;
            }
        }
        var absolute = new double[p];
        for (var j = 0; j < p; j++) mean[j] = indicator[j] ? 0 : mean[j] / n;
        for (var r = 0; r < n; r++)
        {
            for (var j = 0; j < p; j++)
            {
                var centred = z[r * p + j] - mean[j];
                z[r * p + j] = centred;
                absolute[j] += Math.Abs(centred);
            }
        }
        var scale = new double[p];
        for (var j = 0; j < p; j++) scale[j] = !indicator[j] && absolute[j] > 0 ? n / absolute[j] : 1.0;
        for (var r = 0; r < n; r++)
        {
            for (var j = 0; j < p; j++) z[r * p + j] *= scale[j];
        }
        return scale;
    }

    private static int RequireSubjects(double[] time, bool[] events)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(events);
        if (events.Length != time.Length)
            throw new ArgumentException(
                $"events must have one entry per subject: time has {time.Length}, events has {events.Length}.", nameof(events));
        for (var i = 0; i < time.Length; i++)
        {
            if (!double.IsFinite(time[i]) || time[i] < 0)
                throw new ArgumentException($"time[{i}] is {time[i]}; every time must be finite and non-negative.", nameof(time));
        }
        return time.Length;
    }

    private static void RequireRows(int rows, int subjects)
    {
        if (rows != subjects)
            throw new ArgumentException(
                $"covariates must have one row per subject: time has {subjects}, covariates has {rows}.", "covariates");
    }

    private static string[] RequireNames(IReadOnlyList<string> names, int columns)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count != columns)
            throw new ArgumentException($"names must have one entry per covariate column: {columns} columns, {names.Count} names.", nameof(names));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (string.IsNullOrWhiteSpace(name))
                throw new ArgumentException("names must not contain empty names.", nameof(names));
            if (!seen.Add(name))
                throw new ArgumentException($"names must be distinct; '{name}' occurs twice.", nameof(names));
        }
        return [.. names];
    }

    private static void RequireOptions(CoxOptions options)
    {
        if (!Enum.IsDefined(options.Ties))
            throw new ArgumentException($"options.Ties is {(int)options.Ties}; it must be Efron or Breslow.", nameof(options));
        if (!(options.ConfidenceLevel > 0 && options.ConfidenceLevel < 1))
            throw new ArgumentException(
                $"options.ConfidenceLevel is {options.ConfidenceLevel}; it must lie strictly between 0 and 1.", nameof(options));
        if (options.MaxIterations < 0)
            throw new ArgumentException($"options.MaxIterations is {options.MaxIterations}; it must be at least 0.", nameof(options));
        if (!(options.Tolerance > 0 && double.IsFinite(options.Tolerance)))
            throw new ArgumentException($"options.Tolerance is {options.Tolerance}; it must be positive and finite.", nameof(options));
        if (!(options.CholeskyTolerance > 0 && double.IsFinite(options.CholeskyTolerance)))
            throw new ArgumentException(
                $"options.CholeskyTolerance is {options.CholeskyTolerance}; it must be positive and finite.", nameof(options));
    }

    /// The log partial likelihood, its score and information at β, accumulated in one pass from the latest time
    /// back (coxfit6_iter), so each risk set's sums are the previous ones plus the subjects entering it:
    /// O(n·p²) per evaluation, no allocation. Sums of x·xᵀ are kept as packed lower triangles (row i, j ≤ i).
    private sealed class PartialLikelihood(double[] time, bool[] died, double[] z, int p, bool efron)
    {
        private readonly double[] _time = time;
        private readonly bool[] _died = died;
        private readonly double[] _z = z;
        private readonly int _p = p;
        private readonly bool _efron = efron;
        private readonly double[] _a = new double[p];
        private readonly double[] _a2 = new double[p];
        private readonly double[] _cmat = new double[p * (p + 1) / 2];
        private readonly double[] _cmat2 = new double[p * (p + 1) / 2];

        /// U(β), the score (gradient of the log partial likelihood).
        public double[] Score { get; } = new double[p];

        /// I(β), the observed information, in the upper triangle [j·p + i], j ≤ i.
        public double[] Information { get; } = new double[p * p];

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double Evaluate(double[] beta)
        {
            var time = _time;
            var died = _died;
            var z = _z;
            var p = _p;
            var u = Score;
            var imat = Information;
            var a = _a;
            var a2 = _a2;
            var cmat = _cmat;
            var cmat2 = _cmat2;
            Array.Clear(u);
            Array.Clear(imat);
            Array.Clear(a);
            Array.Clear(a2);
            Array.Clear(cmat);
            Array.Clear(cmat2);
            ReadOnlySpan<double> b = beta.AsSpan(0, p);

            var loglik = 0.0;
            var denom = 0.0;
            var person = time.Length - 1;
            while (person >= 0)
            {
                var tiedTime = time[person];
                var deaths = 0;
                var deathRisk = 0.0;
                while (person >= 0 && time[person] == tiedTime)
                {
                    var x = new ReadOnlySpan<double>(z, person * p, p);
                    var zbeta = 0.0;
                    for (var i = 0; i < x.Length; i++) zbeta += b[i] * x[i];
                    var risk = Math.Exp(zbeta);
                    if (!died[person])
                    {
                        denom += risk;
                        var k = 0;
                        for (var i = 0; i < x.Length; i++)
                        {
                            var riskX = risk * x[i];
                            a[i] += riskX;
                            for (var j = 0; j <= i; j++) cmat[k++] += riskX * x[j];
                        }
                    }
                    else
                    {
                        deaths++;
                        deathRisk += risk;
                        loglik += zbeta;
                        var k = 0;
                        for (var i = 0; i < x.Length; i++)
                        {
                            var riskX = risk * x[i];
                            u[i] += x[i];
                            a2[i] += riskX;
                            for (var j = 0; j <= i; j++) cmat2[k++] += riskX * x[j];
                        }
                    }
                    person--;
                }
                if (deaths == 0) continue;

                if (!_efron || deaths == 1)
                {
                    denom += deathRisk;
                    loglik -= deaths * Math.Log(denom);
                    var k = 0;
                    for (var i = 0; i < p; i++)
                    {
                        a[i] += a2[i];
                        var mean = a[i] / denom;
                        u[i] -= deaths * mean;
                        for (var j = 0; j <= i; j++, k++)
                        {
                            cmat[k] += cmat2[k];
                            imat[j * p + i] += deaths * (cmat[k] - mean * a[j]) / denom;
                        }
                    }
                }
                else
                {
                    // Efron: the d tied deaths leave the risk set in equal fractions f = 1/d, 2/d, ..., 1, giving
                    // denominators D + f·D_dead, means (a + f·a_dead)/denominator, and second moments likewise.
                    // coxfit6 adds the d terms one by one at O(d·p²); summing the scalar weights first gives the
                    // same terms at O(d + p²) per tied time.
                    double s0 = 0, s1 = 0, q0 = 0, q1 = 0, q2 = 0;
                    for (var fraction = 1; fraction <= deaths; fraction++)
                    {
                        var f = (double)fraction / deaths;
                        var inverse = 1 / (denom + f * deathRisk);
                        loglik += Math.Log(inverse);
                        s0 += inverse;
                        s1 += f * inverse;
                        var inverse2 = inverse * inverse;
                        q0 += inverse2;
                        q1 += f * inverse2;
                        q2 += f * f * inverse2;
                    }
                    var k = 0;
                    for (var i = 0; i < p; i++)
                    {
                        u[i] -= a[i] * s0 + a2[i] * s1;
                        for (var j = 0; j <= i; j++, k++)
                        {
                            imat[j * p + i] += cmat[k] * s0 + cmat2[k] * s1
                                - (a[i] * a[j] * q0 + (a[i] * a2[j] + a2[i] * a[j]) * q1 + a2[i] * a2[j] * q2);
                        }
                    }
                    denom += deathRisk;
                    for (var i = 0; i < p; i++) a[i] += a2[i];
                    for (k = 0; k < cmat.Length; k++) cmat[k] += cmat2[k];
                }
                Array.Clear(a2);
                Array.Clear(cmat2);
            }
            return loglik;
        }

        /// Largest centred linear predictor, which coxph checks (> 500) when the fit did not converge.
        public double MaxLinearPredictor(double[] beta)
        {
            var max = double.NegativeInfinity;
            for (var r = 0; r < _time.Length; r++)
            {
                var eta = 0.0;
                for (var i = 0; i < _p; i++) eta += beta[i] * _z[r * _p + i];
                if (eta > max) max = eta;
            }
            return max;
        }
    }
}
