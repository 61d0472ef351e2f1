using Marten;
using Outcomes.Domain.Courses;

namespace Outcomes.Service.Patients;

public static class PatientsApi
{
    public static IEndpointRouteBuilder MapPatientsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/patients").WithTags("Patients");
        group.MapGet("/{clinicId}/{patientKey}", GetCourse)
            .WithSummary("One patient's treatment course: attributes, sessions and PHQ-9 series in clinical order");
        return app;
    }

    private static async Task<IResult> GetCourse(string clinicId, string patientKey, int? course, IQuerySession session,
        CancellationToken cancellationToken)
    {
        var key = new CourseKey(clinicId, patientKey, course ?? CourseKey.FirstCourse);
        var found = await session.LoadAsync<PatientCourse>(key.ToString(), cancellationToken);
        return found is null
            ? TypedResults.Problem(statusCode: 404, title: $"No course {key.Course} for this patient at clinic '{clinicId}'")
            : TypedResults.Ok(found);
    }
}
