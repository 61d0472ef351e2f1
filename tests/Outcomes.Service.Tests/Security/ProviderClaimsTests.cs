using System.Security.Claims;
using Outcomes.Contracts;
using Outcomes.Service.Security;

namespace Outcomes.Service.Tests.Security;

/// How an identity provider's claims become Outcomes' roles and clinics, as Entra ID, Okta and Keycloak send them.
public sealed class ProviderClaimsTests
{
    private static ClaimsPrincipal Map(ProviderOptions options, params (string Type, string Value)[] claims) =>
        ProviderClaims.Map(claims.Select(c => new Claim(c.Type, c.Value)), options, AuthSchemes.Provider);

    private static string[] All(ClaimsPrincipal caller, string type) => caller.FindAll(type).Select(c => c.Value).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void EntraId_AppRolesAndGroupObjectIds_MappedToRolesAndClinics()
    {
        var options = new ProviderOptions
        {
            SubjectClaim = "oid",
            RoleMap = new() { ["Outcomes.Quality"] = AccessToken.Roles.Quality },
            ClinicMap = new() { ["5b1c7c1e-0d7e-4a53-9f0e-3b8d1f2a6c11"] = "clinic-a" },
        };

        var caller = Map(options, ("sub", "pairwise-xyz"), ("oid", "7e0a"), ("azp", "dashboard-app"), ("roles", "Outcomes.Quality"),
            ("groups", "5b1c7c1e-0d7e-4a53-9f0e-3b8d1f2a6c11"), ("groups", "00000000-unrelated-group"));

        Assert.Equal("7e0a", caller.FindFirstValue(AccessToken.SubjectClaim));
        Assert.Equal("dashboard-app", caller.FindFirstValue("client_id"));
        Assert.Equal([AccessToken.Roles.Quality], All(caller, AccessToken.RoleClaim));
        Assert.Equal(["clinic-a"], All(caller, AccessToken.ClinicsClaim));
        Assert.True(caller.IsInRole(AccessToken.Roles.Quality));
    }

    [Fact]
    public void KeycloakOrOkta_GroupNamesWithAPrefix_GiveClinics()
    {
        var options = new ProviderOptions
        {
            RoleMap = new() { ["outcomes-researchers"] = AccessToken.Roles.Researcher },
            ClinicGroupPrefix = "outcomes-clinic-",
        };

        var caller = Map(options, ("sub", "ann"), ("groups", "outcomes-researchers"), ("groups", "outcomes-clinic-clinic-a"),
            ("groups", "outcomes-clinic-clinic-b"), ("groups", "outcomes-clinic-Not A Clinic"));

        Assert.Equal([AccessToken.Roles.Researcher], All(caller, AccessToken.RoleClaim));
        Assert.Equal(["clinic-a", "clinic-b"], All(caller, AccessToken.ClinicsClaim));
    }

    [Fact]
    public void UnmappedValues_GiveNoRole_RoleNamesCountAsThemselves()
    {
        var caller = Map(new ProviderOptions(), ("sub", "engine"), ("client_id", "engine"), ("roles", "integration"), ("groups", "nurse"),
            ("clinics", "clinic-a"), ("clinics", "../etc"));

        Assert.Equal([AccessToken.Roles.Integration], All(caller, AccessToken.RoleClaim));
        Assert.Equal(["clinic-a"], All(caller, AccessToken.ClinicsClaim));
        Assert.False(caller.IsInRole("nurse"));
    }

    [Fact]
    public void AllClinics_OnlyAScopeForAdministrators()
    {
        var quality = Map(new ProviderOptions(), ("sub", "q"), ("roles", "quality"), ("clinics", "*"));
        var admin = Map(new ProviderOptions(), ("sub", "a"), ("roles", "admin"), ("clinics", "*"));

        Assert.False(ClinicScope.Of(quality).AllClinics);
        Assert.True(ClinicScope.Of(admin).AllClinics);
    }
}
