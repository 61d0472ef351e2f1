using System.Globalization;
using Outcomes.Statistics;

namespace Outcomes.Bench.Stats;

/// <summary>
/// Generates each case's data once from the seed, writes it as CSV for R, times our computation at n and 2n,
/// has R time its own on the same CSV, and checks that both got the same answers.
/// </summary>
internal sealed class StatsBenchmark(StatsSettings settings, BenchDirectories directories, TextWriter log)
{
    private readonly List<Comparison> _comparisons = [];
    private readonly List<Doubling> _doublings = [];
    private readonly List<Agreement> _agreements = [];
    private readonly SortedSet<string> _rVersions = new(StringComparer.Ordinal);

    public async Task<StatsRun> RunAsync(CancellationToken cancellationToken)
    {
        var started = DateTime.Now;
        var loadAtStart = Machine.Load();
        await SurvivalAsync(perDay: 1, "whole days", cancellationToken);
        await SurvivalAsync(perDay: 1000, "0.001 day", cancellationToken);
        await CoxAsync(cancellationToken);
        await MixedModelAsync(cancellationToken);
        return new StatsRun(
            started, DateTime.Now - started, Machine.Describe(), string.Join(", ", _rVersions),
            loadAtStart, Machine.Load(), _comparisons, _doublings, _agreements);
    }

    private async Task SurvivalAsync(int perDay, string resolution, CancellationToken cancellationToken)
    {
        var n = settings.SurvivalSubjects;
        var title = $"KM + log-rank, 3 arms, times in {resolution}";
        log.WriteLine($"{title}: generating {n:N0} and {2 * n:N0} subjects");
        var cohort = SurvivalCohort.Generate(n, perDay, settings.Seed);
        var doubled = SurvivalCohort.Generate(2 * n, perDay, settings.Seed);
        var csv = Path.Combine(directories.Data, $"survival-{perDay}perday-{n}.csv");
        cohort.WriteCsv(csv);

        var loadOurs = await QuietAsync(cancellationToken);
        log.WriteLine("  timing ours");
        var both = Time(() => Analyse(cohort));
        Report("ours", both);
        var (curves, curvesTwice) = TimeDoubling(
            () => KaplanMeier.EstimateByGroup(cohort.Time, cohort.Status, cohort.Arm),
            () => KaplanMeier.EstimateByGroup(doubled.Time, doubled.Status, doubled.Arm));
        var (test, testTwice) = TimeDoubling(
            () => LogRank.Test(cohort.Time, cohort.Status, cohort.Arm),
            () => LogRank.Test(doubled.Time, doubled.Status, doubled.Arm));

        var loadR = await QuietAsync(cancellationToken);
        var r = await RunRAsync("km-logrank.R", csv, cancellationToken);
        _comparisons.Add(new Comparison(title, n.ToString("N0", CultureInfo.InvariantCulture), both, RTiming(r),
            SpeedGoal.FiveTimesFasterThanR, loadOurs, loadR));
        _doublings.Add(new Doubling($"Kaplan-Meier, times in {resolution}", n, curves, curvesTwice));
        _doublings.Add(new Doubling($"log-rank, times in {resolution}", n, test, testTwice));

        var (ourCurves, ourTest) = Analyse(cohort);
        var label = $"KM/LR ({resolution})";
        foreach (var curve in ourCurves)
        {
            _agreements.Add(new Agreement($"{label}: median, {curve.Group}", curve.Median.Estimate ?? double.NaN, r.Number($"median:{curve.Group}"), 1e-12));
            _agreements.Add(new Agreement($"{label}: median lower limit, {curve.Group}", curve.Median.Lower ?? double.NaN, r.Number($"median_lower:{curve.Group}"), 1e-12));
            _agreements.Add(new Agreement($"{label}: median upper limit, {curve.Group}", curve.Median.Upper ?? double.NaN, r.Number($"median_upper:{curve.Group}"), 1e-12));
        }
        foreach (var group in ourTest.Groups)
            _agreements.Add(new Agreement($"{label}: expected events, {group.Group}", group.Expected, r.Number($"expected:{group.Group}"), 1e-9));
        _agreements.Add(new Agreement($"{label}: log-rank chi-square", ourTest.ChiSquare, r.Number("chisq"), 1e-9));
    }

    private static (IReadOnlyList<KaplanMeierCurve> Curves, LogRankTest Test) Analyse(SurvivalCohort cohort)
    {
        // One sort shared by the curves and the test, as an outcome report computes them.
        var sample = SurvivalSample.Create(cohort.Time, cohort.Status, cohort.Arm);
        return (KaplanMeier.EstimateByGroup(sample), LogRank.Test(sample));
    }

    private async Task CoxAsync(CancellationToken cancellationToken)
    {
        var n = settings.CoxSubjects;
        var title = $"Cox, {CoxCohort.Names.Length} covariates, Efron ties";
        log.WriteLine($"{title}: generating {n:N0} and {2 * n:N0} patients");
        var cohort = CoxCohort.Generate(n, settings.Seed);
        var doubled = CoxCohort.Generate(2 * n, settings.Seed);
        var csv = Path.Combine(directories.Data, $"cox-{n}.csv");
        cohort.WriteCsv(csv);

        var loadOurs = await QuietAsync(cancellationToken);
        log.WriteLine("  timing ours");
        var fit = Time(() => CoxRegression.Fit(cohort.Time, cohort.Responded, cohort.Covariates, CoxCohort.Names));
        Report("ours", fit);
        var (fitOnce, fitTwice) = TimeDoubling(
            () => CoxRegression.Fit(cohort.Time, cohort.Responded, cohort.Covariates, CoxCohort.Names),
            () => CoxRegression.Fit(doubled.Time, doubled.Responded, doubled.Covariates, CoxCohort.Names));

        var loadR = await QuietAsync(cancellationToken);
        var r = await RunRAsync("cox.R", csv, cancellationToken);
        _comparisons.Add(new Comparison(title, n.ToString("N0", CultureInfo.InvariantCulture), fit, RTiming(r),
            SpeedGoal.FasterThanR, loadOurs, loadR));
        var ours = CoxRegression.Fit(cohort.Time, cohort.Responded, cohort.Covariates, CoxCohort.Names);
        var oursTwice = CoxRegression.Fit(doubled.Time, doubled.Responded, doubled.Covariates, CoxCohort.Names);
        // Newton iterations scale the time too, so the doubling row says how many each size took.
        _doublings.Add(new Doubling($"{title} ({ours.Iterations} and {oursTwice.Iterations} Newton iterations)", n, fitOnce, fitTwice));

        foreach (var coefficient in ours.Coefficients)
        {
            _agreements.Add(new Agreement($"Cox: coefficient {coefficient.Name}", coefficient.Coef ?? double.NaN, r.Number($"coef:{coefficient.Name}"), 1e-6));
            _agreements.Add(new Agreement($"Cox: SE {coefficient.Name}", coefficient.Se ?? double.NaN, r.Number($"se:{coefficient.Name}"), 1e-6));
        }
        _agreements.Add(new Agreement("Cox: log partial likelihood", ours.LogLikelihood, r.Number("loglik"), 1e-9));
    }

    private async Task MixedModelAsync(CancellationToken cancellationToken)
    {
        var patients = settings.MixedModelPatients;
        var title = "LMM, random intercept + slope, REML";
        log.WriteLine($"{title}: generating {patients:N0} patients × {StatsSettings.VisitsPerPatient} visits");
        var visits = Phq9Visits.Generate(patients, StatsSettings.VisitsPerPatient, settings.Seed);
        var csv = Path.Combine(directories.Data, $"lmm-{patients}x{StatsSettings.VisitsPerPatient}.csv");
        visits.WriteCsv(csv);

        var loadOurs = await QuietAsync(cancellationToken);
        log.WriteLine("  timing ours");
        var fit = Time(() => MixedModel.Fit(visits.Patient, visits.Week, visits.Phq9));
        Report("ours", fit);

        var loadR = await QuietAsync(cancellationToken);
        var r = await RunRAsync("lmm.R", csv, cancellationToken);
        var size = $"{patients.ToString("N0", CultureInfo.InvariantCulture)} × {StatsSettings.VisitsPerPatient}";
        _comparisons.Add(new Comparison(title, size, fit, RTiming(r), SpeedGoal.WithinTwiceR, loadOurs, loadR));

        var ours = MixedModel.Fit(visits.Patient, visits.Week, visits.Phq9);
        foreach (var effect in ours.FixedEffects)
        {
            var rName = effect.Name == "time" ? "week" : effect.Name;
            _agreements.Add(new Agreement($"LMM: fixed effect {rName}", effect.Estimate, r.Number($"coef:{rName}"), 1e-5));
            _agreements.Add(new Agreement($"LMM: SE {rName}", effect.Se, r.Number($"se:{rName}"), 1e-4));
        }
        _agreements.Add(new Agreement("LMM: REML criterion", ours.RemlCriterion ?? double.NaN, r.Number("reml_criterion"), 1e-8));
    }

    private Timing Time<T>(Func<T> compute) => Timing.Of(compute, settings.Warmups, settings.Repetitions);

    private (Timing AtN, Timing AtTwiceN) TimeDoubling<T>(Func<T> atN, Func<T> atTwiceN)
    {
        var (once, twice) = Timing.Interleaved(atN, atTwiceN, settings.Warmups, settings.DoublingRepetitions);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    n and 2n: medians {once.Median:F1} and {twice.Median:F1} ms"));
        return (once, twice);
    }

    private async Task<RScript> RunRAsync(string script, string csv, CancellationToken cancellationToken)
    {
        log.WriteLine($"  timing R ({script})");
        var r = await RScript.RunAsync(Path.Combine(directories.RScripts, script),
            [csv, settings.Repetitions.ToString(CultureInfo.InvariantCulture)], cancellationToken);
        _rVersions.Add($"R {r.Text("r_version")}");
        _rVersions.Add(r.Text("package_version"));
        Report("R", RTiming(r));
        return r;
    }

    private static Timing RTiming(RScript r) => new(r.Numbers("elapsed_ms"), r.Numbers("cpu_ms"));

    private void Report(string who, Timing timing) =>
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {who}: median {timing.Median:F1} ms, min {timing.Min:F1} ms, CPU median {timing.CpuMedian:F1} ms"));

    private Task<LoadAverage?> QuietAsync(CancellationToken cancellationToken) =>
        Machine.WaitForQuietAsync(settings.MaxLoad, settings.MaxWait, log, cancellationToken);
}
