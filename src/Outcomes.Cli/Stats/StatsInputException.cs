namespace Outcomes.Cli.Stats;

/// <summary>
/// Input a statistic cannot be computed from: a missing file, a missing column, a bad cell, inconsistent options.
/// </summary>
/// <remarks>
/// The first bad input ends the run, so this carries its message from wherever it is found to the one place
/// (<see cref="StatsAction"/>) that writes it to standard error and exits with <see cref="StatsAction.InputError"/>.
/// </remarks>
internal sealed class StatsInputException(string message) : Exception(message);
