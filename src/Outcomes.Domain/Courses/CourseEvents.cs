namespace Outcomes.Domain.Courses;

// Facts about one treatment course, as stored in its event stream (one stream per CourseKey).
// Facts may arrive in any order: OccurredAt, not stream position, orders them clinically.

public sealed record PatientEnrolled(
    DateTimeOffset OccurredAt,
    AgeBand AgeBand,
    Sex Sex,
    DiagnosisGroup DiagnosisGroup,
    int PriorFailedTrials,
    Modality Modality,
    int EnrolmentYear);

public sealed record TreatmentSessionGiven(
    DateTimeOffset OccurredAt,
    Modality Modality,
    decimal Dose,
    DoseUnit DoseUnit,
    Route Route);

public sealed record Phq9Completed(DateTimeOffset OccurredAt, Phq9Score Score);

public sealed record CourseEnded(DateTimeOffset OccurredAt, CourseEndReason Reason);

/// The fact stored under RetractedEventId (in the same course stream, never itself a retraction) was entered in error.
/// Appended, never rewriting history: the course is computed without the retracted fact from this event on, and a
/// replay up to an earlier position still shows it.
public sealed record FactRetracted(DateTimeOffset OccurredAt, Guid RetractedEventId);
