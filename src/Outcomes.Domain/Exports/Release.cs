using System.Globalization;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Courses;

namespace Outcomes.Domain.Exports;

/// A subject's cohort attributes in eight bytes, so an export of 300,000 courses holds them all in a few megabytes.
/// Clinic is an index into the export's clinic list; -1 and 0 stand for "no enrolment" and "no session".
public readonly record struct SubjectAttributes(
    short Clinic,
    sbyte AgeBand,
    sbyte Sex,
    sbyte DiagnosisGroup,
    sbyte PriorFailedTrials,
    sbyte Modality,
    short EnrolmentYear,
    short FirstSessionYear)
{
    public static SubjectAttributes Of(short clinic, CourseAttributes? a, DateTimeOffset? firstSessionAt) => new(
        clinic,
        (sbyte)(a is null ? -1 : (int)a.AgeBand),
        (sbyte)(a is null ? -1 : (int)a.Sex),
        (sbyte)(a is null ? -1 : (int)a.DiagnosisGroup),
        (sbyte)(a is null ? -1 : PriorTrialsBand(a.PriorFailedTrials)),
        (sbyte)(a is null ? -1 : (int)a.Modality),
        (short)(a?.EnrolmentYear ?? 0),
        (short)(firstSessionAt?.UtcDateTime.Year ?? 0));

    private static int PriorTrialsBand(int trials) => trials <= 1 ? 0 : trials == 2 ? 1 : 2;
}

/// The generalisation hierarchy of the quasi-identifiers (age band x sex x clinic x modality x enrolment year, with
/// the first-session year generalised alongside the enrolment year) and the k-anonymity procedure over it
/// (analytics/methods/exports.md). Level 0 releases attributes as stored; level 1 widens both years to five-year
/// periods; level 2 also widens age bands; level 3 also replaces the modality by "other". Subjects still in a class
/// smaller than k at level 3 are suppressed.
public static class Release
{
    public const int MaxLevel = 3;
    public const byte Suppressed = byte.MaxValue;
    public const string OtherModality = "other";
    public const int PeriodYears = 5;

    public static IReadOnlyList<string> WideAgeBands { get; } = ["18-34", "35-54", "55-74", "75+"];

    private static readonly string[] AgeLabels = CohortDimensions.EnumLabels<AgeBand>();
    private static readonly string[] SexLabels = CohortDimensions.EnumLabels<Sex>();
    private static readonly string[] DiagnosisLabels = CohortDimensions.EnumLabels<DiagnosisGroup>();
    private static readonly string[] PriorTrialsLabels = ["0-1", "2", "3+"];
    private static readonly string[] ModalityLabels = CohortDimensions.EnumLabels<Modality>();

    /// The generalisation steps, in the order they are tried; the manifest names them.
    public static IReadOnlyList<string> Steps { get; } =
        ["years-to-five-year-periods", "age-bands-widened", "modality-to-other"];

    /// Each subject's release level (0-3) or Suppressed, and how many subjects each step generalised.
    public sealed record Plan(byte[] Levels, int K, IReadOnlyList<Generalisation> Generalisations, int SuppressedSubjects);

    /// One step of the plan: how many subjects it applied to (they keep every earlier step too).
    public sealed record Generalisation(string Step, int Subjects);

    /// Local recoding, one level at a time: the subjects in an equivalence class (identical released quasi-identifiers)
    /// smaller than k move up one level together; classes of k or more never lose members, so they stay k-anonymous.
    /// Deterministic: depends only on the multiset of attributes.
    public static Plan KAnonymise(IReadOnlyList<SubjectAttributes> subjects, int k)
    {
        ArgumentNullException.ThrowIfNull(subjects);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var levels = new byte[subjects.Count];
        var moved = new int[MaxLevel + 1];
        var counts = new Dictionary<long, int>();
        for (var stage = 0; stage <= MaxLevel; stage++)
        {
            counts.Clear();
            for (var i = 0; i < levels.Length; i++)
                if (levels[i] != Suppressed)
                    CollectionsMarshalAdd(counts, Key(subjects[i], levels[i]));
            for (var i = 0; i < levels.Length; i++)
            {
                if (levels[i] != stage || counts[Key(subjects[i], levels[i])] >= k) continue;
                levels[i] = stage == MaxLevel ? Suppressed : (byte)(stage + 1);
                moved[stage]++;
            }
        }
        // Stage s moved its subjects from level s to s + 1: step s + 1 applied to them (and to none at a lower stage).
        var steps = new Generalisation[MaxLevel];
        for (var s = 0; s < MaxLevel; s++) steps[s] = new Generalisation(Steps[s], moved[s]);
        return new Plan(levels, k, steps, moved[MaxLevel]);
    }

    /// The released quasi-identifiers as one number: equal numbers are equal released values, whatever the levels.
    public static long Key(SubjectAttributes a, int level)
    {
        long age = level >= 2 && a.AgeBand >= 0 ? 100 + WideAgeBand(a.AgeBand) : a.AgeBand + 1;
        long modality = level >= 3 && a.Modality >= 0 ? 99 : a.Modality + 1;
        long enrolment = level >= 1 && a.EnrolmentYear > 0 ? 8192 + PeriodStart(a.EnrolmentYear) : a.EnrolmentYear;
        long first = level >= 1 && a.FirstSessionYear > 0 ? 8192 + PeriodStart(a.FirstSessionYear) : a.FirstSessionYear;
        return (((((long)(ushort)a.Clinic * 128 + age) * 8 + (a.Sex + 1)) * 128 + modality) * 16384 + enrolment) * 16384 + first;
    }

    private static void CollectionsMarshalAdd(Dictionary<long, int> counts, long key)
    {
        ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(counts, key, out _);
        count++;
    }

    /// Writes the attribute block of a subject released at the given level.
    public static void WriteAttributes(IRowWriter row, SubjectAttributes a, int level, string clinicLabel)
    {
        row.Text(clinicLabel);
        row.Text(a.AgeBand < 0 ? ExportDatasets.NoEnrolment : level >= 2 ? WideAgeBands[WideAgeBand(a.AgeBand)] : AgeLabels[a.AgeBand]);
        row.Text(a.Sex < 0 ? ExportDatasets.NoEnrolment : SexLabels[a.Sex]);
        row.Text(a.DiagnosisGroup < 0 ? ExportDatasets.NoEnrolment : DiagnosisLabels[a.DiagnosisGroup]);
        row.Text(a.PriorFailedTrials < 0 ? ExportDatasets.NoEnrolment : PriorTrialsLabels[a.PriorFailedTrials]);
        row.Text(a.Modality < 0 ? ExportDatasets.NoEnrolment : level >= 3 ? OtherModality : ModalityLabels[a.Modality]);
        row.Text(YearLabel(a.EnrolmentYear, level));
        row.Text(YearLabel(a.FirstSessionYear, level));
    }

    /// Whether the subject's session modality, dose and route are withheld.
    public static bool ModalityWithheld(SubjectAttributes a, int level) => level >= 3 && a.Modality >= 0;

    private static string? YearLabel(short year, int level)
    {
        if (year <= 0) return null;
        if (level < 1) return year.ToString(CultureInfo.InvariantCulture);
        var start = PeriodStart(year);
        return string.Create(CultureInfo.InvariantCulture, $"{start}-{start + PeriodYears - 1}");
    }

    private static int PeriodStart(int year) => year - year % PeriodYears;

    private static int WideAgeBand(int band) => (AgeBand)band switch
    {
        AgeBand.From18To24 or AgeBand.From25To34 => 0,
        AgeBand.From35To44 or AgeBand.From45To54 => 1,
        AgeBand.From55To64 or AgeBand.From65To74 => 2,
        _ => 3,
    };
}
