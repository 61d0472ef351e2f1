namespace Outcomes.Domain.Courses;

// Stored-event vocabulary. It mirrors the wire contract's enumerations on purpose but is owned here,
// so the wire can version without rewriting stored history.

public enum AgeBand { From18To24, From25To34, From35To44, From45To54, From55To64, From65To74, From75To89, From90 }

public enum Sex { Female, Male, Other, Unknown }

public enum DiagnosisGroup { MajorDepressiveDisorder, TreatmentResistantDepression, BipolarDepression, DepressionWithPtsd, Other }

public enum Modality { IvKetamine, ImKetamine, IntranasalEsketamine, OralKetamine, KetamineAssistedPsychotherapy }

public enum DoseUnit { Milligrams, MilligramsPerKilogram }

public enum Route { Intravenous, Intramuscular, Intranasal, Oral, Sublingual }

public enum CourseEndReason { Completed, DiscontinuedAdverseEffects, LostToFollowUp, Other }
