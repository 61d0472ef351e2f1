using Outcomes.Contracts;

namespace Outcomes.Cli.Fhir;

/// <summary>The conversion's fixed inputs: the clinic, its key, its code lists, the Medication resources read, and now.</summary>
public sealed record AssemblyContext(string ClinicId, Pseudonyms Pseudonyms, FhirMappingOptions Options, MedicationCatalog Medications,
    ConversionReport Report, DateTimeOffset Now);

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

        var sessions = Sessions(latest.OfType<SessionRecord>(), key, context);
        var retractions = Retractions(latest.OfType<RetractionRecord>(), earlier, key, context);
        if (sessions.Count == 0)
        {
            // A patient whose sessions were all entered in error was the service's business: their retractions still go.
            if (retractions.Any(r => r.Session)) return Valid(retractions.Select(r => r.Fact), context);
            SkipAll(others.Where(e => e is not SessionRecord and not RetractionRecord), "patient has no ketamine or esketamine session in the input", report);
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
        facts.AddRange(Phq9(latest.OfType<Phq9Record>().ToList(), key, context));
        var episode = CourseEpisode(latest.OfType<EpisodeRecord>(), first.OccurredAt);
        if (Enrolment(patient, age, latest.OfType<ConditionRecord>(), episode, first, context) is { } enrolment) facts.Add(enrolment);
        if (Ending(episode, key, context) is { } ending) facts.Add(ending);
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
            Modality? modality = (kind, route) switch
            {
                (MedicationKind.Esketamine, Route.Intranasal) => Modality.IntranasalEsketamine,
                (MedicationKind.Ketamine, Route.Intravenous) => Modality.IvKetamine,
                (MedicationKind.Ketamine, Route.Intramuscular) => Modality.ImKetamine,
                (MedicationKind.Ketamine, Route.Oral or Route.Sublingual) => Modality.OralKetamine,
                _ => null,
            };
            if (modality is null)
            {
                report.Skip(type, $"{(kind == MedicationKind.Esketamine ? "esketamine" : "ketamine")} by route {Wire(route.Value)} has no contract modality");
                continue;
            }
            var max = s.DoseUnit == DoseUnit.Milligrams ? 1000m : 5m;
            if (s.Dose <= 0 || s.Dose > max)
            {
                report.Skip(type, $"dose must be greater than 0 and at most {max} {Wire(s.DoseUnit.Value)}");
                continue;
            }
            sessions.Add(new TreatmentSessionGiven(context.Pseudonyms.EventId(context.ClinicId, $"{s.Source}|{s.Version}|treatment-session-given"),
                context.ClinicId, key, s.At, modality.Value, s.Dose.Value, s.DoseUnit.Value, route.Value));
        }
        return sessions;
    }

    // ---------------------------------------------------------------- entered-in-error

    private sealed record Retraction(RetractionRecord Record, FactRetracted Fact, bool Session);

    /// <summary>
    /// A resource whose latest version is entered-in-error retracts the fact its version before produced. Event ids are
    /// derived from resource, version and fact, so the retracted id is that of the version before: the highest earlier
    /// version in the input, else versionId n-1, else (no versionId, as the earlier run saw it too) the unversioned id.
    /// An entered-in-error version 1, or a versionId that is no number with no earlier version in the input, names no
    /// fact that can be found: skipped. The course end's id has no version (one end per episode).
    /// </summary>
    private static List<Retraction> Retractions(IEnumerable<RetractionRecord> records, Dictionary<string, string?> earlier, string key,
        AssemblyContext context)
    {
        var report = context.Report;
        var retractions = new List<Retraction>();
        foreach (var r in records)
        {
            var type = FhirReferences.TypeOf(r.Source);
            var session = r.Fact == MessageType(typeof(TreatmentSessionGiven));
            if (session && (r.MedicationReference is { } reference ? context.Medications.KindOf(reference) : context.Options.KindOf(r.MedicationCodes)) is null)
            {
                report.Skip(type, "entered-in-error: medication is not ketamine or esketamine (RxNorm lists)");
                continue;
            }
            string name;
            if (r.Fact == MessageType(typeof(CourseEnded))) name = $"{r.Source}|{r.Fact}";
            else if (earlier.TryGetValue(r.Source, out var before)) name = $"{r.Source}|{before}|{r.Fact}";
            else if (r.Version is null) name = $"{r.Source}||{r.Fact}";
            else if (long.TryParse(r.Version, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 1)
                name = $"{r.Source}|{(n - 1).ToString(System.Globalization.CultureInfo.InvariantCulture)}|{r.Fact}";
            else
            {
                report.Skip(type, r.Version == "1"
                    ? "entered-in-error at version 1: no earlier version produced a fact"
                    : "entered-in-error with a versionId that is no number and no earlier version in the input: the retracted fact cannot be named");
                continue;
            }
            var retracted = context.Pseudonyms.EventId(context.ClinicId, name);
            var id = context.Pseudonyms.EventId(context.ClinicId, $"{r.Source}|{r.Version}|{MessageType(typeof(FactRetracted))}");
            retractions.Add(new Retraction(r, new FactRetracted(id, context.ClinicId, key, r.At, retracted), session));
        }
        return retractions;
    }

    // ---------------------------------------------------------------- PHQ-9

    private sealed record Completion(string Source, string? Version, Phq9Shape Shape, DateTimeOffset At, int?[] Items, int? Total);

    private static IEnumerable<Phq9Completed> Phq9(List<Phq9Record> records, string key, AssemblyContext context)
    {
        var report = context.Report;
        var bySource = records.ToDictionary(r => r.Source, StringComparer.Ordinal);
        var consumed = new HashSet<string>(StringComparer.Ordinal);
        var responses = records.Where(r => r.Shape == Phq9Shape.QuestionnaireResponse).Select(r => r.Source).ToHashSet(StringComparer.Ordinal);

        // A panel or an item derived from a QuestionnaireResponse in the input repeats its answers.
        foreach (var r in records.Where(r => r.Shape != Phq9Shape.QuestionnaireResponse && r.DerivedFrom.Any(responses.Contains)))
        {
            consumed.Add(r.Source);
            foreach (var member in r.Members) consumed.Add(member);
            report.Skip("Observation", "same completion as the QuestionnaireResponse it is derived from");
        }

        var completions = new List<Completion>();
        completions.AddRange(records.Where(r => r.Shape == Phq9Shape.QuestionnaireResponse)
            .Select(r => new Completion(r.Source, r.Version, r.Shape, r.At, r.Items, r.Total)));
        foreach (var panel in records.Where(r => r.Shape == Phq9Shape.Panel && !consumed.Contains(r.Source)))
        {
            var items = (int?[])panel.Items.Clone();
            var total = panel.Total;
            foreach (var member in panel.Members)
            {
                // A member missing from the input (or skipped, like 69722-7) leaves its item unanswered; the
                // completion's own rules below decide what that costs.
                if (!bySource.TryGetValue(member, out var m)) continue;
                consumed.Add(member);
                if (m.Shape == Phq9Shape.Total) total ??= m.Total;
                for (var i = 0; i < items.Length; i++) items[i] ??= m.Items[i];
            }
            completions.Add(new Completion(panel.Source, panel.Version, Phq9Shape.Panel, panel.At, items, total));
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
            completions.Add(new Completion(parts[0].Source, parts[0].Version, parts.Count == 1 ? parts[0].Shape : Phq9Shape.Item,
                parts[0].At, items, total));
        }

        var kept = new List<Completion>();
        foreach (var c in completions.OrderBy(c => c.Shape).ThenBy(c => c.Source, StringComparer.Ordinal))
        {
            if (kept.Any(k => SameScores(k, c) && (k.At - c.At).Duration() <= SameCompletion))
            {
                report.Skip(TypeOf(c), "same completion as another resource read (same patient, time and scores)");
                continue;
            }
            kept.Add(c);
        }

        foreach (var c in kept)
        {
            var type = TypeOf(c);
            var answered = c.Items.Count(i => i is not null);
            int[]? items = answered == Phq9Loinc.Items.Count ? c.Items.Select(i => i!.Value).ToArray() : null;
            if (items is null && c.Total is null)
            {
                report.Skip(type, answered == 0 ? "PHQ-9 without item answers or a total" : "PHQ-9 with items missing and no total");
                continue;
            }
            // The domain's own PHQ-9 rule (the one the service applies): a stated total must equal the items' sum,
            // a total alone must be 0-27.
            var (_, violation) = Domain.Courses.Phq9Score.Create(items, c.Total);
            if (violation is not null)
            {
                report.Skip(type, violation.Field == "total" && items is not null
                    ? "PHQ-9 stated total does not equal the sum of the items"
                    : $"PHQ-9 {violation.Field}: {Generic(violation.Rule)}");
                continue;
            }
            if (items is null) report.Flag(answered == 0 ? "PHQ-9 total only" : "PHQ-9 with items missing: total only");
            yield return new Phq9Completed(context.Pseudonyms.EventId(context.ClinicId, $"{c.Source}|{c.Version}|phq9-completed"),
                context.ClinicId, key, c.At, items, c.Total);
        }
    }

    // Rules may quote the value ("got 31"); the report counts by reason, so the value is dropped.
    private static string Generic(string rule) => rule.Split(", got ")[0];

    private static string TypeOf(Completion c) => FhirReferences.TypeOf(c.Source);

    private static bool SameScores(Completion a, Completion b)
    {
        var bothItems = a.Items.All(i => i is not null) && b.Items.All(i => i is not null);
        if (bothItems) return a.Items.SequenceEqual(b.Items);
        int? TotalOf(Completion c) => c.Total ?? (c.Items.All(i => i is not null) ? c.Items.Sum() : null);
        return TotalOf(a) is { } x && x == TotalOf(b);
    }

    // ---------------------------------------------------------------- enrolment and end

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
