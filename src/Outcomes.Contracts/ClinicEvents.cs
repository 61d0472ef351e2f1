using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace Outcomes.Contracts;

/// <summary>
/// Fields every clinic event carries. Publishers assign <see cref="EventId"/>; the same id delivered
/// twice is stored once.
/// </summary>
public interface IClinicEvent
{
    /// <summary>Publisher-assigned UUID of this fact; redelivery with the same id is stored once.</summary>
    Guid EventId { get; }

    /// <summary>Clinic identifier agreed with the Outcomes operator: lower-case letters, digits and '-', 2-40 characters.</summary>
    string ClinicId { get; }

    /// <summary>Pseudonymous patient key: an opaque token (letters, digits, '-' and '_', 8-64 characters) not derived from identifiers.</summary>
    string PatientKey { get; }

    /// <summary>Treatment course number for this patient at this clinic, starting at 1; omitted means 1.</summary>
    int? Course { get; }

    /// <summary>When the fact happened (ISO 8601 with offset), not when it was sent.</summary>
    DateTimeOffset OccurredAt { get; }
}

/// <summary>A patient was enrolled in a ketamine or esketamine treatment course.</summary>
[Description("A patient was enrolled in a ketamine or esketamine treatment course.")]
public sealed record PatientEnrolled(
    Guid EventId,
    [property: RegularExpression(ContractLimits.ClinicIdPattern)] string ClinicId,
    [property: RegularExpression(ContractLimits.PatientKeyPattern), Length(ContractLimits.PatientKeyMinLength, ContractLimits.PatientKeyMaxLength)] string PatientKey,
    DateTimeOffset OccurredAt,
    AgeBand AgeBand,
    Sex Sex,
    DiagnosisGroup DiagnosisGroup,
    [property: Range(0, ContractLimits.MaxPriorFailedTrials)] int PriorFailedTrials,
    Modality Modality,
    [property: Range(ContractLimits.EarliestFactYear, ContractLimits.LatestEnrolmentYear)] int EnrolmentYear,
    [property: Range(ContractLimits.FirstCourse, ContractLimits.MaxCourse)] int? Course = null) : IClinicEvent;

/// <summary>A treatment session (one infusion, injection, nasal or oral dose) was given.</summary>
[Description("A treatment session (one infusion, injection, nasal or oral dose) was given.")]
public sealed record TreatmentSessionGiven(
    Guid EventId,
    [property: RegularExpression(ContractLimits.ClinicIdPattern)] string ClinicId,
    [property: RegularExpression(ContractLimits.PatientKeyPattern), Length(ContractLimits.PatientKeyMinLength, ContractLimits.PatientKeyMaxLength)] string PatientKey,
    DateTimeOffset OccurredAt,
    Modality Modality,
    [property: Range(0.0, ContractLimits.MaxDoseMilligrams, MinimumIsExclusive = true)] decimal Dose,
    DoseUnit DoseUnit,
    Route Route,
    [property: Range(ContractLimits.FirstCourse, ContractLimits.MaxCourse)] int? Course = null) : IClinicEvent;

/// <summary>
/// A PHQ-9 questionnaire was completed. Give the nine item scores (0-3 each, item 9 last), or a total
/// alone (0-27; kept and flagged "total only"), or both (then the total must equal the sum of the items).
/// </summary>
[Description("A PHQ-9 was completed: nine item scores (0-3, item 9 last) and/or a total (0-27).")]
public sealed record Phq9Completed(
    Guid EventId,
    [property: RegularExpression(ContractLimits.ClinicIdPattern)] string ClinicId,
    [property: RegularExpression(ContractLimits.PatientKeyPattern), Length(ContractLimits.PatientKeyMinLength, ContractLimits.PatientKeyMaxLength)] string PatientKey,
    DateTimeOffset OccurredAt,
    [property: Length(ContractLimits.Phq9ItemCount, ContractLimits.Phq9ItemCount), Range(0, ContractLimits.Phq9MaxItem)] int[]? Items = null,
    [property: Range(0, ContractLimits.Phq9MaxTotal)] int? Total = null,
    [property: Range(ContractLimits.FirstCourse, ContractLimits.MaxCourse)] int? Course = null) : IClinicEvent;

/// <summary>The treatment course ended.</summary>
[Description("The treatment course ended.")]
public sealed record CourseEnded(
    Guid EventId,
    [property: RegularExpression(ContractLimits.ClinicIdPattern)] string ClinicId,
    [property: RegularExpression(ContractLimits.PatientKeyPattern), Length(ContractLimits.PatientKeyMinLength, ContractLimits.PatientKeyMaxLength)] string PatientKey,
    DateTimeOffset OccurredAt,
    CourseEndReason Reason,
    [property: Range(ContractLimits.FirstCourse, ContractLimits.MaxCourse)] int? Course = null) : IClinicEvent;

/// <summary>
/// A fact sent earlier was entered in error: the course is computed without it from now on, while reports as of an
/// earlier position still show it (history is never rewritten). It names the retracted fact by its event id, which must
/// be a fact already stored in the same course (clinic, patient key and course) and not itself a retraction.
/// <see cref="IClinicEvent.OccurredAt"/> is when the fact was retracted at the clinic.
/// </summary>
[Description("A fact sent earlier was entered in error: the course is recomputed without it (earlier report positions still show it).")]
public sealed record FactRetracted(
    Guid EventId,
    [property: RegularExpression(ContractLimits.ClinicIdPattern)] string ClinicId,
    [property: RegularExpression(ContractLimits.PatientKeyPattern), Length(ContractLimits.PatientKeyMinLength, ContractLimits.PatientKeyMaxLength)] string PatientKey,
    DateTimeOffset OccurredAt,
    Guid RetractedEventId,
    [property: Range(ContractLimits.FirstCourse, ContractLimits.MaxCourse)] int? Course = null) : IClinicEvent;

/// <summary>Age at enrolment in bands; ages over 89 are grouped as 90+ (HIPAA Safe Harbor).</summary>
[JsonConverter(typeof(WireEnumConverter<AgeBand>))]
public enum AgeBand
{
    /// <summary>18 to 24 years.</summary>
    [JsonStringEnumMemberName("18-24")] From18To24,
    /// <summary>25 to 34 years.</summary>
    [JsonStringEnumMemberName("25-34")] From25To34,
    /// <summary>35 to 44 years.</summary>
    [JsonStringEnumMemberName("35-44")] From35To44,
    /// <summary>45 to 54 years.</summary>
    [JsonStringEnumMemberName("45-54")] From45To54,
    /// <summary>55 to 64 years.</summary>
    [JsonStringEnumMemberName("55-64")] From55To64,
    /// <summary>65 to 74 years.</summary>
    [JsonStringEnumMemberName("65-74")] From65To74,
    /// <summary>75 to 89 years.</summary>
    [JsonStringEnumMemberName("75-89")] From75To89,
    /// <summary>90 years or older.</summary>
    [JsonStringEnumMemberName("90+")] From90,
}

/// <summary>Sex as recorded by the clinic.</summary>
[JsonConverter(typeof(WireEnumConverter<Sex>))]
public enum Sex
{
    /// <summary>Female.</summary>
    [JsonStringEnumMemberName("female")] Female,
    /// <summary>Male.</summary>
    [JsonStringEnumMemberName("male")] Male,
    /// <summary>Another sex or intersex.</summary>
    [JsonStringEnumMemberName("other")] Other,
    /// <summary>Not recorded.</summary>
    [JsonStringEnumMemberName("unknown")] Unknown,
}

/// <summary>The depression diagnosis the course treats.</summary>
[JsonConverter(typeof(WireEnumConverter<DiagnosisGroup>))]
public enum DiagnosisGroup
{
    /// <summary>Major depressive disorder.</summary>
    [JsonStringEnumMemberName("major-depressive-disorder")] MajorDepressiveDisorder,
    /// <summary>Treatment-resistant depression (two or more failed adequate trials).</summary>
    [JsonStringEnumMemberName("treatment-resistant-depression")] TreatmentResistantDepression,
    /// <summary>Bipolar depression.</summary>
    [JsonStringEnumMemberName("bipolar-depression")] BipolarDepression,
    /// <summary>Depression with post-traumatic stress disorder.</summary>
    [JsonStringEnumMemberName("depression-with-ptsd")] DepressionWithPtsd,
    /// <summary>Another depressive disorder.</summary>
    [JsonStringEnumMemberName("other")] Other,
}

/// <summary>Ketamine or esketamine treatment modality.</summary>
[JsonConverter(typeof(WireEnumConverter<Modality>))]
public enum Modality
{
    /// <summary>Intravenous racemic ketamine (typically 0.5 mg/kg over 40 minutes).</summary>
    [JsonStringEnumMemberName("iv-ketamine")] IvKetamine,
    /// <summary>Intramuscular ketamine.</summary>
    [JsonStringEnumMemberName("im-ketamine")] ImKetamine,
    /// <summary>Intranasal esketamine (Spravato 56/84 mg).</summary>
    [JsonStringEnumMemberName("intranasal-esketamine")] IntranasalEsketamine,
    /// <summary>Oral or sublingual ketamine.</summary>
    [JsonStringEnumMemberName("oral-ketamine")] OralKetamine,
    /// <summary>Ketamine-assisted psychotherapy.</summary>
    [JsonStringEnumMemberName("ketamine-assisted-psychotherapy")] KetamineAssistedPsychotherapy,
}

/// <summary>Unit of a session's dose.</summary>
[JsonConverter(typeof(WireEnumConverter<DoseUnit>))]
public enum DoseUnit
{
    /// <summary>Milligrams.</summary>
    [JsonStringEnumMemberName("mg")] Milligrams,
    /// <summary>Milligrams per kilogram of body weight.</summary>
    [JsonStringEnumMemberName("mg/kg")] MilligramsPerKilogram,
}

/// <summary>Route of administration.</summary>
[JsonConverter(typeof(WireEnumConverter<Route>))]
public enum Route
{
    /// <summary>Intravenous.</summary>
    [JsonStringEnumMemberName("intravenous")] Intravenous,
    /// <summary>Intramuscular.</summary>
    [JsonStringEnumMemberName("intramuscular")] Intramuscular,
    /// <summary>Intranasal.</summary>
    [JsonStringEnumMemberName("intranasal")] Intranasal,
    /// <summary>Oral.</summary>
    [JsonStringEnumMemberName("oral")] Oral,
    /// <summary>Sublingual.</summary>
    [JsonStringEnumMemberName("sublingual")] Sublingual,
}

/// <summary>Why a course ended.</summary>
[JsonConverter(typeof(WireEnumConverter<CourseEndReason>))]
public enum CourseEndReason
{
    /// <summary>The planned course was completed.</summary>
    [JsonStringEnumMemberName("completed")] Completed,
    /// <summary>Stopped because of adverse effects.</summary>
    [JsonStringEnumMemberName("discontinued-adverse-effects")] DiscontinuedAdverseEffects,
    /// <summary>The patient stopped attending without notice.</summary>
    [JsonStringEnumMemberName("lost-to-follow-up")] LostToFollowUp,
    /// <summary>Any other reason.</summary>
    [JsonStringEnumMemberName("other")] Other,
}
