namespace Outcomes.Statistics;

/// <summary>
/// The Cholesky factorisations of the statistics, written once. <see cref="Decompose"/> is survival's cholesky2, an
/// LDLᵀ that marks redundant columns instead of failing, used wherever a possibly singular matrix must be inverted
/// or its rank known as R does: the Cox information matrix and Wald test, the log-rank variance, the estimability of
/// a mixed model's fixed effects. <see cref="DecomposePositiveDefinite"/> is the strict LLᵀ of the REML criterion and
/// its optimiser, where a matrix that is not positive definite means a point to avoid, and its closed 2 × 2 form is
/// the per-subject block of a random intercept and slope.
/// </summary>
/// <remarks>Matrices are row-major p × p arrays, m[i·p + j].</remarks>
internal static class Cholesky
{
    /// Cholesky LDLᵀ of the symmetric matrix whose upper triangle m[i·p+j] (j ≥ i) is filled, as survival's
    /// cholesky2: L goes below the diagonal, D on it; a pivot below toler·max(diagonal) marks a redundant
    /// column and is set to 0. Returns the rank (negative if the matrix is not non-negative definite).
    public static int Decompose(double[] m, int p, double toler)
    {
        var eps = 0.0;
        for (var i = 0; i < p; i++)
        {
            if (m[i * p + i] > eps) eps = m[i * p + i];
            for (var j = i + 1; j < p; j++) m[j * p + i] = m[i * p + j];
        }
        eps = eps == 0 ? toler : eps * toler;
        var rank = 0;
        var sign = 1;
        for (var i = 0; i < p; i++)
        {
            var pivot = m[i * p + i];
            if (!double.IsFinite(pivot) || pivot < eps)
            {
                m[i * p + i] = 0;
                if (pivot < -8 * eps) sign = -1;
                continue;
            }
            rank++;
            for (var j = i + 1; j < p; j++)
            {
                var temp = m[j * p + i] / pivot;
                m[j * p + i] = temp;
                m[j * p + j] -= temp * temp * pivot;
                for (var k = j + 1; k < p; k++) m[k * p + j] -= temp * m[k * p + i];
            }
        }
        return rank * sign;
    }

    /// Solves (L D Lᵀ) b = y in place from the factor of <see cref="Decompose"/>; components of redundant columns are 0.
    public static void Solve(double[] m, int p, double[] y)
    {
        for (var i = 0; i < p; i++)
        {
            var temp = y[i];
            for (var j = 0; j < i; j++) temp -= y[j] * m[i * p + j];
            y[i] = temp;
        }
        for (var i = p - 1; i >= 0; i--)
        {
            if (m[i * p + i] == 0)
            {
                y[i] = 0;
                continue;
            }
            var temp = y[i] / m[i * p + i];
            for (var j = i + 1; j < p; j++) temp -= y[j] * m[j * p + i];
            y[i] = temp;
        }
    }

    /// Inverts from the factor of <see cref="Decompose"/> (survival's chinv2): the inverse lands in the upper
    /// triangle and diagonal; rows and columns of redundant columns become 0 (a generalised inverse).
    public static void Invert(double[] m, int p)
    {
        for (var i = 0; i < p; i++)
        {
            if (!(m[i * p + i] > 0)) continue;
            m[i * p + i] = 1 / m[i * p + i];
            for (var j = i + 1; j < p; j++)
            {
                m[j * p + i] = -m[j * p + i];
                for (var k = 0; k < i; k++) m[j * p + k] += m[j * p + i] * m[i * p + k];
            }
        }
        for (var i = 0; i < p; i++)
        {
            if (m[i * p + i] == 0)
            {
                for (var j = 0; j < i; j++) m[j * p + i] = 0;
                for (var j = i; j < p; j++) m[i * p + j] = 0;
                continue;
            }
            for (var j = i + 1; j < p; j++)
            {
                var temp = m[j * p + i] * m[j * p + j];
                m[i * p + j] = temp;
                for (var k = i; k < j; k++) m[i * p + k] += temp * m[j * p + k];
            }
        }
    }

    /// bᵀ A⁻ b and the rank of A, from the factor of <see cref="Decompose"/>: Σ (L⁻¹ b)ᵢ² / Dᵢ over the kept pivots,
    /// the components of redundant columns left out (a generalised inverse, A⁻¹ when A is of full rank).
    public static (double Value, int Rank) QuadraticForm(double[] m, int p, ReadOnlySpan<double> b)
    {
        var solved = new double[p];
        var value = 0.0;
        var rank = 0;
        for (var i = 0; i < p; i++)
        {
            if (m[i * p + i] == 0) continue;
            var temp = b[i];
            for (var j = 0; j < i; j++) temp -= solved[j] * m[i * p + j];
            solved[i] = temp;
            value += temp * temp / m[i * p + i];
            rank++;
        }
        return (value, rank);
    }

    /// Strict LLᵀ in place (row-major, lower triangle used, L on and below the diagonal); false if a pivot is not
    /// positive. The REML criterion needs L itself: its log-determinant and triangular solves.
    public static bool DecomposePositiveDefinite(double[] a, int n)
    {
        for (var j = 0; j < n; j++)
        {
            var d = a[j * n + j];
            for (var k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
            if (!(d > 0)) return false;
            var l = Math.Sqrt(d);
            a[j * n + j] = l;
            for (var i = j + 1; i < n; i++)
            {
                var s = a[i * n + j];
                for (var k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
                a[i * n + j] = s / l;
            }
        }
        return true;
    }

    /// The strict LLᵀ of a 2 × 2 matrix [a11 a21; a21 a22] in closed form, the same arithmetic as
    /// <see cref="DecomposePositiveDefinite"/> without its loops: the REML criterion factors one such block per subject
    /// (random intercept and slope) at every evaluation. Positive definite by construction there (a matrix + I).
    public static (double L11, double L21, double L22) DecomposePositiveDefinite2x2(double a11, double a21, double a22)
    {
        var l11 = Math.Sqrt(a11);
        var l21 = a21 / l11;
        return (l11, l21, Math.Sqrt(a22 - l21 * l21));
    }

    /// Solves L x = b in place with the factor of <see cref="DecomposePositiveDefinite"/>.
    public static void ForwardSolve(double[] l, int n, double[] b)
    {
        for (var i = 0; i < n; i++)
        {
            var s = b[i];
            for (var k = 0; k < i; k++) s -= l[i * n + k] * b[k];
            b[i] = s / l[i * n + i];
        }
    }

    /// Solves Lᵀ x = b in place with the factor of <see cref="DecomposePositiveDefinite"/>.
    public static void BackSolve(double[] l, int n, double[] b)
    {
        for (var i = n - 1; i >= 0; i--)
        {
            var s = b[i];
            for (var k = i + 1; k < n; k++) s -= l[k * n + i] * b[k];
            b[i] = s / l[i * n + i];
        }
    }
}
