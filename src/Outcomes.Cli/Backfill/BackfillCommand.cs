using System.CommandLine;
using Outcomes.Cli.Loading;

namespace Outcomes.Cli.Backfill;

/// <summary>
/// <c>outcomes backfill FILE</c>: a new clinic's history, sent like <c>outcomes load</c> (the same file, parts, resume and
/// answer) to the service's backfill, <c>POST /api/v1/ingestion/backfill</c> (role admin), which writes it with binary COPY.
/// </summary>
public static class BackfillCommand
{
    public const string BackfillPath = "api/v1/ingestion/backfill";

    /// <summary>About 10-25 seconds of the backfill's work per request (20,000-50,000 facts/s): no proxy times out, and
    /// each part boundary sends at most one course through the normal path.</summary>
    public const int DefaultLinesPerPart = 500_000;

    public static Command Create() =>
        LoadCommand.Create("backfill",
            "Backfill a clinic's history (an NDJSON file of contract v1 messages, as for load) through the service's binary-COPY path; " +
            "courses already stored go through the normal path", BackfillPath, DefaultLinesPerPart, "admin");
}
