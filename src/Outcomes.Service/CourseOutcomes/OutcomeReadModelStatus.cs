namespace Outcomes.Service.CourseOutcomes;

/// Whether reports may read the outcome read model. Until it is known to be current (checked at start-up, or
/// rebuilt), reports recompute from the events: slower, never wrong.
public sealed class OutcomeReadModelStatus
{
    private volatile bool _current;

    public bool IsCurrent => _current;

    internal void Set(bool current) => _current = current;

    /// Checks the read model against the event store and records the answer: for a process that does not run the
    /// start-up check (a benchmark, a command).
    public async Task<OutcomeReadModelState> Check(OutcomeReadModel readModel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(readModel);
        var state = await readModel.State(cancellationToken);
        Set(state.IsCurrent);
        return state;
    }
}

/// At start-up: checks the outcome read model against the event store and, when it is behind (first start after
/// an upgrade, new definitions or row layout), rebuilds it in the background while the service already ingests.
public sealed class OutcomeReadModelStartup(OutcomeReadModel readModel, OutcomeReadModelStatus status, ILogger<OutcomeReadModelStartup> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var state = await status.Check(readModel, stoppingToken);
        if (state.IsCurrent) return;
        logger.LogWarning("Outcome read model is behind the event store ({Current} of {Courses} courses current, {Rows} rows); " +
            "rebuilding in the background, reports recompute from events until it is done", state.CurrentRows, state.Courses, state.Rows);
        var progress = new Progress<RebuildProgress>(p => logger.LogInformation(
            "Rebuilding outcome read model: {Done} of {Total} courses", p.CoursesDone, p.CoursesTotal));
        await readModel.Rebuild(progress, stoppingToken);
        status.Set(true);
    }
}
