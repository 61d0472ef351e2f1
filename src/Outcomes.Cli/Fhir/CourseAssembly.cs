using Outcomes.Contracts;

namespace Outcomes.Cli.Fhir;

/// <summary>
/// The conversion's fixed inputs: the clinic, its key, its code lists, the Medication resources read, and now; and the
/// ledger of enrolments and ends sent before (<c>--state</c>), when the clinic keeps one.
/// </summary>
public sealed record AssemblyContext(string ClinicId, Pseudonyms Pseudonyms, FhirMappingOptions Options, MedicationCatalog Medications,
    ConversionReport Report, DateTimeOffset Now, CourseLedger? Ledger = null);

/// <summary>
/// Assembles one patient's facts from what was extracted of their resources: sessions, PHQ-9 completions (one per
/// completion, however many resources carry it), the enrolment and the course end. Pure. Every fact it returns
/// passes contract v1's rules; anything that would not is skipped with a reason instead.
/// </summary>
public static class CourseAssembly
{
    /// <summary>Two records of one patient's PHQ-9 this close with the same scores are the same completion.</summary>
    public static readonly TimeSpan SameCompletion = TimeSpan.FromSeconds(60);

    public const int AdultAge = 18;


    public static IReadOnlyList<IClinicEvent> Assemble(IEnumerable<PatientExtract> extracts, AssemblyContext context)
    {
        var report = context.Report;
        var earlier = new Dictionary<string, string?>(StringComparer.Ordinal);
        var latest = Latest(extracts, report, earlier);
        var patient = latest.OfType<PatientRecord>().FirstOrDefault();
        var others = latest.Where(e => e is not PatientRecord).ToList();
        if (patient is null)
        {
            SkipAll(others, "the subject's Patient resource is not in the input", report);
            return [];
        }
        report.Patients++;
        var key = patient.Key;

        var sessionRecords = latest.OfType<SessionRecord>().ToList();
        var retractionRecords = latest.OfType<RetractionRecord>().ToList();
        // Procedures an administration was given in: the administration is the session, the Procedure adds nothing.
        var given = sessionRecords.SelectMany(s => s.PartOf ?? []).Concat(retractionRecords.SelectMany(r => r.PartOf ?? []))
            .ToHashSet(StringComparer.Ordinal);
        var sessions = Sessions(sessionRecords, key, context);
        sessions.AddRange(ProcedureSessions(latest.OfType<ProcedureRecord>(), given, key, context));
        var retractions = Retractions(retractionRecords, given, earlier, key, context);
        if (sessions.Count == 0)
        {
            // A patient whose sessions were all entered in error was the service's business: their retractions still go,
            // those of their PHQ-9s too (assembled without reporting: nothing else of this patient is sent).
            if (retractions.Any(r => r.Session))
            {
                var phq9 = Phq9(latest.OfType<Phq9Record>().ToList(), earlier, key, context with { Report = new ConversionReport() });
                return Valid([.. retractions.Select(r => r.Fact), .. phq9.OfType<FactRetracted>()], context);
            }
            SkipAll(others.Where(e => e is not (SessionRecord or RetractionRecord or ProcedureRecord)), "patient has no ketamine or esketamine session in the input", report);
            SkipAll(retractions.Select(r => r.Record), "patient has no ketamine or esketamine session in the input", report);
            return [];
        }
        var first = sessions.MinBy(s => (s.OccurredAt.UtcDateTime, s.EventId))!;

        var age = AgeAt(patient.BirthDate, first.OccurredAt, report);
        if (age is < AdultAge)
        {
            SkipAll(others, "patient under 18 at the first session (the contract's age bands start at 18)", report);
            return [];
        }

        var facts = new List<IClinicEvent>(sessions);
        facts.AddRange(Phq9(latest.OfType<Phq9Record>().ToList(), earlier, key, context));
        var episode = CourseEpisode(latest.OfType<EpisodeRecord>(), first.OccurredAt);
        if (Enrolment(patient, age, latest.OfType<ConditionRecord>(), episode, first, context) is { } enrolment)
            facts.AddRange(Ledgered(enrolment, (f, id) => f with { EventId = id }, key, context));
        if (Ending(episode, key, context) is { } ending) facts.AddRange(Ledgered(ending, (f, id) => f with { EventId = id }, key, context));
        facts.AddRange(retractions.Select(r => r.Fact));
        return Valid(facts, context);
    }

    /// <summary>
    /// The facts in the order they are written: by time, retractions last, so that a fact and its retraction in one
    /// file reach the service in that order (the service keeps a retraction only of a fact it holds).
    /// </summary>
    private static List<IClinicEvent> Valid(IEnumerable<IClinicEvent> facts, AssemblyContext context)
    {
        var report = context.Report;
        var valid = new List<IClinicEvent>();
        foreach (var fact in facts.OrderBy(f => f is FactRetracted).ThenBy(f => f.OccurredAt.UtcDateTime).ThenBy(f => f.EventId))
        {
            var type = MessageType(fact);
            if (fact.OccurredAt < ContractLimits.EarliestFact) report.Skip(type, $"occurredAt before {ContractLimits.EarliestFactYear}");
            else if (fact.OccurredAt > context.Now + ContractLimits.AllowedClockSkew) report.Skip(type, "occurredAt in the future");
            else
            {
                report.Fact(type);
                valid.Add(fact);
            }
        }
        return valid;
    }

    public static string MessageType(IClinicEvent fact) => MessageType(fact.GetType());

    public static string MessageType(Type contract) => WireContract.MessageTypes.Single(p => p.Value == contract).Key;

    /// <summary>
    /// One record per resource: an export overlapping another, or a file given twice, carries the same resource
    /// again; a later version replaces an earlier one.
    /// </summary>
    private static List<PatientExtract> Latest(IEnumerable<PatientExtract> extracts, ConversionReport report, Dictionary<string, string?> earlier)
    {
        var bySource = new Dictionary<string, PatientExtract>(StringComparer.Ordinal);
        void Earlier(string source, string? version)
        {
            if (!earlier.TryGetValue(source, out var held) || CompareVersions(version, held) > 0) earlier[source] = version;
        }
        foreach (var e in extracts)
        {
            if (!bySource.TryGetValue(e.Source, out var kept)) { bySource[e.Source] = e; continue; }
            var type = FhirReferences.TypeOf(e.Source);
            if (CompareVersions(e.Version, kept.Version) > 0)
            {
                bySource[e.Source] = e;
                Earlier(e.Source, kept.Version);
                report.Skip(type, "an earlier version of a resource also read");
            }
            else if (CompareVersions(e.Version, kept.Version) < 0)
            {
                Earlier(e.Source, e.Version);
                report.Skip(type, "an earlier version of a resource also read");
            }
            else report.Skip(type, "the same resource version read twice");
        }
        return bySource.Values.OrderBy(e => e.Source, StringComparer.Ordinal).ToList();
    }

    private static int CompareVersions(string? a, string? b) =>
        long.TryParse(a, out var x) && long.TryParse(b, out var y) ? x.CompareTo(y) : string.CompareOrdinal(a, b);

    private static void SkipAll(IEnumerable<PatientExtract> extracts, string reason, ConversionReport report)
    {
        foreach (var e in extracts) report.Skip(FhirReferences.TypeOf(e.Source), reason);
    }

    // ---------------------------------------------------------------- sessions

    private static List<TreatmentSessionGiven> Sessions(IEnumerable<SessionRecord> records, string key, AssemblyContext context)
    {
        var report = context.Report;
        var sessions = new List<TreatmentSessionGiven>();
        foreach (var s in records)
        {
            var type = FhirReferences.TypeOf(s.Source);
            var kind = s.MedicationReference is { } reference ? context.Medications.KindOf(reference) : context.Options.KindOf(s.MedicationCodes);
            if (kind is null)
            {
                report.Skip(type, s.MedicationReference is not null && !context.Medications.Known(s.MedicationReference)
                    ? "referenced Medication not in the input"
                    : "medication is not ketamine or esketamine (RxNorm lists)");
                continue;
            }
            if (s.Problem is not null || s.Dose is null || s.DoseUnit is null)
            {
                report.Skip(type, s.Problem ?? "dose missing");
                continue;
            }
            var route = s.Route ?? (kind == MedicationKind.Esketamine ? Route.Intranasal : null);
            if (route is null)
            {
                report.Skip(type, "route missing");
                continue;
            }
            if (s.Route is null) report.Flag("esketamine without a route: intranasal (its only licensed route)");
            if (ModalityOf(kind.Value, route.Value) is not { } modality)
            {
                report.Skip(type, $"{(kind == MedicationKind.Esketamine ? "esketamine" : "ketamine")} by route {Wire(route.Value)} has no contract modality");
                continue;
            }
            if (DoseProblem(s.Dose.Value, s.DoseUnit.Value) is { } doseProblem)
            {
                report.Skip(type, doseProblem);
                continue;
            }
            sessions.Add(new TreatmentSessionGiven(FactId(s.Source, s.Version, SessionFact, context), context.ClinicId, key, s.At, modality,
                s.Dose.Value, s.DoseUnit.Value, route.Value));
        }
        return sessions;
    }

    /// <summary>
    /// Procedures recorded without an administration: a session only with the protocol the clinic declared for the
    /// Procedure's code (FHIR's Procedure has no dose), else skipped naming that setting.
    /// </summary>
    private static List<TreatmentSessionGiven> ProcedureSessions(IEnumerable<ProcedureRecord> records, HashSet<string> given, string key,
        AssemblyContext context)
    {
        var report = context.Report;
        var sessions = new List<TreatmentSessionGiven>();
        foreach (var p in records.Where(p => !given.Contains(p.Source)))
        {
            if (context.Options.ProtocolOf(p.Codes) is not { } protocol)
            {
                report.Skip("Procedure", "no administration and no dose: a Procedure is a session only when the mapping file's procedureProtocols " +
                    "declares the protocol of its code");
                continue;
            }
            if (context.Options.KindOf([.. p.Codes, .. p.UsedCodes]) is { } kind && kind != KindOf(protocol.Modality))
            {
                report.Skip("Procedure", "its codes name another medication than its procedureProtocols modality");
                continue;
            }
            report.Flag("session from a Procedure: modality, dose and route from the clinic's procedureProtocols");
            sessions.Add(new TreatmentSessionGiven(FactId(p.Source, p.Version, SessionFact, context), context.ClinicId, key, p.At, protocol.Modality,
                protocol.Dose, protocol.DoseUnit, protocol.Route));
        }
        return sessions;
    }

    private static readonly string SessionFact = MessageType(typeof(TreatmentSessionGiven));
    private static readonly string Phq9Fact = MessageType(typeof(Phq9Completed));

    /// <summary>A PHQ-9's or a session's event id: from its resource, that resource's version and the fact type.</summary>
    private static Guid FactId(string source, string? version, string fact, AssemblyContext context) =>
        context.Pseudonyms.EventId(context.ClinicId, $"{source}|{version}|{fact}");

    /// <summary>The contract modality of a medication by a route; null when the contract has none (racemic ketamine by nose...).</summary>
    public static Modality? ModalityOf(MedicationKind kind, Route route) => (kind, route) switch
    {
        (MedicationKind.Esketamine, Route.Intranasal) => Modality.IntranasalEsketamine,
        (MedicationKind.Ketamine, Route.Intravenous) => Modality.IvKetamine,
        (MedicationKind.Ketamine, Route.Intramuscular) => Modality.ImKetamine,
        (MedicationKind.Ketamine, Route.Oral or Route.Sublingual) => Modality.OralKetamine,
        _ => null,
    };

    /// <summary>The medication of a modality the bridge produces; null for ketamine-assisted psychotherapy, which FHIR cannot tell.</summary>
    public static MedicationKind? KindOf(Modality modality) => modality switch
    {
        Modality.IntranasalEsketamine => MedicationKind.Esketamine,
        Modality.IvKetamine or Modality.ImKetamine or Modality.OralKetamine => MedicationKind.Ketamine,
        _ => null,
    };

    /// <summary>The contract's dose rule (greater than 0, at most 1000 mg or 5 mg/kg), or null when the dose keeps it.</summary>
    public static string? DoseProblem(decimal dose, DoseUnit unit)
    {
        decimal max = unit == DoseUnit.Milligrams ? ContractLimits.MaxDoseMilligrams : ContractLimits.MaxDoseMilligramsPerKilogram;
        return dose <= 0 || dose > max ? $"dose must be greater than 0 and at most {max} {Wire(unit)}" : null;
    }

    // ---------------------------------------------------------------- entered-in-error

    private sealed record Retraction(RetractionRecord Record, FactRetracted Fact, bool Session);

    /// <summary>
    /// A session or episode resource whose latest version is entered-in-error retracts the fact its version before
    /// produced (<see cref="EarlierFactName"/>). The course end's id has no version (one end per episode). A Procedure
    /// produced a session only when no administration was part of it and the clinic declared its protocol.
    /// </summary>
    private static List<Retraction> Retractions(IEnumerable<RetractionRecord> records, HashSet<string> given, Dictionary<string, string?> earlier,
        string key, AssemblyContext context)
    {
        var report = context.Report;
        var retractions = new List<Retraction>();
        foreach (var r in records)
        {
            var type = FhirReferences.TypeOf(r.Source);
            var session = r.Fact == SessionFact;
            if (type == "Procedure")
            {
                var gaveNoSession = given.Contains(r.Source) ? "entered-in-error: an administration was part of it, so it gave no session"
                    : context.Options.ProtocolOf(r.MedicationCodes) is null ? "entered-in-error: no procedureProtocols entry for its code, so it gave no session"
                    : null;
                if (gaveNoSession is not null)
                {
                    report.Skip(type, gaveNoSession);
                    continue;
                }
            }
            else if (session && (r.MedicationReference is { } reference ? context.Medications.KindOf(reference) : context.Options.KindOf(r.MedicationCodes)) is null)
            {
                report.Skip(type, "entered-in-error: medication is not ketamine or esketamine (RxNorm lists)");
                continue;
            }
            string? name;
            if (r.Fact == MessageType(typeof(CourseEnded))) name = $"{r.Source}|{r.Fact}";
            else if ((name = EarlierFactName(r.Source, r.Version, r.Fact, earlier, report)) is null) continue;
            retractions.Add(new Retraction(r, Retract(context.Pseudonyms.EventId(context.ClinicId, name), key, r.At, context), session));
        }
        return retractions;
    }

    /// <summary>
    /// The name of the fact an entered-in-error resource's version before produced. Event ids are derived from resource,
    /// version and fact, so it is that of the version before: the highest earlier version in the input, else versionId
    /// n-1, else (no versionId, as the earlier run saw it too) the unversioned one. An entered-in-error version 1, or a
    /// versionId that is no number with no earlier version in the input, names no fact that can be found: null, skipped.
    /// </summary>
    private static string? EarlierFactName(string source, string? version, string fact, Dictionary<string, string?> earlier, ConversionReport report)
    {
        if (earlier.TryGetValue(source, out var before)) return $"{source}|{before}|{fact}";
        if (version is null) return $"{source}||{fact}";
        if (long.TryParse(version, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 1)
            return $"{source}|{(n - 1).ToString(System.Globalization.CultureInfo.InvariantCulture)}|{fact}";
        report.Skip(FhirReferences.TypeOf(source), version == "1"
            ? "entered-in-error at version 1: no earlier version produced a fact"
            : "entered-in-error with a versionId that is no number and no earlier version in the input: the retracted fact cannot be named");
        return null;
    }

    /// <summary>
    /// The retraction of a stored fact. Its id comes from the retracted id alone, so whichever resource of a completion
    /// is marked first, and in whichever export, the same retraction is sent and the service stores it once.
    /// </summary>
    private static FactRetracted Retract(Guid retracted, string key, DateTimeOffset at, AssemblyContext context) =>
        new(context.Pseudonyms.EventId(context.ClinicId, $"{retracted:D}|{MessageType(typeof(FactRetracted))}"), context.ClinicId, key, at, retracted);

    // ---------------------------------------------------------------- PHQ-9

    /// <summary>
    /// One PHQ-9 completion and every resource that described it. Lead names its fact (its resource and version); Parts
    /// are all the records merged into it (panel members, derived Observations, same-scores duplicates).
    /// </summary>
    private sealed record Completion(Phq9Record Lead, Phq9Shape Shape, DateTimeOffset At, int?[] Items, int? Total, List<Phq9Record> Parts)
    {
        public string Type => FhirReferences.TypeOf(Lead.Source);
    }

    /// <summary>
    /// The patient's PHQ-9 completions, one per completion however many resources carry it, each a fact, or a retraction
    /// when any of its resources is entered-in-error. Marked records are grouped as if they stood, so the completion
    /// is the one the earlier conversion sent under the same lead resource's id, and none of its other resources
    /// (a panel derived from the marked response, a duplicate within 60 s) comes back as a new fact.
    /// </summary>
    private static IEnumerable<IClinicEvent> Phq9(List<Phq9Record> records, Dictionary<string, string?> earlier, string key, AssemblyContext context)
    {
        var report = context.Report;
        var bySource = records.ToDictionary(r => r.Source, StringComparer.Ordinal);
        var consumed = new HashSet<string>(StringComparer.Ordinal);
        var responses = records.Where(r => r.Shape == Phq9Shape.QuestionnaireResponse)
            .ToDictionary(r => r.Source, r => new Completion(r, r.Shape, r.At, r.Items, r.Total, [r]), StringComparer.Ordinal);

        // A panel or an item derived from a QuestionnaireResponse in the input repeats its answers.
        foreach (var r in records.Where(r => r.Shape != Phq9Shape.QuestionnaireResponse))
        {
            if (r.DerivedFrom.FirstOrDefault(responses.ContainsKey) is not { } response) continue;
            var parts = responses[response].Parts;
            parts.Add(r);
            consumed.Add(r.Source);
            foreach (var member in r.Members.Where(bySource.ContainsKey).Where(consumed.Add)) parts.Add(bySource[member]);
            report.Skip("Observation", "same completion as the QuestionnaireResponse it is derived from");
        }

        var completions = new List<Completion>(responses.Values);
        foreach (var panel in records.Where(r => r.Shape == Phq9Shape.Panel && !consumed.Contains(r.Source)))
        {
            var items = (int?[])panel.Items.Clone();
            var total = panel.Total;
            var parts = new List<Phq9Record> { panel };
            foreach (var member in panel.Members)
            {
                // A member missing from the input (or skipped, like 69722-7) leaves its item unanswered; the
                // completion's own rules below decide what that costs.
                if (!bySource.TryGetValue(member, out var m)) continue;
                consumed.Add(member);
                parts.Add(m);
                if (m.Shape == Phq9Shape.Total) total ??= m.Total;
                for (var i = 0; i < items.Length; i++) items[i] ??= m.Items[i];
            }
            completions.Add(new Completion(panel, Phq9Shape.Panel, panel.At, items, total, parts));
        }
        // Item and total Observations outside any panel: one completion per patient and time.
        foreach (var group in records.Where(r => r.Shape is Phq9Shape.Item or Phq9Shape.Total && !consumed.Contains(r.Source))
                     .GroupBy(r => r.At.UtcDateTime).OrderBy(g => g.Key))
        {
            var parts = group.OrderBy(r => r.Source, StringComparer.Ordinal).ToList();
            var items = new int?[Phq9Loinc.Items.Count];
            int? total = null;
            foreach (var part in parts)
            {
                total ??= part.Total;
                for (var i = 0; i < items.Length; i++)
                {
                    if (part.Items[i] is null) continue;
                    if (items[i] is not null && items[i] != part.Items[i])
                        report.Flag("PHQ-9 item sent twice at one time with different answers: the first resource's kept");
                    items[i] ??= part.Items[i];
                }
            }
            completions.Add(new Completion(parts[0], parts.Count == 1 ? parts[0].Shape : Phq9Shape.Item, parts[0].At, items, total, parts));
        }

        var kept = new List<Completion>();
        foreach (var c in completions.OrderBy(c => c.Shape).ThenBy(c => c.Lead.Source, StringComparer.Ordinal))
        {
            if (kept.FirstOrDefault(k => SameScores(k, c) && (k.At - c.At).Duration() <= SameCompletion) is { } same)
            {
                same.Parts.AddRange(c.Parts);
                report.Skip(c.Type, "same completion as another resource read (same patient, time and scores)");
                continue;
            }
            kept.Add(c);
        }

        foreach (var c in kept)
        {
            var type = c.Type;
            var marked = c.Parts.Where(p => p.EnteredInError is not null).Select(p => p.EnteredInError!.Value).Order().ToList();
            var answered = c.Items.Count(i => i is not null);
            int[]? items = answered == Phq9Loinc.Items.Count ? c.Items.Select(i => i!.Value).ToArray() : null;
            var problem = items is null && c.Total is null
                ? (answered == 0 ? "PHQ-9 without item answers or a total" : "PHQ-9 with items missing and no total")
                : null;
            // The domain's own PHQ-9 rule (the one the service applies): a stated total must equal the items' sum,
            // a total alone must be 0-27.
            if (problem is null && Domain.Courses.Phq9Score.Create(items, c.Total).Violation is { } violation)
                problem = violation.Field == "total" && items is not null
                    ? "PHQ-9 stated total does not equal the sum of the items"
                    : $"PHQ-9 {violation.Field}: {Generic(violation.Rule)}";
            if (marked.Count > 0)
            {
                // The completion as it stood was never sent when its own rules refused it: there is nothing to retract.
                if (problem is not null) report.Skip(type, $"entered-in-error: its completion gave no fact ({problem})");
                else if ((c.Lead.EnteredInError is null ? $"{c.Lead.Source}|{c.Lead.Version}|{Phq9Fact}"
                             : EarlierFactName(c.Lead.Source, c.Lead.Version, Phq9Fact, earlier, report)) is { } name)
                    yield return Retract(context.Pseudonyms.EventId(context.ClinicId, name), key, marked[0], context);
                continue;
            }
            if (problem is not null)
            {
                report.Skip(type, problem);
                continue;
            }
            if (items is null) report.Flag(answered == 0 ? "PHQ-9 total only" : "PHQ-9 with items missing: total only");
            yield return new Phq9Completed(FactId(c.Lead.Source, c.Lead.Version, Phq9Fact, context), context.ClinicId, key, c.At, items, c.Total);
        }
    }

    // Rules may quote the value ("got 31"); the report counts by reason, so the value is dropped.
    private static string Generic(string rule) => rule.Split(", got ")[0];

    private static bool SameScores(Completion a, Completion b)
    {
        var bothItems = a.Items.All(i => i is not null) && b.Items.All(i => i is not null);
        if (bothItems) return a.Items.SequenceEqual(b.Items);
        int? TotalOf(Completion c) => c.Total ?? (c.Items.All(i => i is not null) ? c.Items.Sum() : null);
        return TotalOf(a) is { } x && x == TotalOf(b);
    }

    // ---------------------------------------------------------------- enrolment and end

    /// <summary>
    /// An enrolment or end as the ledger has it: sent under its first id the first time; the same content again under
    /// the id it was last sent under; changed content under a new id, with a retraction of the one sent before (the
    /// service keeps the earliest enrolment and the latest end until one is retracted). Without a ledger, the fact
    /// under its first id.
    /// </summary>
    /// <remarks>
    /// The new id is derived from the id sent before and the new content, never from the first id and the content:
    /// content that comes back (a Condition added, removed, added again) would otherwise get back an id the service
    /// holds retracted, and it ignores a fact under an id it already holds, so the course would be left without one.
    /// </remarks>
    private static IEnumerable<IClinicEvent> Ledgered<T>(T fact, Func<T, Guid, T> withId, string key, AssemblyContext context) where T : IClinicEvent
    {
        if (context.Ledger is not { } ledger) return [fact];
        var content = context.Pseudonyms.EventId(context.ClinicId,
            "content|" + System.Text.Json.JsonSerializer.Serialize(withId(fact, Guid.Empty), WireContract.JsonOptions));
        switch (ledger.For(fact.EventId))
        {
            case null:
                ledger.Record(fact.EventId, new CourseLedger.Sent(fact.EventId, content));
                return [fact];
            case { } sent when sent.Content == content:
                return [withId(fact, sent.EventId)];
            case { } sent:
                var changed = withId(fact, context.Pseudonyms.EventId(context.ClinicId, $"{sent.EventId:D}|{content:D}"));
                ledger.Record(fact.EventId, new CourseLedger.Sent(changed.EventId, content));
                context.Report.Flag($"{MessageType(fact)} changed since the last run (--state): the earlier one retracted");
                return [changed, Retract(sent.EventId, key, changed.OccurredAt, context)];
        }
    }

    /// <summary>Whole years at a time; a birth date given only to the year or month is taken at its middle (flagged).</summary>
    public static int? AgeAt(string? birthDate, DateTimeOffset at, ConversionReport report)
    {
        if (string.IsNullOrWhiteSpace(birthDate)) return null;
        var parts = birthDate.Trim().Split('-');
        if (!int.TryParse(parts[0], out var year)) return null;
        var month = parts.Length > 1 && int.TryParse(parts[1], out var m) ? m : 7;
        var day = parts.Length > 2 && int.TryParse(parts[2], out var d) ? d : (parts.Length > 1 ? 15 : 1);
        if (parts.Length < 3) report.Flag("Patient: birthDate without a day: age taken from the middle of the period");
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Clamp(year, 1, 9999), month)) return null;
        var when = at.Date;
        var age = when.Year - year;
        if (when.Month < month || (when.Month == month && when.Day < day)) age--;
        return age;
    }

    public static AgeBand BandOf(int age) => age switch
    {
        < 25 => AgeBand.From18To24,
        < 35 => AgeBand.From25To34,
        < 45 => AgeBand.From35To44,
        < 55 => AgeBand.From45To54,
        < 65 => AgeBand.From55To64,
        < 75 => AgeBand.From65To74,
        < 90 => AgeBand.From75To89,
        _ => AgeBand.From90,
    };

    /// <summary>The EpisodeOfCare the first session falls in (the latest-starting one if several), or none.</summary>
    private static EpisodeRecord? CourseEpisode(IEnumerable<EpisodeRecord> episodes, DateTimeOffset firstSession) =>
        episodes.Where(e => e.Start is { } start && start <= firstSession && (e.End is null || e.End >= firstSession))
            .OrderByDescending(e => e.Start).ThenBy(e => e.Source, StringComparer.Ordinal).FirstOrDefault();

    private static PatientEnrolled? Enrolment(PatientRecord patient, int? age, IEnumerable<ConditionRecord> conditions, EpisodeRecord? episode,
        TreatmentSessionGiven first, AssemblyContext context)
    {
        var report = context.Report;
        if (age is null)
        {
            report.Skip("Patient", "birthDate missing or unreadable: no age band, no enrolment (sessions and PHQ-9 still sent)");
            return null;
        }
        var sex = patient.Gender switch
        {
            "female" => Sex.Female,
            "male" => Sex.Male,
            "other" => Sex.Other,
            _ => Sex.Unknown,
        };
        if (patient.Gender is null) report.Flag("enrolment: gender missing: sex unknown");
        var codes = conditions.SelectMany(c => c.Codes).ToList();
        var group = context.Options.GroupOf(codes);
        if (group is null) report.Flag("enrolment: no Condition in a diagnosis group: diagnosisGroup other");
        report.Flag("enrolment: priorFailedTrials not recorded in FHIR: sent as 0");
        var start = episode?.Start ?? first.OccurredAt;
        if (episode is null) report.Flag("enrolment: no EpisodeOfCare around the first session: course starts at the first session");
        // One enrolment per course, whichever resources it was assembled from: its id is the course's, not a resource's.
        return new PatientEnrolled(context.Pseudonyms.EventId(context.ClinicId, $"{patient.Key}|course-1|patient-enrolled"),
            context.ClinicId, patient.Key, start, BandOf(age.Value), sex, group ?? DiagnosisGroup.Other, 0, first.Modality, start.Year);
    }

    private static CourseEnded? Ending(EpisodeRecord? episode, string key, AssemblyContext context)
    {
        if (episode is null || episode.Status is not ("finished" or "cancelled")) return null;
        if (episode.End is not { } end)
        {
            context.Report.Skip("EpisodeOfCare", $"status {episode.Status} without a period end: no course end");
            return null;
        }
        var reason = episode.Status == "finished" ? CourseEndReason.Completed : CourseEndReason.Other;
        // One end per episode: a later version of the same episode does not end the course again.
        return new CourseEnded(context.Pseudonyms.EventId(context.ClinicId, $"{episode.Source}|course-ended"), context.ClinicId, key, end, reason);
    }

    private static string Wire<T>(T value) where T : struct, Enum =>
        System.Text.Json.JsonSerializer.Serialize(value, WireContract.JsonOptions).Trim('"');
}
