using System.Linq.Expressions;
using System.Security.Claims;
using Outcomes.Contracts;

namespace Outcomes.Service.Security;

/// The clinics a caller may see, from its token's "clinics" claim. Endpoints take it as a parameter
/// and consult it before reading anything that belongs to a clinic.
public sealed class ClinicScope
{
    private readonly HashSet<string> _clinics;

    private ClinicScope(bool allClinics, HashSet<string> clinics)
    {
        AllClinics = allClinics;
        _clinics = clinics;
    }

    /// Every clinic: only an administrator whose token says "*".
    public bool AllClinics { get; }

    /// The clinics named in the token (without "*").
    public IReadOnlyCollection<string> Clinics => _clinics;

    /// A fact whose clinic is unknown (a rejected message without a valid clinic id) may have come from
    /// any clinic, so only a caller who may see every clinic sees it.
    public bool IncludesUnknownClinic => AllClinics;

    public static ClinicScope Of(ClaimsPrincipal caller)
    {
        var named = caller.FindAll(AccessToken.ClinicsClaim).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        var all = named.Remove(AccessToken.AllClinics) && caller.IsInRole(AccessToken.Roles.Admin);
        return new ClinicScope(all, named);
    }

    /// Minimal API binding: an endpoint parameter of this type is the current caller's scope.
    public static ValueTask<ClinicScope?> BindAsync(HttpContext context) => ValueTask.FromResult<ClinicScope?>(Of(context.User));

    public bool Includes(string clinicId) => AllClinics || _clinics.Contains(clinicId);

    /// The rows of the query whose clinic (by <paramref name="clinicOf"/>) is in scope; rows with no
    /// clinic only for a caller who sees every clinic. Translates to SQL (an = ANY over the clinic ids).
    public IQueryable<T> Visible<T>(IQueryable<T> query, Expression<Func<T, string?>> clinicOf)
    {
        if (AllClinics) return query;
        // Enumerable.Contains named explicitly: C# 14 would bind array.Contains in a lambda to the span
        // overload of MemoryExtensions, which LINQ providers do not translate.
        var inScope = Expression.Call(typeof(Enumerable), nameof(Enumerable.Contains), [typeof(string)],
            Expression.Constant(_clinics.ToArray()), clinicOf.Body);
        return query.Where(Expression.Lambda<Func<T, bool>>(inScope, clinicOf.Parameters));
    }

    /// The answer to an explicit request for another clinic's data. The same whether or not the data
    /// exists, so it reveals nothing the caller did not already say.
    public static IResult OutOfScope(string clinicId) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: $"Clinic '{clinicId}' is not among this caller's clinics");
}
