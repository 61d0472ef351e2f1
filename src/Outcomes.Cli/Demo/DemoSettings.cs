namespace Outcomes.Cli.Demo;

/// <summary>What the demo feed generates. The same settings give byte-identical messages.</summary>
public sealed record DemoSettings
{
    /// <summary>
    /// Default end of the simulated period: fixed rather than "today" so a seed means the same feed on
    /// every day it is run, and in the past so no fact is dated in the future.
    /// </summary>
    public static readonly DateOnly DefaultUntil = new(2026, 1, 1);

    public int Patients { get; init; } = 500;
    public long Seed { get; init; } = 42;
    public int Clinics { get; init; } = 4;

    /// <summary>Every fact happens before 00:00 UTC of this date; first sessions fall 21-540 days before it.</summary>
    public DateOnly Until { get; init; } = DefaultUntil;

    /// <summary>Publish in a seeded random order instead of the order in which the facts happened.</summary>
    public bool Shuffle { get; init; }

    /// <summary>Probability that a valid message is sent a second time, byte-identical, later in the feed.</summary>
    public double Duplicates { get; init; }

    /// <summary>Approximate share of the feed that is deliberately invalid messages.</summary>
    public double Invalid { get; init; }

    /// <summary>The rules each setting must meet, one message per broken rule.</summary>
    public IReadOnlyList<string> Violations(DateOnly today)
    {
        var violations = new List<string>();
        if (Patients < 1) violations.Add($"--patients must be at least 1, got {Patients}");
        if (Clinics is < 1 or > ClinicProfile.MaxClinics)
            violations.Add($"--clinics must be 1-{ClinicProfile.MaxClinics}, got {Clinics}");
        if (Duplicates is < 0 or >= 1 || double.IsNaN(Duplicates))
            violations.Add($"--duplicates must be a fraction in [0, 1), got {Duplicates}");
        if (Invalid is < 0 or >= 1 || double.IsNaN(Invalid))
            violations.Add($"--invalid must be a fraction in [0, 1), got {Invalid}");
        if (Until > today)
            violations.Add($"--until must not be after today ({today:yyyy-MM-dd}), got {Until:yyyy-MM-dd}: facts must not be dated in the future");
        return violations;
    }
}
