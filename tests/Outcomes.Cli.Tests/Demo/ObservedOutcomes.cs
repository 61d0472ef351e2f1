using Outcomes.Contracts;

namespace Outcomes.Cli.Tests.Demo;

/// <summary>
/// A small, deliberately separate reading of the domain's outcome definitions (domain.md), used to check
/// the demo cohort's calibration without trusting the generator's own latent variables.
/// </summary>
internal sealed record ObservedOutcomes(
    int Patients,
    int WithSixSessions,
    int Eligible,
    int Responded,
    int Remitted,
    double StillRespondingAt28Days,
    double StillRespondingAt56Days,
    double OnsetWithin21DaysShare,
    double OnsetAfterDay42Share,
    double ResponseByDay42Share)
{
    public double SixSessionShare => (double)WithSixSessions / Patients;
    public double ResponseShare => (double)Responded / Eligible;
    public double RemissionShare => (double)Remitted / Eligible;

    public static ObservedOutcomes Of(IEnumerable<IClinicEvent> facts)
    {
        int patients = 0, withSix = 0, eligible = 0, responded = 0, remitted = 0;
        var durability = new List<(double Days, bool Lost)>();
        var onsetDays = new List<double>();
        foreach (var patient in facts.GroupBy(f => f.PatientKey))
        {
            var sessions = patient.OfType<TreatmentSessionGiven>().OrderBy(s => s.OccurredAt).ToList();
            if (sessions.Count == 0) continue;
            patients++;
            if (sessions.Count >= 6) withSix++;

            var first = sessions[0].OccurredAt;
            var scores = patient.OfType<Phq9Completed>()
                .Select(p => (At: p.OccurredAt, Total: p.Total ?? p.Items!.Sum()))
                .OrderBy(p => p.At)
                .ToList();
            var baseline = scores.LastOrDefault(p => p.At <= first && p.At >= first.AddDays(-14));
            if (baseline == default || baseline.Total < 10) continue;
            eligible++;

            var after = scores.Where(p => p.At > baseline.At).ToList();
            bool Responds((DateTimeOffset At, int Total) p) => 2 * p.Total <= baseline.Total;
            if (after.Any(p => p.Total < 5)) remitted++;
            var onsetIndex = after.FindIndex(Responds);
            if (onsetIndex < 0) continue;
            responded++;

            var onset = after[onsetIndex].At;
            onsetDays.Add((onset - first).TotalDays);
            var following = after.Skip(onsetIndex + 1).ToList();
            var loss = LossOfResponse(following, Responds);
            durability.Add(loss is { } at
                ? ((at - onset).TotalDays, true)
                : (((following.Count > 0 ? following[^1].At : onset) - onset).TotalDays, false));
        }
        return new ObservedOutcomes(patients, withSix, eligible, responded, remitted,
            KaplanMeierAt(durability, 28), KaplanMeierAt(durability, 56),
            onsetDays.Count == 0 ? 0 : (double)onsetDays.Count(d => d <= 21) / onsetDays.Count,
            onsetDays.Count == 0 ? 0 : (double)onsetDays.Count(d => d > 42) / onsetDays.Count,
            eligible == 0 ? 0 : (double)onsetDays.Count(d => d <= 42) / eligible);
    }

    // Two consecutive assessments no longer meeting response, at least 5 days apart; the first one dates the loss.
    private static DateTimeOffset? LossOfResponse(List<(DateTimeOffset At, int Total)> following, Func<(DateTimeOffset At, int Total), bool> responds)
    {
        for (var i = 0; i < following.Count; i++)
        {
            if (responds(following[i])) continue;
            for (var j = i + 1; j < following.Count && !responds(following[j]); j++)
                if ((following[j].At - following[i].At).TotalDays >= 5)
                    return following[i].At;
        }
        return null;
    }

    private static double KaplanMeierAt(List<(double Days, bool Lost)> observations, double day)
    {
        var survival = 1.0;
        foreach (var time in observations.Where(o => o.Lost && o.Days <= day).Select(o => o.Days).Distinct().Order())
        {
            var atRisk = observations.Count(o => o.Days >= time);
            var events = observations.Count(o => o.Lost && o.Days == time);
            survival *= 1.0 - (double)events / atRisk;
        }
        return survival;
    }
}
