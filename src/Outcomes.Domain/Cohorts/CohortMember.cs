using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Domain.Cohorts;

/// The course attributes a cohort is filtered and grouped on, as the course's enrolment stated them.
public sealed record CourseAttributes(
    Modality Modality,
    AgeBand AgeBand,
    Sex Sex,
    DiagnosisGroup DiagnosisGroup,
    int PriorFailedTrials,
    int EnrolmentYear)
{
    public static CourseAttributes Of(PatientEnrolled enrolment)
    {
        ArgumentNullException.ThrowIfNull(enrolment);
        return new CourseAttributes(enrolment.Modality, enrolment.AgeBand, enrolment.Sex, enrolment.DiagnosisGroup,
            enrolment.PriorFailedTrials, enrolment.EnrolmentYear);
    }
}

/// One treatment course as a cohort report reads it: where (the clinic, from its key), who (the enrolment's
/// attributes; null until an enrolment is known) and its outcomes under one set of definitions as of one moment.
/// The first session date, baseline severity and everything else time-bound come from the outcome.
public sealed record CohortMember(CourseKey Course, CourseAttributes? Attributes, CourseOutcome Outcome)
{
    public string ClinicId => Course.ClinicId;

    public DateTimeOffset? FirstSessionAt => Outcome.FirstSessionAt;

    /// Builds a member from a course's stored facts (a read model such as the Service's PatientCourse maps onto
    /// CourseFacts field by field). An enrolment stamped after asOf is not yet known, as for every other fact.
    public static CohortMember From(CourseKey course, CourseFacts facts, OutcomeDefinitions definitions, DateTimeOffset asOf)
    {
        ArgumentNullException.ThrowIfNull(course);
        ArgumentNullException.ThrowIfNull(facts);
        var outcome = CourseOutcome.Derive(facts, definitions, asOf);
        var attributes = facts.Enrolment is { } enrolment && enrolment.OccurredAt.UtcTicks <= asOf.UtcTicks
            ? CourseAttributes.Of(enrolment)
            : null;
        return new CohortMember(course, attributes, outcome);
    }

    /// Builds a member from every fact stored for the course at an event-store position, stamped with the store's
    /// time at that position. What the store holds, not the facts' own clocks, decides what a report knows: a fact
    /// stamped a little ahead of the store's clock (allowed skew) still counts. The time only decides whether an
    /// ongoing course has passed its induction window. This is the rule the stored outcome read model follows.
    public static CohortMember AtPosition(CourseKey course, CourseFacts facts, OutcomeDefinitions definitions, DateTimeOffset storeTime)
    {
        var member = From(course, facts, definitions, DateTimeOffset.MaxValue);
        return member with { Outcome = member.Outcome.KnownAt(storeTime, definitions) };
    }

    /// Anything at all known about the course as of its outcome's AsOf; a course whose every fact is later than
    /// that does not exist yet for the report.
    internal bool IsKnown =>
        Outcome.EnrolmentKnown || Outcome.FirstSessionAt is not null || Outcome.Series.Count > 0 || Outcome.CourseEnded;
}
