using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Disclosure;
using Outcomes.Domain.Outcomes;
using Outcomes.Service.CourseOutcomes;
using Outcomes.Service.Disclosure;
using Outcomes.Service.Security;

namespace Outcomes.Service.Cohorts;

/// Why a report was not answered; the edges (API, dashboard) say it in their own terms (CohortReportsApi.StatusOf).
public enum ReportRefusal
{
    /// The request breaks a rule (a parameter out of range, a combination that makes no sense).
    Invalid,
    /// A clinic the request names is not among the caller's clinics (OutOfScopeClinic names it).
    OutOfScope,
    /// The read replica has not replayed what the request needs yet; asking again shortly will do.
    NotReplayedYet,
    /// No release point has been cut yet for the protected tier.
    NoRelease,
    /// The caller has been answered as many distinct protected cohorts at this release as it may be
    /// (DifferencingLockOut); the next release renews it.
    BudgetUsed,
    /// The token names no subject or client, so the lock-out could not tell its questions from anyone else's.
    Anonymous,
}

/// A report request's answer: the published (suppressed) report, or why it was refused and the reason in words.
/// <param name="ReplicaPosition">When read from a streaming replica: the event-store position it had replayed.</param>
public sealed record ReportAnswer(PublishedCohortReport? Report, ReportRefusal? Refusal, string? Problem, long? ReplicaPosition = null,
    string? OutOfScopeClinic = null)
{
    public static ReportAnswer Refused(ReportRefusal refusal, string problem) => new(null, refusal, problem);

    public static ReportAnswer OutOfScope(string clinicId) =>
        new(null, ReportRefusal.OutOfScope, $"clinicId: '{clinicId}' is outside the caller's clinic scope", OutOfScopeClinic: clinicId);
}

/// Computes cohort reports for the API and the dashboard alike, published in the tier of who asks about whose data
/// (ReportAudience). The caller's clinic scope is checked here, once, for every caller. Own clinics: the latest position
/// reads the stored outcome read model; an earlier position reads the caller's courses as of it (OutcomeReadModel.ReadAsOf:
/// the rows of courses unchanged since, the others replayed from their events, streamed one course at a time). Both follow one rule (CohortMember.AtPosition: every
/// fact stored at the position counts, the store's time at the position decides whether an induction window has
/// elapsed), so both give the same report for the same position. Protected: only at a release point, from its snapshot.
public sealed class CohortReportService(
    OutcomeReadModel readModel, OutcomeReadModelStatus status,
    OutcomeDefinitions definitions, Releases releases, DifferencingLockOut lockOut, Hosting.OutcomesMetrics metrics, Hosting.ReportReads reads)
{
    private static readonly PerturbationParameters Perturbation = new();

    public async Task<ReportAnswer> Run(ReportDefinition definition, ClinicScope scope, ReportAudience audience, string? clinicId,
        long? asOfPosition, CancellationToken cancellationToken)
    {
        using var activity = Hosting.OutcomesMetrics.Activities.StartActivity("cohort report");
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var (answer, source) = await Answer(definition, scope, audience, clinicId, asOfPosition, cancellationToken);
        activity?.SetTag("outcomes.report.source", source);
        var outcome = answer.Refusal is { } refusal ? refusal.ToString() : "answered";
        activity?.SetTag("outcomes.report.status", outcome);
        metrics.Reports.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds,
            new("tier", audience.Tier.ToString()), new("source", source), new("status", outcome),
            new("database", reads.IsReplica ? "replica" : "primary"));
        return answer;
    }

    private async Task<(ReportAnswer Answer, string Source)> Answer(ReportDefinition definition, ClinicScope scope, ReportAudience audience,
        string? clinicId, long? asOfPosition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(audience);
        if (audience.Network && clinicId is not null)
            return (ReportAnswer.Refused(ReportRefusal.Invalid,
                "clinicId: a network report covers every clinic; leave clinicId out or ask without coverage=network"), Refused);
        if (!audience.Network && clinicId is not null && !scope.Includes(clinicId))
            return (ReportAnswer.OutOfScope(clinicId), Refused);
        if (!audience.Network && definition.Filter?.Clinic?.FirstOrDefault(clinic => !scope.Includes(clinic)) is { } outside)
            return (ReportAnswer.OutOfScope(outside), Refused);
        if (asOfPosition is < 0)
            return (ReportAnswer.Refused(ReportRefusal.Invalid, "asOfPosition: must be 0 or greater"), Refused);

        var clinics = audience.Network ? null : clinicId is not null ? [clinicId] : scope.AllClinics ? null : scope.Clinics;
        if (audience.Tier == DisclosureTier.Protected)
        {
            // A caller who reads every clinic exactly has no one to learn about: its questions are not remembered. Any
            // other is remembered by name, and one without a name is not answered (its questions could not be told apart).
            var subject = audience.SeesOwnClinicsExactly && scope.AllClinics ? null : audience.Subject;
            if (subject is { Length: 0 })
                return (ReportAnswer.Refused(ReportRefusal.Anonymous,
                    "The token names no subject (sub) or client: protected figures are answered only to a named asker"), Refused);
            return (await Protected(WithoutCallersKnownClinics(definition, scope, audience), clinics, asOfPosition, subject, cancellationToken), "release");
        }
        PositionedMembers members;
        string source;
        var readModelCurrent = await status.IsCurrentAsync(cancellationToken);
        if (asOfPosition is null && readModelCurrent)
        {
            members = await readModel.ReadLatest(clinics, cancellationToken, reads.Source);
            source = "read-model";
        }
        else
        {
            // "Beyond the latest position" is the primary's to say; a replica only decides whether it can answer yet.
            long position;
            if (asOfPosition is { } asked)
            {
                var latest = await reads.PrimaryPositionAsync(cancellationToken);
                if (asked > latest)
                    return (ReportAnswer.Refused(ReportRefusal.Invalid, $"asOfPosition: must not be beyond the latest position ({latest})"), Refused);
                var replica = await reads.WaitForPositionAsync(asked, cancellationToken);
                if (!replica.Reached)
                    return (NotReplayedYet(asked, replica.Replayed), Refused);
                position = asked;
            }
            else
            {
                position = await reads.SourcePositionAsync(cancellationToken);
            }
            members = await readModel.ReadAsOf(position, clinics, readModelCurrent, cancellationToken, reads.Source);
            source = "replay";
        }

        using (members)
        {
            return (new ReportAnswer(ReportDisclosure.OwnClinics(members.Members, definition,
                new ReportProvenance(definitions.Id, definitions.Version, members.Position, members.StoreTime)), null, null,
                reads.IsReplica ? members.Position : null), source);
        }
    }

    /// A network report never includes the courses of the caller's own clinics (those in its token). It knows their
    /// values: a quality lead reads them exactly, a researcher exports them with exact outcome columns. So it could pad
    /// a network cohort with them (its own courses of some age band, plus one other clinic's course) and read the other
    /// course's values off the difference, with certainty where a count's "0 stays 0". The report's filter says so
    /// (excludeClinic); a caller with every clinic in its scope has no one to learn about. A protected report over the
    /// caller's own clinics (a researcher's, or any with the own tier switched off) keeps them: it is about them.
    private static ReportDefinition WithoutCallersKnownClinics(ReportDefinition definition, ClinicScope scope, ReportAudience audience)
    {
        if (!audience.Network || scope.AllClinics || scope.Clinics.Count == 0) return definition;
        var filter = definition.Filter ?? CohortFilter.All;
        var excluded = (filter.ExcludeClinic ?? []).Union(scope.Clinics.Order(StringComparer.Ordinal), StringComparer.Ordinal).ToList();
        return definition with { Filter = filter with { ExcludeClinic = excluded } };
    }

    /// A replica behind the asked position answers neither from its older state nor by silently asking the primary.
    private static ReportAnswer NotReplayedYet(long asked, long replayed) => new(null, ReportRefusal.NotReplayedYet,
        $"asOfPosition: the read replica has replayed up to position {replayed}, not yet {asked}; ask again shortly, or ask as of " +
        $"{replayed} or earlier", replayed);

    private const string Refused = "refused";

    /// The protected tier answers at release points only: the latest release, or the release at asOfPosition.
    private async Task<ReportAnswer> Protected(ReportDefinition definition, IReadOnlyCollection<string>? clinics, long? asOfPosition,
        string? subject, CancellationToken cancellationToken)
    {
        if (await releases.FindAsync(asOfPosition, cancellationToken) is not var (release, storeTime))
            return asOfPosition is { } p
                ? ReportAnswer.Refused(ReportRefusal.Invalid,
                    $"asOfPosition: protected figures are answered only at release points (GET /api/v1/releases); {p} is not one")
                : ReportAnswer.Refused(ReportRefusal.NoRelease,
                    "No release point has been cut yet; protected figures are answered only at release points (GET /api/v1/releases)");
        // The release is found on the primary (a replica's newest release may be an older one); its snapshot is read
        // from the replica once the replica has it.
        var onReplica = await reads.WaitForRowAsync(releases.ReleaseRow, release.Id, cancellationToken);
        if (!onReplica.Reached)
            return new ReportAnswer(null, ReportRefusal.NotReplayedYet, $"The read replica has not yet replayed release {release.Id} (at position " +
                $"{release.EventStorePosition}; it has replayed up to {onReplica.Replayed}); ask again shortly", onReplica.Replayed);
        using var members = await releases.ReadAsync(release, storeTime, clinics, cancellationToken, reads.Source);
        var keys = await releases.RecordKeysAsync(cancellationToken);
        var provenance = new ReportProvenance(definitions.Id, definitions.Version, members.Position, members.StoreTime);
        var computed = ReportDisclosure.ComputeProtected(members.Members, definition, provenance, keys, Perturbation, members.RecordKeys);
        IReadOnlySet<int>? lockedOut = null;
        if (subject is not null)
        {
            var decision = await lockOut.DecideAsync(subject, release, computed.Signatures, cancellationToken);
            if (decision.BudgetUsed)
                return ReportAnswer.Refused(ReportRefusal.BudgetUsed, $"You have been answered {decision.Budget} distinct protected cohorts at " +
                    $"release {release.Id}, the most one person may be (Disclosure:ProtectedCohortsPerRelease); cohorts already answered can be " +
                    "asked again, new ones from the next release");
            lockedOut = decision.Withheld;
        }
        return new ReportAnswer(ReportDisclosure.Protected(computed, release, lockedOut), null, null, reads.IsReplica ? onReplica.Replayed : null);
    }
}
