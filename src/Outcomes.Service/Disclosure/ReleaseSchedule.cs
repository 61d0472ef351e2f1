using Microsoft.Extensions.Options;

namespace Outcomes.Service.Disclosure;

/// Cuts a release when the calendar says one is due (and at first start, so the protected tier has one to answer
/// from); retries at the next check while the read model is still being rebuilt.
public sealed class ReleaseSchedule(Releases releases, IOptions<DisclosureOptions> options, TimeProvider clock, ILogger<ReleaseSchedule> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ScheduleCheckInterval, clock);
        do
        {
            try
            {
                var latest = (await releases.ListAsync(stoppingToken)).FirstOrDefault(r => r.Answers);
                var now = clock.GetUtcNow();
                if (ReleaseCalendar.IsDue(latest?.CutAt, now, options.Value.ReleaseEvery))
                    await releases.CutAsync(now, stoppingToken);
            }
            catch (ReleaseNotPossibleException e)
            {
                logger.LogInformation("Release not cut yet: {Reason}", e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Release check failed; trying again at the next check");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
