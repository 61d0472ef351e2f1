using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Outcomes.Statistics.Tests")]

namespace Outcomes.Statistics;

// The profiled REML criterion of Bates, Maechler, Bolker and Walker (2015, eq. 41) for a model whose
// random effects are per-subject blocks of size q = 1 or 2 and whose Z columns (1, time) are the first
// q columns of X. Because Lambda'Z'Z Lambda + I is block diagonal, its Cholesky factor is a set of
// q x q factors, and the criterion needs only per-subject Z_i'X_i and Z_i'y_i plus the totals X'X, X'y, y'y:
// each evaluation costs O(m q^2 p^2) for m subjects, independent of the number of observations.
internal sealed class RemlCriterion
{
    private readonly int _q;
    private readonly int _p;
    private readonly int _subjects;
    private readonly double[] _zx;
    private readonly double[] _zy;
    private readonly double[] _xx;
    private readonly double[] _xy;
    private readonly double _yy;

    // The outcome is centred on its mean before the sums are taken: X contains the intercept, so this
    // only shifts beta_0 and keeps y'y - (its fitted part) from losing digits to cancellation.
    private double OutcomeCentre { get; }

    public int Observations { get; }

    public int[] ObservationsPerSubject { get; }

    public RemlCriterion(int[] subjectIndex, int subjectCount, IReadOnlyList<double> time,
        IReadOnlyList<double> outcome, IReadOnlyList<IReadOnlyList<double>> covariates, int randomEffectsPerSubject)
    {
        _q = randomEffectsPerSubject;
        _p = 2 + covariates.Count;
        _subjects = subjectCount;
        Observations = outcome.Count;
        _zx = new double[_subjects * _q * _p];
        _zy = new double[_subjects * _q];
        _xx = new double[_p * _p];
        _xy = new double[_p];
        ObservationsPerSubject = new int[_subjects];

        var sum = 0.0;
        for (var i = 0; i < Observations; i++) sum += outcome[i];
        OutcomeCentre = Observations == 0 ? 0 : sum / Observations;

        var x = new double[_p];
        x[0] = 1;
        for (var i = 0; i < Observations; i++)
        {
            var g = subjectIndex[i];
            ObservationsPerSubject[g]++;
            x[1] = time[i];
            for (var c = 0; c < covariates.Count; c++) x[2 + c] = covariates[c][i];
            var y = outcome[i] - OutcomeCentre;
            var zxOffset = g * _q * _p;
            for (var r = 0; r < _q; r++)
            {
                for (var k = 0; k < _p; k++) _zx[zxOffset + r * _p + k] += x[r] * x[k];
                _zy[g * _q + r] += x[r] * y;
            }
            for (var j = 0; j < _p; j++)
            {
                for (var k = j; k < _p; k++) _xx[j * _p + k] += x[j] * x[k];
                _xy[j] += x[j] * y;
            }
            _yy += y * y;
        }
        for (var j = 0; j < _p; j++)
            for (var k = 0; k < j; k++) _xx[j * _p + k] = _xx[k * _p + j];
    }

    // X'X scaled to unit diagonal, for the estimability check of the fixed effects.
    public double[] ScaledCrossProduct()
    {
        var scaled = new double[_p * _p];
        for (var j = 0; j < _p; j++)
            for (var k = 0; k < _p; k++)
            {
                var d = Math.Sqrt(_xx[j * _p + j] * _xx[k * _p + k]);
                scaled[j * _p + k] = d > 0 ? _xx[j * _p + k] / d : 0;
            }
        return scaled;
    }

    // The centred outcome's total sum of squares, the scale for deciding that a fit is exact.
    public double CentredSumOfSquares => _yy;

    // d_R(theta) = log|L_theta|^2 + log|R_X|^2 + (n - p) [1 + log(2 pi r^2(theta) / (n - p))];
    // +infinity where it is undefined (a non-positive definite R_X or r^2 <= 0), which steers the optimiser away.
    public double Deviance(ReadOnlySpan<double> theta)
    {
        var profile = Profile(theta);
        return profile is null || !(profile.R2 > 0) ? double.PositiveInfinity : DevianceOf(profile);
    }

    // Everything the fit reports at theta: beta, r^2, the REML criterion, (R_X'R_X)^-1 and each subject's b_i = T u_i.
    public RemlSolution Solve(ReadOnlySpan<double> theta)
    {
        var profile = Profile(theta) ?? throw new InvalidOperationException("R_X is not positive definite at the optimum.");
        var beta = (double[])profile.Beta.Clone();
        var randomEffects = SubjectRandomEffects(theta, beta);
        beta[0] += OutcomeCentre;
        var deviance = profile.R2 > 0 ? DevianceOf(profile) : double.NegativeInfinity;
        return new RemlSolution(beta, Inverse(profile.RX), Math.Max(profile.R2, 0), deviance, randomEffects);
    }

    private sealed record Profiled(double[] RX, double[] Beta, double R2, double LdL2);

    // The penalised least-squares solution at theta: R_X (lower, row-major) with R_X R_X' = X'V^-1 X,
    // beta for the centred outcome, r^2 and log|L_theta|^2; null when R_X is not positive definite.
    private Profiled? Profile(ReadOnlySpan<double> theta)
    {
        var a = new double[_p * _p];
        var beta = new double[_p];
        var ldL2 = Absorb(theta, a, beta, out var r2);
        if (!Cholesky.DecomposePositiveDefinite(a, _p)) return null;
        Cholesky.ForwardSolve(a, _p, beta);
        for (var k = 0; k < _p; k++) r2 -= beta[k] * beta[k];
        Cholesky.BackSolve(a, _p, beta);
        return new Profiled(a, beta, r2, ldL2);
    }

    private double DevianceOf(Profiled profile)
    {
        var ldRX2 = 0.0;
        for (var k = 0; k < _p; k++) ldRX2 += 2 * Math.Log(profile.RX[k * _p + k]);
        var nmp = Observations - _p;
        return profile.LdL2 + ldRX2 + nmp * (1 + Math.Log(2 * Math.PI * profile.R2 / nmp));
    }

    // (R_X R_X')^-1 = (X'V^-1 X)^-1, column by column.
    private double[] Inverse(double[] rx)
    {
        var inverse = new double[_p * _p];
        for (var j = 0; j < _p; j++)
        {
            var column = new double[_p];
            column[j] = 1;
            Cholesky.ForwardSolve(rx, _p, column);
            Cholesky.BackSolve(rx, _p, column);
            for (var k = 0; k < _p; k++) inverse[k * _p + j] = column[k];
        }
        return inverse;
    }

    // Gradient of d_R with respect to theta. Writing d_R = log|V| + log|X'V^-1 X| + (n - p) log(y'P y) + const
    // with V = I + Z D Z', D = T T' (per subject), P y = V^-1 (y - X beta), a symmetric change dD gives
    // d d_R = tr(G dD), G = sum_i [M_i - K_i C K_i' - (n - p)/r^2 s_i s_i'] where M_i = Z_i'V_i^-1 Z_i,
    // K_i = Z_i'V_i^-1 X_i, s_i = Z_i'V_i^-1 (y_i - X_i beta), C = (X'V^-1 X)^-1; and dD = dT T' + T dT'
    // gives d d_R / dT = 2 G T on the lower triangle. Z_i'V_i^-1 = (I + S_i D)^-1 Z_i' (S_i = Z_i'Z_i) needs
    // no inverse of D, so the gradient is exact on the boundary too. Being free of finite-difference noise,
    // it lets Newton's method reach the optimum far below the precision at which d_R itself can be compared.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double[] Gradient(ReadOnlySpan<double> theta)
    {
        var profile = Profile(theta);
        if (profile is null || !(profile.R2 > 0)) return Enumerable.Repeat(double.NaN, theta.Length).ToArray();
        var beta = profile.Beta;
        var r2 = profile.R2;
        var c = Inverse(profile.RX);
        var residualWeight = (Observations - _p) / r2;

        if (_q == 1)
        {
            var t = theta[0];
            var g = 0.0;
            var kc = new double[_p];
            for (var s = 0; s < _subjects; s++)
            {
                var o = s * _p;
                var n = 1 / (1 + _zx[o] * t * t);
                var zr = _zy[s];
                for (var k = 0; k < _p; k++) zr -= _zx[o + k] * beta[k];
                var kck = 0.0;
                for (var j = 0; j < _p; j++)
                {
                    var sum = 0.0;
                    for (var k = 0; k < _p; k++) sum += _zx[o + k] * c[k * _p + j];
                    kck += sum * _zx[o + j];
                }
                g += n * _zx[o] - n * n * kck - residualWeight * n * n * zr * zr;
            }
            return [2 * g * t];
        }

        double t1 = theta[0], t2 = theta[1], t3 = theta[2];
        double d11 = t1 * t1, d12 = t1 * t2, d22 = t2 * t2 + t3 * t3;
        double g11 = 0, g12 = 0, g22 = 0;
        var k1 = new double[_p];
        var k2 = new double[_p];
        for (var s = 0; s < _subjects; s++)
        {
            var o = s * 2 * _p;
            double s11 = _zx[o], s12 = _zx[o + 1], s22 = _zx[o + _p + 1];
            // N = (I + S D)^-1; its determinant is >= 1 because S D is similar to a positive semi-definite matrix.
            var i11 = 1 + s11 * d11 + s12 * d12;
            var i12 = s11 * d12 + s12 * d22;
            var i21 = s12 * d11 + s22 * d12;
            var i22 = 1 + s12 * d12 + s22 * d22;
            var det = i11 * i22 - i12 * i21;
            double n11 = i22 / det, n12 = -i12 / det, n21 = -i21 / det, n22 = i11 / det;
            var m11 = n11 * s11 + n12 * s12;
            var m12 = 0.5 * (n11 * s12 + n12 * s22 + n21 * s11 + n22 * s12);
            var m22 = n21 * s12 + n22 * s22;
            var zr1 = _zy[2 * s];
            var zr2 = _zy[2 * s + 1];
            for (var k = 0; k < _p; k++)
            {
                double zx1 = _zx[o + k], zx2 = _zx[o + _p + k];
                k1[k] = n11 * zx1 + n12 * zx2;
                k2[k] = n21 * zx1 + n22 * zx2;
                zr1 -= zx1 * beta[k];
                zr2 -= zx2 * beta[k];
            }
            var sv1 = n11 * zr1 + n12 * zr2;
            var sv2 = n21 * zr1 + n22 * zr2;
            double kck11 = 0, kck12 = 0, kck22 = 0;
            for (var j = 0; j < _p; j++)
            {
                double kc1 = 0, kc2 = 0;
                for (var k = 0; k < _p; k++)
                {
                    kc1 += k1[k] * c[k * _p + j];
                    kc2 += k2[k] * c[k * _p + j];
                }
                kck11 += kc1 * k1[j];
                kck12 += kc1 * k2[j];
                kck22 += kc2 * k2[j];
            }
            g11 += m11 - kck11 - residualWeight * sv1 * sv1;
            g12 += m12 - kck12 - residualWeight * sv1 * sv2;
            g22 += m22 - kck22 - residualWeight * sv2 * sv2;
        }
        return [2 * (g11 * t1 + g12 * t2), 2 * (g12 * t1 + g22 * t2), 2 * g22 * t3];
    }

    // Adds the subjects' blocks into the Schur complement: a = X'X - sum_i W_i'W_i, b = X'y - sum_i W_i'v_i,
    // y'y - sum_i v_i'v_i, with L_i L_i' = T'Z_i'Z_i T + I, W_i = L_i^-1 T'Z_i'X_i, v_i = L_i^-1 T'Z_i'y_i.
    // Returns log|L_theta|^2 = sum_i log|L_i|^2.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double Absorb(ReadOnlySpan<double> theta, double[] a, double[] b, out double yyAdjusted)
    {
        Array.Copy(_xx, a, a.Length);
        Array.Copy(_xy, b, b.Length);
        yyAdjusted = _yy;
        var logDet = 0.0;
        if (_q == 1)
        {
            var t = theta[0];
            var w = new double[_p];
            for (var g = 0; g < _subjects; g++)
            {
                var o = g * _p;
                var l = Math.Sqrt(t * t * _zx[o] + 1);
                logDet += Math.Log(l);
                var scale = t / l;
                for (var k = 0; k < _p; k++) w[k] = scale * _zx[o + k];
                var v = scale * _zy[g];
                for (var j = 0; j < _p; j++)
                {
                    var wj = w[j];
                    for (var k = j; k < _p; k++) a[j * _p + k] -= wj * w[k];
                    b[j] -= wj * v;
                }
                yyAdjusted -= v * v;
            }
        }
        else
        {
            double t1 = theta[0], t2 = theta[1], t3 = theta[2];
            var w1 = new double[_p];
            var w2 = new double[_p];
            for (var g = 0; g < _subjects; g++)
            {
                var o = g * 2 * _p;
                var (l11, l21, l22) = SubjectFactor(t1, t2, t3, o);
                logDet += Math.Log(l11 * l22);
                for (var k = 0; k < _p; k++)
                {
                    var zx1 = _zx[o + k];
                    var zx2 = _zx[o + _p + k];
                    var first = (t1 * zx1 + t2 * zx2) / l11;
                    w1[k] = first;
                    w2[k] = (t3 * zx2 - l21 * first) / l22;
                }
                var zy1 = _zy[2 * g];
                var zy2 = _zy[2 * g + 1];
                var v1 = (t1 * zy1 + t2 * zy2) / l11;
                var v2 = (t3 * zy2 - l21 * v1) / l22;
                for (var j = 0; j < _p; j++)
                {
                    double w1j = w1[j], w2j = w2[j];
                    for (var k = j; k < _p; k++) a[j * _p + k] -= w1j * w1[k] + w2j * w2[k];
                    b[j] -= w1j * v1 + w2j * v2;
                }
                yyAdjusted -= v1 * v1 + v2 * v2;
            }
        }
        for (var j = 0; j < _p; j++)
            for (var k = 0; k < j; k++) a[j * _p + k] = a[k * _p + j];
        return 2 * logDet;
    }

    // L_i with L_i L_i' = T'Z_i'Z_i T + I for a random intercept and slope, T = [t1 0; t2 t3], the subject's block
    // starting at o. Z_i'Z_i is the leading 2x2 block of Z_i'X_i because Z = (1, time) = the first two columns of X.
    private (double L11, double L21, double L22) SubjectFactor(double t1, double t2, double t3, int o)
    {
        double s11 = _zx[o], s12 = _zx[o + 1], s22 = _zx[o + _p + 1];
        double m11 = s11 * t1 + s12 * t2, m21 = s12 * t1 + s22 * t2, m22 = s22 * t3;
        return Cholesky.DecomposePositiveDefinite2x2(t1 * m11 + t2 * m21 + 1, t3 * m21, t3 * m22 + 1);
    }

    // b_i = T u_i with u_i = L_i^-T (v_i - W_i beta): the conditional modes lme4's ranef() returns.
    private double[] SubjectRandomEffects(ReadOnlySpan<double> theta, double[] beta)
    {
        var effects = new double[_subjects * _q];
        for (var g = 0; g < _subjects; g++)
        {
            if (_q == 1)
            {
                var o = g * _p;
                var t = theta[0];
                var l = Math.Sqrt(t * t * _zx[o] + 1);
                var r = _zy[g];
                for (var k = 0; k < _p; k++) r -= _zx[o + k] * beta[k];
                effects[g] = t * (t * r / l) / l;
            }
            else
            {
                double t1 = theta[0], t2 = theta[1], t3 = theta[2];
                var o = g * 2 * _p;
                var (l11, l21, l22) = SubjectFactor(t1, t2, t3, o);
                // Z_i'(y_i - X_i beta), then T' of it, then the two triangular solves.
                var r1 = _zy[2 * g];
                var r2 = _zy[2 * g + 1];
                for (var k = 0; k < _p; k++)
                {
                    r1 -= _zx[o + k] * beta[k];
                    r2 -= _zx[o + _p + k] * beta[k];
                }
                var d1 = t1 * r1 + t2 * r2;
                var d2 = t3 * r2;
                var f1 = d1 / l11;
                var f2 = (d2 - l21 * f1) / l22;
                var u2 = f2 / l22;
                var u1 = (f1 - l21 * u2) / l11;
                effects[2 * g] = t1 * u1;
                effects[2 * g + 1] = t2 * u1 + t3 * u2;
            }
        }
        return effects;
    }
}

// The profiled quantities at one theta. Beta is on the outcome's original scale.
internal sealed record RemlSolution(
    double[] Beta,
    double[] CrossProductInverse,
    double PenalisedResidualSumOfSquares,
    double Deviance,
    double[] RandomEffects);
