namespace Outcomes.Statistics;

// Minimises the profiled REML criterion over theta without bounds. The criterion depends on theta only
// through Lambda Lambda' (Sigma / sigma^2), and flipping the sign of a column of the Cholesky factor T leaves
// T T' unchanged, so every unconstrained minimum maps onto a minimum of lme4's bounded problem
// (diagonal of theta >= 0); a boundary optimum becomes an interior stationary point where the criterion is
// even in that diagonal entry, which Newton's method handles without an active set.
// Nelder-Mead brings theta close (robust far from the optimum); a damped Newton iteration on central
// finite differences then polishes it to ~1e-9, well inside what lme4's own optimiser reaches.
internal static class ThetaOptimizer
{
    private const int MaxSimplexEvaluations = 4000;
    private const int MaxNewtonIterations = 100;

    // Beyond this |theta| the random effects are absorbing the residual: sigma is going to 0.
    public const double DivergenceBound = 1e6;

    internal sealed record Result(double[] Theta, double Deviance, bool Converged);

    public static Result Minimize(Func<double[], double> deviance, double[] start)
    {
        var (x, fx) = NelderMead(deviance, start);
        return Polish(deviance, x, fx);
    }

    private static (double[] X, double F) NelderMead(Func<double[], double> f, double[] start)
    {
        var k = start.Length;
        var simplex = new double[k + 1][];
        var values = new double[k + 1];
        simplex[0] = (double[])start.Clone();
        values[0] = f(simplex[0]);
        for (var j = 0; j < k; j++)
        {
            simplex[j + 1] = (double[])start.Clone();
            simplex[j + 1][j] += 0.5;
            values[j + 1] = f(simplex[j + 1]);
        }
        var evaluations = k + 1;
        var order = new int[k + 1];
        while (evaluations < MaxSimplexEvaluations)
        {
            for (var i = 0; i <= k; i++) order[i] = i;
            Array.Sort(order, (i, j) => values[i].CompareTo(values[j]));
            var best = order[0];
            var worst = order[k];
            var secondWorst = order[k - 1];

            var spread = values[worst] - values[best];
            var diameter = 0.0;
            for (var i = 0; i <= k; i++)
                for (var j = 0; j < k; j++)
                    diameter = Math.Max(diameter, Math.Abs(simplex[i][j] - simplex[best][j]));
            if (spread <= 1e-10 * (1 + Math.Abs(values[best])) && diameter <= 1e-6) break;

            var centroid = new double[k];
            for (var i = 0; i <= k; i++)
            {
                if (i == worst) continue;
                for (var j = 0; j < k; j++) centroid[j] += simplex[i][j] / k;
            }
            double[] Towards(double coefficient)
            {
                var point = new double[k];
                for (var j = 0; j < k; j++) point[j] = centroid[j] + coefficient * (simplex[worst][j] - centroid[j]);
                return point;
            }

            var reflected = Towards(-1);
            var fr = f(reflected);
            evaluations++;
            if (fr < values[best])
            {
                var expanded = Towards(-2);
                var fe = f(expanded);
                evaluations++;
                (simplex[worst], values[worst]) = fe < fr ? (expanded, fe) : (reflected, fr);
            }
            else if (fr < values[secondWorst])
            {
                (simplex[worst], values[worst]) = (reflected, fr);
            }
            else
            {
                var contracted = fr < values[worst] ? Towards(-0.5) : Towards(0.5);
                var fc = f(contracted);
                evaluations++;
                if (fc < Math.Min(fr, values[worst]))
                {
                    (simplex[worst], values[worst]) = (contracted, fc);
                }
                else
                {
                    for (var i = 0; i <= k; i++)
                    {
                        if (i == best) continue;
                        for (var j = 0; j < k; j++) simplex[i][j] = simplex[best][j] + 0.5 * (simplex[i][j] - simplex[best][j]);
                        values[i] = f(simplex[i]);
                        evaluations++;
                    }
                }
            }
        }
        var argmin = 0;
        for (var i = 1; i <= k; i++)
            if (values[i] < values[argmin]) argmin = i;
        return (simplex[argmin], values[argmin]);
    }

    // Levenberg-damped Newton steps: (H + mu I) delta = -g, mu raised until the criterion decreases.
    private static Result Polish(Func<double[], double> f, double[] x, double fx)
    {
        var k = x.Length;
        for (var iteration = 0; iteration < MaxNewtonIterations; iteration++)
        {
            if (MaxAbs(x) > DivergenceBound) return new Result(x, fx, false);
            var (gradient, hessian) = Derivatives(f, x, fx);
            var damping = 0.0;
            var scale = 1e-8 * Math.Max(1, MaxDiagonal(hessian, k));
            var accepted = false;
            double[]? step = null;
            for (var attempt = 0; attempt < 40; attempt++)
            {
                step = DampedStep(hessian, gradient, damping, k);
                if (step is not null)
                {
                    if (MaxAbs(step) <= 1e-13 * (1 + MaxAbs(x))) break;
                    var candidate = new double[k];
                    for (var j = 0; j < k; j++) candidate[j] = x[j] + step[j];
                    var fc = f(candidate);
                    if (fc < fx)
                    {
                        x = candidate;
                        fx = fc;
                        accepted = true;
                        break;
                    }
                }
                damping = damping == 0 ? scale : damping * 10;
            }
            if (!accepted || step is null || MaxAbs(step) <= 1e-11 * (1 + MaxAbs(x))) break;
        }
        return new Result(x, fx, IsStationaryMinimum(f, x, fx));
    }

    // At a minimum the undamped Newton step is negligible and the Hessian has no clearly negative curvature;
    // a small ridge admits the flat directions of a singular fit (e.g. theta_1 = 0 makes theta_2, theta_3 enter
    // only through theta_2^2 + theta_3^2).
    private static bool IsStationaryMinimum(Func<double[], double> f, double[] x, double fx)
    {
        if (!double.IsFinite(fx) || MaxAbs(x) > DivergenceBound) return false;
        var (gradient, hessian) = Derivatives(f, x, fx);
        var step = DampedStep(hessian, gradient, 1e-6 * Math.Max(1, MaxDiagonal(hessian, x.Length)), x.Length);
        return step is not null && MaxAbs(step) <= 1e-6 * (1 + MaxAbs(x));
    }

    // Central differences: 1 + 2k + k(k-1) evaluations.
    private static (double[] Gradient, double[] Hessian) Derivatives(Func<double[], double> f, double[] x, double fx)
    {
        var k = x.Length;
        var h = new double[k];
        var plus = new double[k];
        var minus = new double[k];
        var gradient = new double[k];
        var hessian = new double[k * k];
        for (var j = 0; j < k; j++)
        {
            h[j] = 1e-5 * Math.Max(1, Math.Abs(x[j]));
            plus[j] = f(Shift(x, j, h[j]));
            minus[j] = f(Shift(x, j, -h[j]));
            gradient[j] = (plus[j] - minus[j]) / (2 * h[j]);
            hessian[j * k + j] = (plus[j] - 2 * fx + minus[j]) / (h[j] * h[j]);
        }
        for (var i = 0; i < k; i++)
            for (var j = i + 1; j < k; j++)
            {
                var up = f(Shift(Shift(x, i, h[i]), j, h[j]));
                var down = f(Shift(Shift(x, i, -h[i]), j, -h[j]));
                var value = (up - plus[i] - plus[j] + 2 * fx - minus[i] - minus[j] + down) / (2 * h[i] * h[j]);
                hessian[i * k + j] = value;
                hessian[j * k + i] = value;
            }
        return (gradient, hessian);
    }

    private static double[]? DampedStep(double[] hessian, double[] gradient, double damping, int k)
    {
        var a = (double[])hessian.Clone();
        for (var j = 0; j < k; j++) a[j * k + j] += damping;
        if (!RemlCriterion.CholeskyInPlace(a, k)) return null;
        var step = new double[k];
        for (var i = 0; i < k; i++)
        {
            var s = -gradient[i];
            for (var j = 0; j < i; j++) s -= a[i * k + j] * step[j];
            step[i] = s / a[i * k + i];
        }
        for (var i = k - 1; i >= 0; i--)
        {
            var s = step[i];
            for (var j = i + 1; j < k; j++) s -= a[j * k + i] * step[j];
            step[i] = s / a[i * k + i];
        }
        foreach (var value in step)
            if (!double.IsFinite(value)) return null;
        return step;
    }

    private static double[] Shift(double[] x, int j, double by)
    {
        var shifted = (double[])x.Clone();
        shifted[j] += by;
        return shifted;
    }

    private static double MaxAbs(double[] v)
    {
        var max = 0.0;
        foreach (var value in v) max = Math.Max(max, Math.Abs(value));
        return max;
    }

    private static double MaxDiagonal(double[] a, int k)
    {
        var max = 0.0;
        for (var j = 0; j < k; j++) max = Math.Max(max, Math.Abs(a[j * k + j]));
        return max;
    }
}
