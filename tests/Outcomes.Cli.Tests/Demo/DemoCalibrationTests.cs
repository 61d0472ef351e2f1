using Outcomes.Cli.Demo;

namespace Outcomes.Cli.Tests.Demo;

/// <summary>
/// The cohort against the reference figures in domain.md (ORKA-1, ORKA-2, Oliver et al.), computed with
/// the independent reading in <see cref="ObservedOutcomes"/> on 2,000 patients.
/// </summary>
public sealed class DemoCalibrationTests
{
    private static readonly Lazy<ObservedOutcomes> Observed = new(() =>
        ObservedOutcomes.Of(DemoCohort.Generate(new DemoSettings { Patients = 2000, Seed = 2026 }).SelectMany(p => p.Facts)));

    [Fact]
    public void TwoThousandPatients_AboutHalfOfEligibleRespond()
    {
        Assert.InRange(Observed.Value.ResponseShare, 0.40, 0.62);
    }

    [Fact]
    public void TwoThousandPatients_AFifthToAThirdOfEligibleRemit()
    {
        Assert.InRange(Observed.Value.RemissionShare, 0.18, 0.36);
    }

    [Fact]
    public void TwoThousandPatients_AboutHalfReachSixSessions()
    {
        Assert.InRange(Observed.Value.SixSessionShare, 0.35, 0.65);
    }

    [Fact]
    public void TwoThousandPatients_MostEligibleHaveABaseline()
    {
        var observed = Observed.Value;
        // ~10% score below 10 at baseline and ~6% have no usable baseline.
        Assert.InRange((double)observed.Eligible / observed.Patients, 0.75, 0.90);
    }

    [Fact]
    public void TwoThousandPatients_ResponseOnsetMostlyWithinThreeWeeks()
    {
        Assert.True(Observed.Value.OnsetWithin21DaysShare >= 0.75, $"onset within 21 days: {Observed.Value.OnsetWithin21DaysShare:P1}");
    }

    [Fact]
    public void TwoThousandPatients_ResponseFadesAsInOrka1()
    {
        // ORKA-1 Kaplan-Meier: ~80% of responders still responding at 4 weeks, ~60% at 8 weeks.
        Assert.InRange(Observed.Value.StillRespondingAt28Days, 0.72, 0.90);
        Assert.InRange(Observed.Value.StillRespondingAt56Days, 0.50, 0.72);
    }

    [Fact]
    public void TwoThousandPatients_SomeRespondOnlyAfterInduction_SoResponseEverExceedsResponseByDay42()
    {
        // Real courses: most respond within weeks, some only with continued treatment. Before, nobody responded
        // after day 31 and "response ever" equalled "response by the end of induction" in every report.
        var observed = Observed.Value;
        Assert.InRange(observed.OnsetAfterDay42Share, 0.04, 0.20);
        Assert.True(observed.ResponseShare - observed.ResponseByDay42Share >= 0.02,
            $"response ever {observed.ResponseShare:P1}, by day 42 {observed.ResponseByDay42Share:P1}");
    }
}
