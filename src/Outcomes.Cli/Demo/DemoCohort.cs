using Outcomes.Contracts;

namespace Outcomes.Cli.Demo;

/// <summary>One simulated patient: the facts a clinic's EHR would send about the course, in time order.</summary>
public sealed record DemoPatient(int Index, string ClinicId, string PatientKey, Guid CorrelationId, IReadOnlyList<IClinicEvent> Facts);

/// <summary>
/// A synthetic multi-clinic cohort calibrated to published real-world ketamine figures
/// (analytics/methods/demo-cohort.md). Pure: no clock, no I/O; patient i depends only on the seed, i,
/// the clinic count and the end date.
/// </summary>
public static class DemoCohort
{
    public static IEnumerable<DemoPatient> Generate(DemoSettings settings)
    {
        var clinics = ClinicProfile.ForCount(settings.Clinics);
        for (var i = 0; i < settings.Patients; i++)
            yield return new DemoCourse(settings, clinics, i).Simulate();
    }
}
