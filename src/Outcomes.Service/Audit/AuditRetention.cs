using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Outcomes.Service.Audit;

/// How long the access audit keeps its records. HIPAA asks covered entities to keep security documentation six years
/// (45 CFR 164.316(b)(2)), hence the default; a deployment may keep them longer or, where its rules allow, shorter.
public sealed class AuditOptions
{
    public const string Section = "Audit";

    [Range(30, 36500, ErrorMessage = "Audit:RetainDays must be between 30 and 36500 days")]
    public int RetainDays { get; set; } = 2192;

    /// How often the retention job looks for expired records.
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00", ErrorMessage = "Audit:SweepEvery must be between 1 minute and 7 days")]
    public TimeSpan SweepEvery { get; set; } = TimeSpan.FromHours(6);
}

/// Creates the audit table at start-up, then deletes records older than the retention period now and then.
internal sealed class AuditRetention(AccessAuditLog log, IOptions<AuditOptions> options, TimeProvider clock, ILogger<AuditRetention> logger)
    : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Before the first request: a read must never find the table missing.
        await log.CreateAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepEvery, clock);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Access-audit retention sweep failed; retrying in {Every}", options.Value.SweepEvery);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    internal async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var cutoff = clock.GetUtcNow().AddDays(-options.Value.RetainDays);
        var deleted = await log.DeleteOlderThanAsync(cutoff, cancellationToken);
        if (deleted > 0)
            logger.LogInformation("Access audit: {Deleted} records older than {Cutoff:O} deleted (Audit:RetainDays {Days})", deleted, cutoff, options.Value.RetainDays);
        return deleted;
    }
}
