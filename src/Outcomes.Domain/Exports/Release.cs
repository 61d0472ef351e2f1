using System.Globalization;
using System.Runtime.InteropServices;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Domain.Exports;

/// A subject's quasi-identifiers in eight bytes, so a release of 300,000 courses holds them all in a few megabytes.
/// Clinic is an index into the release's clinic list; -1 and 0 stand for "no enrolment" and "no session". The same
/// type holds released (generalised) values: see Release.Released for their codes.
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

/// How a release is anonymised: k and the order in which generalisation steps are tried. A release is anonymised
/// once with one set of parameters (its first export's), so every export of it is a subset of one table.
public sealed record ReleaseParameters(int K, IReadOnlyList<string> GeneralisationOrder)
{
    public const string YearsToPeriods = "years-to-five-year-periods";
    public const string AgeBandsWidened = "age-bands-widened";
    public const string SexWithheld = "sex-withheld";
    public const string DiagnosisGroupWithheld = "diagnosis-group-withheld";
    public const string PriorTrialsWithheld = "prior-trials-withheld";
    public const string AgeBandWithheld = "age-band-withheld";
    public const string YearsWithheld = "years-withheld";
    public const string ModalityToOther = "modality-to-other";

    /// Demographics first, coarsest last; the modality (an analysis variable) only when nothing else made the class k.
    public static IReadOnlyList<string> DefaultOrder { get; } =
    [
        YearsToPeriods, AgeBandsWidened, SexWithheld, PriorTrialsWithheld, DiagnosisGroupWithheld, AgeBandWithheld, YearsWithheld,
        ModalityToOther,
    ];

    public static ReleaseParameters Default { get; } = new(11, DefaultOrder);

    /// Every step exactly once; a wider step of an attribute after its narrower one.
    public static IReadOnlyList<DefinitionViolation> Validate(IReadOnlyList<string>? order, string field)
    {
        var violations = new List<DefinitionViolation>();
        if (order is null || order.Count != DefaultOrder.Count || order.Distinct(StringComparer.Ordinal).Count() != order.Count
            || order.Any(s => !DefaultOrder.Contains(s, StringComparer.Ordinal)))
        {
            violations.Add(new DefinitionViolation(field, $"must list each of {string.Join(", ", DefaultOrder)} exactly once, got " +
                $"[{string.Join(", ", order ?? [])}]"));
            return violations;
        }
        var at = order.Select((s, i) => (s, i)).ToDictionary(x => x.s, x => x.i, StringComparer.Ordinal);
        if (at[AgeBandsWidened] > at[AgeBandWithheld])
            violations.Add(new DefinitionViolation(field, $"{AgeBandsWidened} must come before {AgeBandWithheld}"));
        if (at[YearsToPeriods] > at[YearsWithheld])
            violations.Add(new DefinitionViolation(field, $"{YearsToPeriods} must come before {YearsWithheld}"));
        return violations;
    }
}

/// The anonymisation of a release's whole exportable population (every clinic) over every exported quasi-identifier:
/// age band, sex, diagnosis group, prior failed trials, modality, the two years, within each clinic (a clinic is a
/// stratum, never generalised across clinics, so an export scoped to some clinics holds whole classes). Local
/// recoding (Sweeney 2002; Samarati 2001) along the configured order of steps: a subject at level L has the first L
/// steps applied. At stage s = 0..N the classes (identical released values) are counted over every released subject
/// and each subject at level s in a class smaller than k moves to s + 1 (from N: suppressed). A class of k or more never
/// loses members, so every released class has at least k subjects. Deterministic: the plan depends only on the
/// multiset of attributes and the parameters.
public static class Release
{
    public const byte Suppressed = byte.MaxValue;
    public const string OtherModality = "other";
    public const string Withheld = "withheld";
    public const int PeriodYears = 5;

    /// Codes of released values in SubjectAttributes: a withheld attribute, a widened age band (WideAgeBase + index),
    /// a five-year period (PeriodBase + its first year), a withheld year.
    public const sbyte WithheldCode = 99;
    public const sbyte WideAgeBase = 50;
    public const short PeriodBase = 10_000;
    public const short WithheldYear = 1;

    public static IReadOnlyList<string> WideAgeBands { get; } = ["18-34", "35-54", "55-74", "75+"];

    private static readonly string[] AgeLabels = CohortDimensions.EnumLabels<AgeBand>();
    private static readonly string[] SexLabels = CohortDimensions.EnumLabels<Sex>();
    private static readonly string[] DiagnosisLabels = CohortDimensions.EnumLabels<DiagnosisGroup>();
    private static readonly string[] PriorTrialsLabels = ["0-1", "2", "3+"];
    private static readonly string[] ModalityLabels = CohortDimensions.EnumLabels<Modality>();

    /// The quasi-identifier columns of the attribute block, in file order after clinic.
    public static IReadOnlyList<string> QuasiIdentifierColumns { get; } =
        ["age_band", "sex", "diagnosis_group", "prior_failed_trials", "modality", "enrolment_year", "first_session_year"];

    /// Each subject's level (0..steps) or Suppressed, and what the plan did.
    public sealed record Plan(byte[] Levels, ReleaseParameters Parameters, IReadOnlyList<Generalisation> Generalisations, int SuppressedSubjects)
    {
        private readonly Levels _levels = new(Parameters.GeneralisationOrder);

        /// A subject's released values (Suppressed subjects have none).
        public SubjectAttributes Released(SubjectAttributes a, int i) => Release.Released(a, _levels, Levels[i]);
    }

    /// One step of the plan: how many subjects it applied to (they keep every earlier step too).
    public sealed record Generalisation(string Step, int Subjects);

    public static Plan Anonymise(IReadOnlyList<SubjectAttributes> subjects, ReleaseParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(subjects);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfLessThan(parameters.K, 1);
        var order = parameters.GeneralisationOrder;
        if (ReleaseParameters.Validate(order, "generalisationOrder") is [var broken, ..])
            throw new ArgumentException($"{broken.Field}: {broken.Rule}", nameof(parameters));
        var table = new Levels(order);
        var maxLevel = order.Count;
        var levels = new byte[subjects.Count];
        // Each subject's released values at its current level, recomputed only when it moves.
        var released = new SubjectAttributes[subjects.Count];
        for (var i = 0; i < released.Length; i++) released[i] = Released(subjects[i], table, 0);
        var moved = new int[maxLevel + 1];
        var counts = new Dictionary<SubjectAttributes, int>();
        for (var stage = 0; stage <= maxLevel; stage++)
        {
            if (Array.IndexOf(levels, (byte)stage) < 0) continue;
            counts.Clear();
            for (var i = 0; i < levels.Length; i++)
                if (levels[i] != Suppressed) CollectionsMarshal.GetValueRefOrAddDefault(counts, released[i], out _)++;
            for (var i = 0; i < levels.Length; i++)
            {
                if (levels[i] != stage || counts[released[i]] >= parameters.K) continue;
                levels[i] = stage == maxLevel ? Suppressed : (byte)(stage + 1);
                if (levels[i] != Suppressed) released[i] = Released(subjects[i], table, levels[i]);
                moved[stage]++;
            }
        }
        // Stage s moved its subjects from level s to s + 1: step s + 1 applied to them (and to none at a lower stage).
        var steps = new Generalisation[maxLevel];
        for (var s = 0; s < maxLevel; s++) steps[s] = new Generalisation(order[s], moved[s]);
        return new Plan(levels, parameters, steps, moved[maxLevel]);
    }

    /// The generalisation level of each attribute after the first L steps of an order.
    private sealed class Levels
    {
        public readonly byte[] Age, Sex, Diagnosis, Trials, Modality, Years;

        public Levels(IReadOnlyList<string> order)
        {
            var n = order.Count + 1;
            Age = new byte[n];
            Sex = new byte[n];
            Diagnosis = new byte[n];
            Trials = new byte[n];
            Modality = new byte[n];
            Years = new byte[n];
            for (var l = 1; l < n; l++)
            {
                Age[l] = Age[l - 1];
                Sex[l] = Sex[l - 1];
                Diagnosis[l] = Diagnosis[l - 1];
                Trials[l] = Trials[l - 1];
                Modality[l] = Modality[l - 1];
                Years[l] = Years[l - 1];
                switch (order[l - 1])
                {
                    case ReleaseParameters.YearsToPeriods: Years[l] = Math.Max(Years[l], (byte)1); break;
                    case ReleaseParameters.YearsWithheld: Years[l] = 2; break;
                    case ReleaseParameters.AgeBandsWidened: Age[l] = Math.Max(Age[l], (byte)1); break;
                    case ReleaseParameters.AgeBandWithheld: Age[l] = 2; break;
                    case ReleaseParameters.SexWithheld: Sex[l] = 1; break;
                    case ReleaseParameters.DiagnosisGroupWithheld: Diagnosis[l] = 1; break;
                    case ReleaseParameters.PriorTrialsWithheld: Trials[l] = 1; break;
                    case ReleaseParameters.ModalityToOther: Modality[l] = 1; break;
                }
            }
        }
    }

    /// A subject's released values at a level of an order (the plan's levels come from Anonymise).
    public static SubjectAttributes ReleasedAt(SubjectAttributes a, IReadOnlyList<string> order, int level) =>
        Released(a, new Levels(order), level);

    private static SubjectAttributes Released(SubjectAttributes a, Levels t, int level) => new(
        a.Clinic,
        a.AgeBand < 0 || t.Age[level] == 0 ? a.AgeBand : t.Age[level] == 1 ? (sbyte)(WideAgeBase + WideAgeBand(a.AgeBand)) : WithheldCode,
        a.Sex < 0 || t.Sex[level] == 0 ? a.Sex : WithheldCode,
        a.DiagnosisGroup < 0 || t.Diagnosis[level] == 0 ? a.DiagnosisGroup : WithheldCode,
        a.PriorFailedTrials < 0 || t.Trials[level] == 0 ? a.PriorFailedTrials : WithheldCode,
        a.Modality < 0 || t.Modality[level] == 0 ? a.Modality : WithheldCode,
        Year(a.EnrolmentYear, t.Years[level]),
        Year(a.FirstSessionYear, t.Years[level]));

    private static short Year(short year, byte level) =>
        year <= 0 || level == 0 ? year : level == 1 ? (short)(PeriodBase + PeriodStart(year)) : WithheldYear;

    /// Writes the attribute block of a subject from its released values.
    public static void WriteAttributes(IRowWriter row, SubjectAttributes released, string clinicLabel)
    {
        row.Text(clinicLabel);
        row.Text(AgeLabel(released.AgeBand));
        row.Text(Label(released.Sex, SexLabels, Withheld));
        row.Text(Label(released.DiagnosisGroup, DiagnosisLabels, Withheld));
        row.Text(Label(released.PriorFailedTrials, PriorTrialsLabels, Withheld));
        row.Text(Label(released.Modality, ModalityLabels, OtherModality));
        row.Text(YearLabel(released.EnrolmentYear));
        row.Text(YearLabel(released.FirstSessionYear));
    }

    /// The released label of each quasi-identifier column (QuasiIdentifierColumns order), as the files hold it.
    public static string?[] Labels(SubjectAttributes released) =>
    [
        AgeLabel(released.AgeBand), Label(released.Sex, SexLabels, Withheld), Label(released.DiagnosisGroup, DiagnosisLabels, Withheld),
        Label(released.PriorFailedTrials, PriorTrialsLabels, Withheld), Label(released.Modality, ModalityLabels, OtherModality),
        YearLabel(released.EnrolmentYear), YearLabel(released.FirstSessionYear),
    ];

    /// Whether the subject's session modality, dose and route are withheld (they would reveal a generalised modality).
    public static bool ModalityWithheld(SubjectAttributes released) => released.Modality == WithheldCode;

    private static string AgeLabel(sbyte code) =>
        code < 0 ? ExportDatasets.NoEnrolment : code == WithheldCode ? Withheld : code >= WideAgeBase ? WideAgeBands[code - WideAgeBase] : AgeLabels[code];

    private static string Label(sbyte code, string[] labels, string withheld) =>
        code < 0 ? ExportDatasets.NoEnrolment : code == WithheldCode ? withheld : labels[code];

    private static string? YearLabel(short year)
    {
        if (year <= 0) return null;
        if (year == WithheldYear) return Withheld;
        if (year < PeriodBase) return year.ToString(CultureInfo.InvariantCulture);
        var start = year - PeriodBase;
        return string.Create(CultureInfo.InvariantCulture, $"{start}-{start + PeriodYears - 1}");
    }

    /// The years a released year label covers (a year, a period), or null (withheld, none).
    public static (int From, int To)? YearRange(short released) =>
        released <= WithheldYear ? null : released < PeriodBase ? (released, released) : (released - PeriodBase, released - PeriodBase + PeriodYears - 1);

    private static int PeriodStart(int year) => year - year % PeriodYears;

    private static int WideAgeBand(int band) => (AgeBand)band switch
    {
        AgeBand.From18To24 or AgeBand.From25To34 => 0,
        AgeBand.From35To44 or AgeBand.From45To54 => 1,
        AgeBand.From55To64 or AgeBand.From65To74 => 2,
        _ => 3,
    };
}
