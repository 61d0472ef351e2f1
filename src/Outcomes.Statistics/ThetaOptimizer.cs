namespace Outcomes.Statistics;

// Minimises the profiled REML criterion over theta without bounds. The criterion depends on theta only
// through Lambda Lambda' (Sigma / sigma^2), and flipping the sign of a column of the Cholesky factor T leaves
// T T' unchanged, so every unconstrained minimum maps onto a minimum of lme4's bounded problem
// (diagonal of theta >= 0); a boundary optimum becomes an interior stationary point where the criterion is
// even in that diagonal entry, which Newton's method handles without an active set.
// Nelder-Mead brings theta close (robust far from the optimum); a damped Newton iteration on the analytic
// gradient then polishes it to ~1e-10, well inside what lme4's own optimiser reaches.
internal static class ThetaOptimizer
{
    private const int MaxSimplexEvaluations = 4000;
    private const int MaxNewtonIterations = 100;

    // Beyond this |theta| the random effects are absorbing the residual: sigma is going to 0.
    public const double DivergenceBound = 1e6;

    internal sealed record Result(double[] Theta, double Deviance, bool Converged);

    public static Result Minimize(Func<double[], double> deviance, Func<double[], double[]> gradient, double[] start)
    {
        var (x, fx) = NelderMead(deviance, start);
        return Polish(deviance, gradient, x, fx);
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
            if (spread <= 1e-7 * (1 + Math.Abs(values[best])) && diameter <= 1e-3) break;

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

    // Levenberg-damped Newton steps (H + mu I) delta = -g on the analytic gradient, H from central differences
    // of the gradient; mu is raised until the step is acceptable. Close to the optimum the criterion's changes
    // fall below its rounding noise, so a step that leaves d_R unchanged within 1e-12 (relative) is still taken
    // when it shrinks the gradient.
    private static Result Polish(Func<double[], double> f, Func<double[], double[]> gradientOf, double[] x, double fx)
    {
        var k = x.Length;
        var gradient = gradientOf(x);
        for (var iteration = 0; iteration < MaxNewtonIterations; iteration++)
        {
            if (MaxAbs(x) > DivergenceBound || !AllFinite(gradient)) return new Result(x, fx, false);
            if (MaxAbs(gradient) == 0) break;
            var hessian = Hessian(gradientOf, x);
            var damping = 0.0;
            var ridge = 1e-8 * Math.Max(1, MaxDiagonal(hessian, k));
            double[]? accepted = null;
            for (var attempt = 0; attempt < 40 && accepted is null; attempt++)
            {
                var step = DampedStep(hessian, gradient, damping, k);
                damping = damping == 0 ? ridge : damping * 10;
                if (step is null) continue;
                if (MaxAbs(step) <= 1e-14 * (1 + MaxAbs(x))) break;
                var candidate = new double[k];
                for (var j = 0; j < k; j++) candidate[j] = x[j] + step[j];
                var fc = f(candidate);
                if (fc < fx)
                {
                    accepted = candidate;
                    fx = fc;
                    gradient = gradientOf(candidate);
                }
                else if (fc <= fx + 1e-12 * (1 + Math.Abs(fx)))
                {
                    var candidateGradient = gradientOf(candidate);
                    if (MaxAbs(candidateGradient) < MaxAbs(gradient))
                    {
                        accepted = candidate;
                        fx = Math.Min(fx, fc);
                        gradient = candidateGradient;
                    }
                }
            }
            if (accepted is null) break;
            var moved = 0.0;
            for (var j = 0; j < k; j++) moved = Math.Max(moved, Math.Abs(accepted[j] - x[j]));
            x = accepted;
            if (moved <= 1e-12 * (1 + MaxAbs(x))) break;
        }
        return new Result(x, fx, IsStationaryMinimum(gradientOf, x, fx));
    }

    // At a minimum the undamped Newton step is negligible and the Hessian has no clearly negative curvature;
    // a small ridge admits the flat directions of a singular fit (theta_1 = 0 makes theta_2, theta_3 enter
    // only through theta_2^2 + theta_3^2).
    private static bool IsStationaryMinimum(Func<double[], double[]> gradientOf, double[] x, double fx)
    {
        if (!double.IsFinite(fx) || MaxAbs(x) > DivergenceBound) return false;
        var gradient = gradientOf(x);
        if (!AllFinite(gradient)) return false;
        var hessian = Hessian(gradientOf, x);
        var step = DampedStep(hessian, gradient, 1e-6 * Math.Max(1, MaxDiagonal(hessian, x.Length)), x.Length);
        return step is not null && MaxAbs(step) <= 1e-6 * (1 + MaxAbs(x));
    }

    // Central differences of the analytic gradient, symmetrised: 2k gradient evaluations.
    private static double[] Hessian(Func<double[], double[]> gradientOf, double[] x)
    {
        var k = x.Length;
        var hessian = new double[k * k];
        for (var j = 0; j < k; j++)
        {
            var h = 1e-5 * Math.Max(1, Math.Abs(x[j]));
            var up = gradientOf(Shift(x, j, h));
            var down = gradientOf(Shift(x, j, -h));
            for (var i = 0; i < k; i++) hessian[i * k + j] = (up[i] - down[i]) / (2 * h);
        }
        for (var i = 0; i < k; i++)
            for (var j = i + 1; j < k; j++)
            {
                var mean = 0.5 * (hessian[i * k + j] + hessian[j * k + i]);
                hessian[i * k + j] = mean;
                hessian[j * k + i] = mean;
            }
        return hessian;
    }

    private static double[]? DampedStep(double[] hessian, double[] gradient, double damping, int k)
    {
        var a = (double[])hessian.Clone();
        for (var j = 0; j < k; j++) a[j * k + j] += damping;
        if (!Cholesky.DecomposePositiveDefinite(a, k)) return null;
        var step = new double[k];
        for (var i = 0; i < k; i++) step[i] = -gradient[i];
        Cholesky.ForwardSolve(a, k, step);
        Cholesky.BackSolve(a, k, step);
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

    private static bool AllFinite(double[] v) => v.All(double.IsFinite);

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
