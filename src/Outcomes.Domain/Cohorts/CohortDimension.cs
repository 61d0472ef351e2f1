using System.Globalization;
using System.Reflection;
using System.Text.Json.Serialization;
using Outcomes.Domain.Courses;

namespace Outcomes.Domain.Cohorts;

/// What a cohort can be filtered on and grouped by.
[JsonConverter(typeof(JsonStringEnumConverter<CohortDimension>))]
public enum CohortDimension
{
    [JsonStringEnumMemberName("clinic")] Clinic,
    [JsonStringEnumMemberName("modality")] Modality,
    [JsonStringEnumMemberName("age-band")] AgeBand,
    [JsonStringEnumMemberName("sex")] Sex,
    [JsonStringEnumMemberName("diagnosis-group")] DiagnosisGroup,
    [JsonStringEnumMemberName("baseline-severity")] BaselineSeverity,
    [JsonStringEnumMemberName("prior-failed-trials")] PriorFailedTrials,
    [JsonStringEnumMemberName("first-session-period")] FirstSessionPeriod,
}

/// The label of each course on each dimension. Filters and groups use the same labels, spelt as the clinics send
/// them ("iv-ketamine", "25-34", "moderately-severe"), plus one label per dimension for courses the dimension does
/// not apply to yet: no enrolment known, no baseline, no session.
public static class CohortDimensions
{
    public const string NoEnrolment = "no-enrolment";
    public const string NoBaseline = "no-baseline";
    public const string NoSession = "no-session";

    private static readonly string[] ModalityLabels = [.. EnumLabels<Modality>(), NoEnrolment];
    private static readonly string[] AgeBandLabels = [.. EnumLabels<AgeBand>(), NoEnrolment];
    private static readonly string[] SexLabels = [.. EnumLabels<Sex>(), NoEnrolment];
    private static readonly string[] DiagnosisGroupLabels = [.. EnumLabels<DiagnosisGroup>(), NoEnrolment];
    private static readonly string[] SeverityLabels = [.. EnumLabels<Phq9Severity>(), NoBaseline];
    private static readonly string[] PriorTrialsLabels = ["0-1", "2", "3+", NoEnrolment];
    private static readonly string[] EndReasonLabels = EnumLabels<CourseEndReason>();

    /// Courses without a first session sort after every period.
    internal const int NoSessionCode = int.MaxValue;

    public static string Label(CohortMember member, CohortDimension dimension)
    {
        ArgumentNullException.ThrowIfNull(member);
        return dimension switch
        {
            CohortDimension.Clinic => member.ClinicId,
            CohortDimension.FirstSessionPeriod => PeriodLabel(Code(member, dimension)),
            _ => FixedLabels(dimension)![Code(member, dimension)],
        };
    }

    /// Prior failed trials in the bands the reports use: "0-1", "2", "3+".
    public static string PriorFailedTrialsLabel(int priorFailedTrials) => PriorTrialsLabels[PriorTrialsCode(priorFailedTrials)];

    /// The calendar quarter (UTC) of a first session, as "2026-Q1".
    public static string PeriodLabel(DateTimeOffset firstSessionAt) => PeriodLabel(PeriodCode(firstSessionAt));

    public static string EndReasonLabel(CourseEndReason reason) => EndReasonLabels[(int)reason];

    public static bool TryParsePeriod(string? label, out int year, out int quarter)
    {
        year = quarter = 0;
        if (label is not { Length: 7 } || label[4] != '-' || label[5] != 'Q') return false;
        if (!int.TryParse(label.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out year)) return false;
        quarter = label[6] - '0';
        return quarter is >= 1 and <= 4 && year >= 1;
    }

    /// Every label a dimension can take, in group order; null for clinic and first-session period, whose labels
    /// come from the data (clinic ids; "yyyy-Qn" or "no-session").
    public static IReadOnlyList<string>? FixedLabels(CohortDimension dimension) => dimension switch
    {
        CohortDimension.Modality => ModalityLabels,
        CohortDimension.AgeBand => AgeBandLabels,
        CohortDimension.Sex => SexLabels,
        CohortDimension.DiagnosisGroup => DiagnosisGroupLabels,
        CohortDimension.BaselineSeverity => SeverityLabels,
        CohortDimension.PriorFailedTrials => PriorTrialsLabels,
        _ => null,
    };

    /// The enumeration's wire spelling (its JsonStringEnumMemberName), so labels never drift from what is stored.
    public static string[] EnumLabels<TEnum>() where TEnum : struct, Enum =>
        Enum.GetValues<TEnum>()
            .Select(v => typeof(TEnum).GetField(v.ToString())!.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name
                         ?? v.ToString())
            .ToArray();

    /// A course's position on a dimension other than clinic: codes sort in group order and index FixedLabels;
    /// periods are year x 4 + quarter - 1.
    internal static int Code(CohortMember member, CohortDimension dimension)
    {
        var a = member.Attributes;
        return dimension switch
        {
            CohortDimension.Modality => a is null ? ModalityLabels.Length - 1 : (int)a.Modality,
            CohortDimension.AgeBand => a is null ? AgeBandLabels.Length - 1 : (int)a.AgeBand,
            CohortDimension.Sex => a is null ? SexLabels.Length - 1 : (int)a.Sex,
            CohortDimension.DiagnosisGroup => a is null ? DiagnosisGroupLabels.Length - 1 : (int)a.DiagnosisGroup,
            CohortDimension.BaselineSeverity => member.Outcome.Baseline is { } b ? (int)b.Severity : SeverityLabels.Length - 1,
            CohortDimension.PriorFailedTrials => a is null ? PriorTrialsLabels.Length - 1 : PriorTrialsCode(a.PriorFailedTrials),
            CohortDimension.FirstSessionPeriod => member.FirstSessionAt is { } at ? PeriodCode(at) : NoSessionCode,
            _ => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "clinic codes come from the data"),
        };
    }

    internal static string PeriodLabel(int code) =>
        code == NoSessionCode ? NoSession : $"{(code / 4).ToString("D4", CultureInfo.InvariantCulture)}-Q{code % 4 + 1}";

    internal static int PeriodCode(int year, int quarter) => year * 4 + quarter - 1;

    private static int PeriodCode(DateTimeOffset at)
    {
        var utc = at.UtcDateTime;
        return PeriodCode(utc.Year, (utc.Month - 1) / 3 + 1);
    }

    private static int PriorTrialsCode(int priorFailedTrials) => priorFailedTrials switch
    {
        <= 1 => 0,
        2 => 1,
        _ => 2,
    };
}
