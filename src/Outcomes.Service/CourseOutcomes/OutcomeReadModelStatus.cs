namespace Outcomes.Service.CourseOutcomes;

/// Whether reports may read the outcome read model. Until it is known to be current (checked at start-up, or
/// rebuilt), reports recompute from the events: slower, never wrong.
public sealed class OutcomeReadModelStatus
{
    /// How long a report or release waits for the start-up check before it recomputes from the events. The check counts
    /// the streams and the read model's rows: about a second at 300,000 courses, a few at the L tier's 3 M; replaying the
    /// events instead takes minutes there (docs/scaling.md, "The L tier").
    public static readonly TimeSpan CheckWait = TimeSpan.FromSeconds(60);

    private readonly TaskCompletionSource _known = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _current;

    /// The last answer, without waiting for the first (false until the check has answered).
    public bool IsCurrent => _current;

    /// Whether the read model is current, once the start-up check (or a rebuild) has answered, waiting for it at most
    /// CheckWait: a request in the first seconds after a start reads the read model as it would a minute later, rather
    /// than replaying the whole event store because the check had not finished.
    public async ValueTask<bool> IsCurrentAsync(CancellationToken cancellationToken)
    {
        if (!_known.Task.IsCompleted)
        {
            try
            {
                await _known.Task.WaitAsync(CheckWait, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // No answer yet (a slow check, or a process that never checks): recompute, as before the check.
            }
        }
        return _current;
    }

    internal void Set(bool current)
    {
        _current = current;
        _known.TrySetResult();
    }

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
