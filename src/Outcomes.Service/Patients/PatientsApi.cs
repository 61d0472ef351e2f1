using Outcomes.Domain.Courses;
using Outcomes.Service.Audit;
using Outcomes.Service.Security;

namespace Outcomes.Service.Patients;

public static class PatientsApi
{
    public static IEndpointRouteBuilder MapPatientsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/patients").WithTags("Patients").RequireAccess(AccessPolicies.QualityOrAdmin);
        group.MapGet("/{clinicId}/{patientKey}", GetCourse)
            .WithSummary("One patient's treatment course: attributes, sessions and PHQ-9 series in clinical order")
            .WithDescription("Roles quality or admin: a course's full timestamps and series are for the clinic's own staff, not for " +
                "researchers, who see cohorts and exports. A clinic outside the caller's token answers 403 whether or not " +
                "the patient exists there, so the answer never tells whether a patient key is known.")
            .Produces<PatientCourse>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .AuditsCourseAccess(CourseAccessKinds.PatientCourse);
        return app;
    }

    private static async Task<IResult> GetCourse(string clinicId, string patientKey, int? course, ClinicScope scope,
        Npgsql.NpgsqlDataSource database, EventStore.CourseStreamReader courses, CancellationToken cancellationToken)
    {
        if (!scope.Includes(clinicId))
            return ClinicScope.OutOfScope(clinicId);
        var key = new CourseKey(clinicId, patientKey, course ?? CourseKey.FirstCourse);
        var found = await courses.CourseAsync(database, key, cancellationToken);
        return found is null
            ? TypedResults.Problem(statusCode: 404, title: $"No course {key.Course} for this patient at clinic '{clinicId}'")
            : TypedResults.Ok(found);
    }
}
