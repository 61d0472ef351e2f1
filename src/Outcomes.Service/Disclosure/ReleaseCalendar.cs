namespace Outcomes.Service.Disclosure;

/// The calendar of release points: the protected tier answers only as of the latest one, so a fact stored between
/// two points cannot be isolated by asking before and after it.
public static class ReleaseCalendar
{
    /// The start (UTC) of the period that contains <paramref name="now"/>.
    public static DateTimeOffset PeriodStart(DateTimeOffset now, ReleaseCadence cadence)
    {
        var utc = now.ToUniversalTime();
        var day = new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero);
        return cadence switch
        {
            ReleaseCadence.Month => new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero),
            ReleaseCadence.Week => day.AddDays(-(((int)utc.DayOfWeek + 6) % 7)),
            _ => day,
        };
    }

    /// A release is due when none was cut since the current period began.
    public static bool IsDue(DateTimeOffset? lastCut, DateTimeOffset now, ReleaseCadence cadence) =>
        lastCut is not { } cut || cut < PeriodStart(now, cadence);
}
