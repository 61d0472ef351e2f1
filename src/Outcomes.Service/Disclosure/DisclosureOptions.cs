using System.ComponentModel.DataAnnotations;

namespace Outcomes.Service.Disclosure;

/// How often the protected tier gets a new release point.
public enum ReleaseCadence { Month, Week, Day }

public sealed class DisclosureOptions
{
    public const string Section = "Disclosure";

    /// The own-clinics tier: a quality lead or administrator sees its own clinics exactly. A deployment that pools
    /// independent clinics (where staff should not see even their own clinic's small cells) sets false: every
    /// figure then passes the protected tier.
    public bool OwnClinics { get; set; } = true;

    /// Release points of the protected tier: the start of each month (default), week (Monday, UTC) or day.
    public ReleaseCadence ReleaseEvery { get; set; } = ReleaseCadence.Month;

    /// How many releases keep their snapshot (older ones are listed but no longer answer).
    [Range(1, 120)]
    public int KeepReleases { get; set; } = 3;

    /// How many distinct cohorts (report slots: a whole cohort or one of its groups) one subject is answered in the
    /// protected tier per release (DifferencingLockOut); asking one again is free. A quality lead browsing the
    /// dashboard asks a few dozen a day; thousands is an attempt to average the noise away.
    [Range(1, 10_000_000)]
    public int ProtectedCohortsPerRelease { get; set; } = 2_000;

    /// How often the schedule looks whether a release point has passed.
    public TimeSpan ScheduleCheckInterval { get; set; } = TimeSpan.FromMinutes(10);
}
