using System.Security.Claims;
using Outcomes.Contracts;
using Outcomes.Domain.Disclosure;
using Outcomes.Service.Disclosure;

namespace Outcomes.Service.Tests.Disclosure;

public sealed class ReportAudienceTests
{
    private static ClaimsPrincipal Caller(string role) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Role, role), new Claim(AccessToken.ClinicsClaim, "clinic-a")], "test"));

    [Theory]
    [InlineData("quality", false, true, DisclosureTier.OwnClinics)]
    [InlineData("admin", false, true, DisclosureTier.OwnClinics)]
    [InlineData("researcher", false, true, DisclosureTier.Protected)]
    [InlineData("quality", true, true, DisclosureTier.Protected)]
    [InlineData("admin", true, true, DisclosureTier.Protected)]
    [InlineData("quality", false, false, DisclosureTier.Protected)]
    public void TierByWhoAsksAboutWhoseData(string role, bool network, bool ownClinicsTier, DisclosureTier expected)
    {
        var audience = ReportAudience.Of(Caller(role), network, new DisclosureOptions { OwnClinics = ownClinicsTier });

        Assert.Equal(expected, audience.Tier);
        Assert.Equal(network, audience.Network);
    }

    [Theory]
    [InlineData("2026-12-04T20:00:00Z", ReleaseCadence.Month, "2026-12-01T00:00:00Z")]
    [InlineData("2026-12-04T20:00:00Z", ReleaseCadence.Week, "2026-11-30T00:00:00Z")]
    [InlineData("2026-12-04T20:00:00Z", ReleaseCadence.Day, "2026-12-04T00:00:00Z")]
    [InlineData("2026-11-30T00:00:00Z", ReleaseCadence.Week, "2026-11-30T00:00:00Z")]
    public void ReleasePointsOnTheCalendar(string now, ReleaseCadence cadence, string start)
    {
        Assert.Equal(DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture),
            ReleaseCalendar.PeriodStart(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture), cadence));
    }

    [Fact]
    public void ReleaseDue_WhenNoneSinceThePeriodBegan()
    {
        var now = new DateTimeOffset(2026, 12, 4, 20, 0, 0, TimeSpan.Zero);

        Assert.True(ReleaseCalendar.IsDue(null, now, ReleaseCadence.Month));
        Assert.True(ReleaseCalendar.IsDue(new DateTimeOffset(2026, 11, 30, 23, 0, 0, TimeSpan.Zero), now, ReleaseCadence.Month));
        Assert.False(ReleaseCalendar.IsDue(new DateTimeOffset(2026, 12, 1, 0, 5, 0, TimeSpan.Zero), now, ReleaseCadence.Month));
    }
}
