using System.Runtime;

namespace Outcomes.Service.CourseOutcomes;

/// A report's members (about 150 MB at 300,000 courses) all live until the report is computed, so a gen-0 collection in
/// the middle of one copies them all: 100-200 ms, in 4 of 9 M-tier rounds measured on 2026-12-05. A report over many
/// courses therefore runs in a no-GC region: the collector makes room before the read starts (when the previous
/// report's members are garbage), and not again until the report is done or its budget is spent. One report at a
/// time holds the region (it is process-wide); others, and small reports, run as before.
internal static class ReportHeap
{
    /// Courses from which a report asks for a region, and the allocation budget per course.
    public const int FromCourses = 20_000;
    private const long BytesPerCourse = 1_000;
    private const long MaximumBudget = 1L << 30;
    private static int _held;

    public static IDisposable? Quiet(long courses)
    {
        if (courses < FromCourses || Interlocked.CompareExchange(ref _held, 1, 0) != 0) return null;
        try
        {
            if (GC.TryStartNoGCRegion(Math.Min(courses * BytesPerCourse, MaximumBudget))) return new Region();
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentOutOfRangeException)
        {
            // A region already in effect (started elsewhere), or a budget the collector cannot promise: run as before.
        }
        Volatile.Write(ref _held, 0);
        return null;
    }

    private sealed class Region : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) != 0) return;
            try
            {
                // Spending more than the budget ended the region already (with a collection).
                if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
            }
            catch (InvalidOperationException)
            {
                // Ended by the collector meanwhile.
            }
            finally
            {
                Volatile.Write(ref _held, 0);
            }
        }
    }
}
