using System.Text.Json.Serialization;

namespace Outcomes.Cli.Fhir;

/// <summary>
/// What the conversion keeps of one resource between reading it and assembling the patient's facts: only what a
/// fact needs, keyed by the patient's reference so that one patient's resources meet whatever file they came in.
/// No name, address, identifier or free text is kept; the birth date is kept until the age band is known (at the
/// first session) and lives only in the conversion's temporary spool.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$x")]
[JsonDerivedType(typeof(PatientRecord), "patient")]
[JsonDerivedType(typeof(ConditionRecord), "condition")]
[JsonDerivedType(typeof(EpisodeRecord), "episode")]
[JsonDerivedType(typeof(SessionRecord), "session")]
[JsonDerivedType(typeof(Phq9Record), "phq9")]
[JsonDerivedType(typeof(RetractionRecord), "retraction")]
[JsonDerivedType(typeof(ProcedureRecord), "procedure")]
public abstract record PatientExtract(string Patient, string Source, string? Version);

/// <summary>A Patient: its key (already keyed: the identifier itself is never kept), birth date and gender as sent.</summary>
public sealed record PatientRecord(string Patient, string Source, string? Version, string Key, string? BirthDate, string? Gender)
    : PatientExtract(Patient, Source, Version);

/// <summary>A Condition whose code is in a diagnosis group: its codings as "system|code".</summary>
public sealed record ConditionRecord(string Patient, string Source, string? Version, string[] Codes)
    : PatientExtract(Patient, Source, Version);

/// <summary>An EpisodeOfCare: status and period.</summary>
public sealed record EpisodeRecord(string Patient, string Source, string? Version, string Status, DateTimeOffset? Start, DateTimeOffset? End)
    : PatientExtract(Patient, Source, Version);

/// <summary>
/// An administration (or statement) of a medication that may be ketamine: which one is decided when every
/// Medication resource has been read, since administrations may reference them from another file. PartOf: the
/// Procedures it was given in (the administration is the session; the Procedure adds nothing).
/// </summary>
public sealed record SessionRecord(string Patient, string Source, string? Version, DateTimeOffset At, string[] MedicationCodes,
    string? MedicationReference, decimal? Dose, Outcomes.Contracts.DoseUnit? DoseUnit, Outcomes.Contracts.Route? Route, string? Problem,
    string[]? PartOf = null)
    : PatientExtract(Patient, Source, Version);

/// <summary>
/// A completed Procedure whose code or usedCode names ketamine or esketamine (RxNorm lists) or has a protocol in the
/// mapping file: Codes are its code's codings, UsedCodes its usedCode's, all as "system|code". It is a session only
/// when no administration is part of it and the clinic declared the protocol (dose, route) of its code.
/// </summary>
public sealed record ProcedureRecord(string Patient, string Source, string? Version, DateTimeOffset At, string[] Codes, string[] UsedCodes)
    : PatientExtract(Patient, Source, Version);

public enum Phq9Shape { QuestionnaireResponse, Panel, Item, Total }

/// <summary>
/// A PHQ-9 completion or part of one: item scores by questionnaire position (null = not answered or not
/// readable), a stated total, the panel's members and the resources it was derived from (all as references).
/// EnteredInError: when the resource was marked entered-in-error (meta.lastUpdated, else its own time), null while it
/// stands. A marked record keeps its answers and time: they say which completion it was part of, and that completion
/// is retracted whole, whichever of its resources was marked.
/// </summary>
public sealed record Phq9Record(string Patient, string Source, string? Version, Phq9Shape Shape, DateTimeOffset At, int?[] Items,
    int? Total, string[] Members, string[] DerivedFrom, DateTimeOffset? EnteredInError = null)
    : PatientExtract(Patient, Source, Version);

/// <summary>
/// A session or episode resource marked entered-in-error: the fact its earlier version produced (Fact, its message type)
/// is to be retracted. At is when it was marked (meta.lastUpdated), else the resource's own time; an administration
/// keeps its medication (a Procedure its code and usedCode codings) so that only a ketamine or esketamine session's
/// retraction is sent, and the Procedures it was part of.
/// </summary>
public sealed record RetractionRecord(string Patient, string Source, string? Version, string Fact, DateTimeOffset At,
    string[] MedicationCodes, string? MedicationReference, string[]? PartOf = null)
    : PatientExtract(Patient, Source, Version);
