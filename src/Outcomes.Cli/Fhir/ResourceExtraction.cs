using Hl7.Fhir.Model;
using Outcomes.Contracts;

namespace Outcomes.Cli.Fhir;

/// <summary>Where a resource was read: how it refers to itself, and its Bundle's fullUrl map (null outside a Bundle).</summary>
public sealed record ResourceOrigin(string? Self, IReadOnlyDictionary<string, string>? Bundle);

/// <summary>
/// Turns one FHIR resource into what a fact needs of it (<see cref="PatientExtract"/>), or skips it with a reason in
/// the report. Pure: no I/O, no clock. Medication resources go to the <see cref="MedicationCatalog"/> instead,
/// since administrations reference them.
/// </summary>
public sealed class ResourceExtraction(FhirMappingOptions options, Pseudonyms pseudonyms, MedicationCatalog medications, ConversionReport report)
{
    private const string OrdinalValue = "http://hl7.org/fhir/StructureDefinition/ordinalValue";
    private const string ItemWeight = "http://hl7.org/fhir/StructureDefinition/itemWeight";

    public PatientExtract? Extract(Resource resource, ResourceOrigin origin)
    {
        report.Resource(resource.TypeName);
        if (origin.Self is null) return Skip(resource.TypeName, "no id (nor a Bundle fullUrl): cannot be told apart from other resources");
        try
        {
            return resource switch
            {
                Patient p => FromPatient(p, origin),
                Observation o => FromObservation(o, origin),
                QuestionnaireResponse q => FromQuestionnaireResponse(q, origin),
                MedicationAdministration m => FromAdministration(m, origin),
                MedicationStatement m => FromStatement(m, origin),
                Medication m => FromMedication(m, origin),
                Condition c => FromCondition(c, origin),
                EpisodeOfCare e => FromEpisode(e, origin),
                Procedure p => FromProcedure(p, origin),
                _ => Skip(resource.TypeName, "resource type not used"),
            };
        }
        catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException or ArgumentException)
        {
            // Ostrich parsing lets odd shapes through; an element of an unexpected type is that resource's problem only.
            return Skip(resource.TypeName, "an element has an unexpected type");
        }
    }

    private PatientExtract? Skip(string type, string reason)
    {
        report.Skip(type, reason);
        return null;
    }

    private static string? Version(Resource r) => r.Meta?.VersionId;

    // ---------------------------------------------------------------- Patient

    private PatientExtract? FromPatient(Patient p, ResourceOrigin origin)
    {
        var gender = p.Gender switch
        {
            AdministrativeGender.Female => "female",
            AdministrativeGender.Male => "male",
            AdministrativeGender.Other => "other",
            AdministrativeGender.Unknown => "unknown",
            _ => null,
        };
        return new PatientRecord(origin.Self!, origin.Self!, Version(p), pseudonyms.PatientKey(KeySource(p, origin)), p.BirthDate, gender);
    }

    private string KeySource(Patient p, ResourceOrigin origin)
    {
        var identifiers = p.Identifier.Where(i => !string.IsNullOrWhiteSpace(i.Value) && !string.IsNullOrWhiteSpace(i.System)).ToList();
        Identifier? chosen = null;
        if (options.PatientIdentifierSystem is { } system)
            chosen = identifiers.FirstOrDefault(i => i.System == system);
        chosen ??= identifiers.Where(i => i.Type?.Coding.Any(c => c.Code == "MR") == true)
            .OrderBy(i => i.System + "|" + i.Value, StringComparer.Ordinal).FirstOrDefault();
        chosen ??= identifiers.OrderBy(i => i.System + "|" + i.Value, StringComparer.Ordinal).FirstOrDefault();
        if (chosen is not null) return chosen.System + "|" + chosen.Value!.Trim();
        report.Flag("Patient without a system|value identifier: keyed by its resource id");
        return origin.Self!;
    }

    // ---------------------------------------------------------------- Observation

    private PatientExtract? FromObservation(Observation o, ResourceOrigin origin)
    {
        var code = LoincCodeOf(o.Code);
        if (code is null) return Skip("Observation", "not a PHQ-9 code");
        if (code == Phq9Loinc.Difficulty) return Skip("Observation", "difficulty item 69722-7 is not scored");
        var shape = code switch
        {
            Phq9Loinc.Panel => Phq9Shape.Panel,
            Phq9Loinc.Total => Phq9Shape.Total,
            _ => Phq9Shape.Item,
        };
        var own = TimeOf(o.Effective) is { At: not null } effective ? effective : FhirTime.Read(o.Issued);
        DateTimeOffset? marked = null;
        switch (o.Status)
        {
            case ObservationStatus.Final or ObservationStatus.Amended or ObservationStatus.Corrected:
                break;
            case ObservationStatus.EnteredInError:
                marked = MarkedAt("Observation", o, o.Subject, origin, own);
                if (marked is null) return null;
                break;
            case null:
                return Skip("Observation", "status missing");
            default:
                return Skip("Observation", $"status {Lower(o.Status)} is not final, amended or corrected");
        }
        var patient = FhirReferences.Canonical(o.Subject?.Reference, origin.Bundle);
        if (patient is null) return Skip("Observation", o.Subject?.Identifier is null ? "no subject" : "subject given by identifier only");
        // A marked record without a time of its own still names its resource: it is placed at the time it was marked.
        var at = own.At is null && marked is not null ? new FhirInstant(marked, null) : own;
        if (at.At is null) return Skip("Observation", $"PHQ-9 {at.Problem}");
        if (marked is null) FlagTime("Observation", at);

        var items = new int?[Phq9Loinc.Items.Count];
        int? total = null;
        switch (shape)
        {
            case Phq9Shape.Item:
                var score = ScoreOf(o.Value);
                if (score is null && marked is null) return Skip("Observation", "PHQ-9 item answer missing or not a PHQ-9 answer");
                items[Phq9Loinc.IndexOf(code)] = score;
                break;
            case Phq9Shape.Total:
                total = TotalOf(o.Value);
                if (total is null && marked is null) return Skip("Observation", "PHQ-9 total missing or not a whole number");
                break;
            case Phq9Shape.Panel:
                total = TotalOf(o.Value);
                foreach (var component in o.Component)
                {
                    var componentCode = LoincCodeOf(component.Code);
                    if (componentCode == Phq9Loinc.Total) total ??= TotalOf(component.Value);
                    else if (Phq9Loinc.IndexOf(componentCode) is var i and >= 0) items[i] = Answer(ScoreOf(component.Value));
                }
                break;
        }
        var members = o.HasMember.Select(m => FhirReferences.Canonical(m.Reference, origin.Bundle)).OfType<string>().ToArray();
        var derivedFrom = o.DerivedFrom.Select(m => FhirReferences.Canonical(m.Reference, origin.Bundle)).OfType<string>().ToArray();
        // An empty panel derived from a QuestionnaireResponse is kept so the report says what it repeats.
        if (shape == Phq9Shape.Panel && members.Length == 0 && derivedFrom.Length == 0 && total is null && items.All(i => i is null)
            && marked is null)
            return Skip("Observation", "PHQ-9 panel without members, components or a total");
        return new Phq9Record(patient, origin.Self!, Version(o), shape, at.At.Value, items, total, members, derivedFrom, marked);
    }

    private int? Answer(int? score)
    {
        if (score is null) report.Flag("PHQ-9 item answer not readable: taken as unanswered");
        return score;
    }

    private static string? LoincCodeOf(CodeableConcept? concept)
    {
        if (concept is null) return null;
        foreach (var coding in concept.Coding)
        {
            if (coding.System is not (null or "" or FhirSystems.Loinc)) continue;
            var code = coding.Code?.Trim();
            if (Phq9Loinc.IsItem(code) || code is Phq9Loinc.Panel or Phq9Loinc.Total or Phq9Loinc.Difficulty) return code;
        }
        return null;
    }

    /// <summary>An item score 0-3 from any of the shapes EHRs send it in; null when none reads as one.</summary>
    private static int? ScoreOf(DataType? value)
    {
        var score = value switch
        {
            CodeableConcept concept => concept.Coding.Select(ScoreOf).FirstOrDefault(s => s is not null)
                ?? Phq9Loinc.ScoreOfText(concept.Text),
            Coding coding => ScoreOf(coding),
            Integer integer => integer.Value,
            FhirDecimal number => number.Value is { } d ? Phq9Loinc.WholeNumber(d) : null,
            Quantity quantity => quantity.Value is { } q ? Phq9Loinc.WholeNumber(q) : null,
            FhirString text => Phq9Loinc.ScoreOfText(text.Value),
            _ => null,
        };
        return score is >= 0 and <= 3 ? score : null;
    }

    private static int? ScoreOf(Coding coding)
    {
        if (Phq9Loinc.ScoreOfAnswerCode(coding.Code) is { } byCode) return byCode;
        // Ordinal weight on the answer's coding: "ordinalValue" in R4 tooling, "itemWeight" in R5.
        var weight = coding.Extension.FirstOrDefault(e => e.Url is OrdinalValue or ItemWeight)?.Value;
        return weight switch
        {
            FhirDecimal d when d.Value is { } v => Phq9Loinc.WholeNumber(v),
            Integer i => i.Value,
            _ => Phq9Loinc.ScoreOfText(coding.Display),
        };
    }

    private static int? TotalOf(DataType? value) => value switch
    {
        Integer integer => integer.Value,
        FhirDecimal number => number.Value is { } d ? Phq9Loinc.WholeNumber(d) : null,
        Quantity quantity => quantity.Value is { } q ? Phq9Loinc.WholeNumber(q) : null,
        FhirString text => DecimalOf(text.Value) is { } t ? Phq9Loinc.WholeNumber(t) : null,
        _ => null,
    };

    private static decimal? DecimalOf(string? text) =>
        decimal.TryParse(text?.Trim(), System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : null;

    // ---------------------------------------------------------------- QuestionnaireResponse

    private PatientExtract? FromQuestionnaireResponse(QuestionnaireResponse q, ResourceOrigin origin)
    {
        var items = new int?[Phq9Loinc.Items.Count];
        int? total = null;
        var isPhq9 = IsPhq9Questionnaire(q.Questionnaire);
        foreach (var item in Flatten(q.Item))
        {
            var code = Phq9Loinc.CodeIn(item.LinkId) ?? Phq9Loinc.CodeIn(item.Definition);
            if (code is null) continue;
            isPhq9 = true;
            var answer = item.Answer.FirstOrDefault()?.Value;
            if (code == Phq9Loinc.Total) total = TotalOf(answer);
            else if (code == Phq9Loinc.Difficulty) report.Flag("QuestionnaireResponse: difficulty item 69722-7 not scored");
            else if (Phq9Loinc.IndexOf(code) is var i and >= 0 && answer is not null) items[i] = Answer(ScoreOf(answer));
        }
        if (!isPhq9) return Skip("QuestionnaireResponse", "not a PHQ-9");
        var own = FhirTime.Read(q.Authored);
        DateTimeOffset? marked = null;
        switch (q.Status)
        {
            case QuestionnaireResponse.QuestionnaireResponseStatus.Completed or QuestionnaireResponse.QuestionnaireResponseStatus.Amended:
                break;
            case QuestionnaireResponse.QuestionnaireResponseStatus.EnteredInError:
                marked = MarkedAt("QuestionnaireResponse", q, q.Subject, origin, own);
                if (marked is null) return null;
                break;
            case null:
                return Skip("QuestionnaireResponse", "status missing");
            default:
                return Skip("QuestionnaireResponse", $"status {Lower(q.Status)} is not completed or amended");
        }
        var patient = FhirReferences.Canonical(q.Subject?.Reference, origin.Bundle);
        if (patient is null) return Skip("QuestionnaireResponse", q.Subject?.Identifier is null ? "no subject" : "subject given by identifier only");
        var at = own.At is null && marked is not null ? new FhirInstant(marked, null) : own;
        if (at.At is null) return Skip("QuestionnaireResponse", $"PHQ-9 {at.Problem}");
        if (marked is null) FlagTime("QuestionnaireResponse", at);
        return new Phq9Record(patient, origin.Self!, Version(q), Phq9Shape.QuestionnaireResponse, at.At.Value, items, total, [], [], marked);
    }

    private static bool IsPhq9Questionnaire(string? canonical) =>
        canonical is not null && (canonical.Contains(Phq9Loinc.Panel, StringComparison.Ordinal)
            || canonical.Contains("phq-9", StringComparison.OrdinalIgnoreCase) || canonical.Contains("phq9", StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<QuestionnaireResponse.ItemComponent> Flatten(IEnumerable<QuestionnaireResponse.ItemComponent> items)
    {
        foreach (var item in items)
        {
            yield return item;
            foreach (var child in Flatten(item.Item)) yield return child;
            foreach (var answer in item.Answer)
            foreach (var child in Flatten(answer.Item)) yield return child;
        }
    }

    // ---------------------------------------------------------------- sessions

    private PatientExtract? FromAdministration(MedicationAdministration m, ResourceOrigin origin)
    {
        const string type = "MedicationAdministration";
        switch (m.Status)
        {
            case MedicationAdministration.MedicationAdministrationStatusCodes.Completed:
                break;
            case MedicationAdministration.MedicationAdministrationStatusCodes.EnteredInError:
                return Session(type, m, origin, m.Medication, m.Contained, m.Subject, m.Effective, null, null, References(m.PartOf, origin),
                    retracted: true);
            default:
                return Skip(type, $"status {Lower(m.Status) ?? "missing"}: not a completed administration");
        }
        var dosage = m.Dosage;
        return Session(type, m, origin, m.Medication, m.Contained, m.Subject, m.Effective, dosage?.Dose, dosage?.Route, References(m.PartOf, origin));
    }

    private PatientExtract? FromStatement(MedicationStatement m, ResourceOrigin origin)
    {
        const string type = "MedicationStatement";
        switch (m.Status)
        {
            case MedicationStatement.MedicationStatusCodes.Completed:
                break;
            case MedicationStatement.MedicationStatusCodes.EnteredInError:
                return Session(type, m, origin, m.Medication, m.Contained, m.Subject, m.Effective, null, null, References(m.PartOf, origin),
                    retracted: true);
            default:
                return Skip(type, $"status {Lower(m.Status) ?? "missing"}: not a completed dose");
        }
        // A statement over weeks ("takes oral ketamine") is no session; one dated dose is.
        if (m.Effective is Period period && period.Start?[..Math.Min(10, period.Start.Length)] != period.End?[..Math.Min(10, period.End.Length)])
            return Skip(type, "covers a period, not one session");
        var dosage = m.Dosage.FirstOrDefault();
        var dose = dosage?.DoseAndRate.Select(d => d.Dose).OfType<Quantity>().FirstOrDefault();
        return Session(type, m, origin, m.Medication, m.Contained, m.Subject, m.Effective, dose, dosage?.Route, References(m.PartOf, origin));
    }

    private static string[] References(IEnumerable<ResourceReference> references, ResourceOrigin origin) =>
        references.Select(r => FhirReferences.Canonical(r.Reference, origin.Bundle)).OfType<string>().ToArray();

    private PatientExtract? Session(string type, DomainResource resource, ResourceOrigin origin, DataType? medication,
        IEnumerable<Resource> contained, ResourceReference? subject, DataType? effective, Quantity? dose, CodeableConcept? route,
        string[] partOf, bool retracted = false)
    {
        string[] codes = [];
        string? reference = null;
        switch (medication)
        {
            case CodeableConcept concept:
                codes = Codings(concept);
                break;
            case ResourceReference r when r.Reference?.StartsWith('#') == true:
                var inline = contained.OfType<Medication>().FirstOrDefault(c => "#" + c.Id == r.Reference);
                codes = inline is null ? [] : Codings(inline.Code);
                break;
            case ResourceReference r:
                reference = FhirReferences.Canonical(r.Reference, origin.Bundle);
                break;
        }
        if (codes.Length == 0 && reference is null) return Skip(type, "no medication code or reference");
        // Most administrations in an EHR are of other drugs: drop those now rather than spool them.
        if (reference is null && options.KindOf(codes) is null)
        {
            foreach (var code in codes.Where(c => c.StartsWith(FhirSystems.RxNorm + "|", StringComparison.Ordinal)))
                report.Unmatched(code[(FhirSystems.RxNorm.Length + 1)..]);
            return Skip(type, "medication is not ketamine or esketamine (RxNorm lists)");
        }
        if (reference is not null && medications.Known(reference) && medications.KindOf(reference) is null)
            return Skip(type, "medication is not ketamine or esketamine (RxNorm lists)");

        if (retracted) return Retracted(type, resource, origin, subject, SessionFact, TimeOf(effective), codes, reference, partOf);
        var patient = FhirReferences.Canonical(subject?.Reference, origin.Bundle);
        if (patient is null) return Skip(type, subject?.Identifier is null ? "no subject" : "subject given by identifier only");
        var at = TimeOf(effective);
        if (at.At is null) return Skip(type, $"session {at.Problem}");
        FlagTime(type, at);

        var (amount, unit, doseProblem) = Dose(dose);
        var (routeValue, routeProblem) = RouteOf(route);
        return new SessionRecord(patient, origin.Self!, Version(resource), at.At.Value, codes, reference, amount, unit, routeValue,
            doseProblem ?? routeProblem, partOf);
    }

    private static string[] Codings(CodeableConcept? concept) =>
        concept is null ? [] : concept.Coding.Where(c => !string.IsNullOrEmpty(c.Code)).Select(c => (c.System ?? "") + "|" + c.Code!.Trim()).ToArray();

    /// <summary>The dose in mg or mg/kg (grams and micrograms converted); a volume or another unit cannot be used.</summary>
    public static (decimal? Amount, DoseUnit? Unit, string? Problem) Dose(Quantity? dose)
    {
        if (dose?.Value is not { } value) return (null, null, "dose missing");
        var unit = (dose.Code ?? dose.Unit ?? "").Trim();
        return unit.ToLowerInvariant() switch
        {
            "mg" => (value, DoseUnit.Milligrams, null),
            "mg/kg" or "mg/kg{body weight}" => (value, DoseUnit.MilligramsPerKilogram, null),
            "g" => (value * 1000, DoseUnit.Milligrams, null),
            "ug" or "mcg" or "µg" => (value / 1000, DoseUnit.Milligrams, null),
            "" => (null, null, "dose without a unit"),
            _ => (null, null, $"dose unit '{Truncate(unit)}' is not mg or mg/kg (a volume needs the concentration)"),
        };
    }

    /// <summary>The route from SNOMED CT or HL7 v3 codes, else the words of its text or display.</summary>
    public static (Route? Route, string? Problem) RouteOf(CodeableConcept? route)
    {
        if (route is null) return (null, "route missing");
        foreach (var coding in route.Coding)
        {
            var code = coding.Code?.Trim() ?? "";
            Route? byCode = coding.System switch
            {
                FhirSystems.Snomed => code switch
                {
                    "47625008" => Route.Intravenous,
                    "78421000" => Route.Intramuscular,
                    "46713006" => Route.Intranasal,
                    "26643006" => Route.Oral,
                    "37839007" => Route.Sublingual,
                    _ => null,
                },
                FhirSystems.RouteV3 => code.ToUpperInvariant() switch
                {
                    var c when c.StartsWith("IV", StringComparison.Ordinal) => Route.Intravenous,
                    var c when c.StartsWith("IM", StringComparison.Ordinal) => Route.Intramuscular,
                    var c when c.StartsWith("NAS", StringComparison.Ordinal) => Route.Intranasal,
                    "PO" => Route.Oral,
                    "SL" => Route.Sublingual,
                    _ => null,
                },
                _ => null,
            };
            if (byCode is not null) return (byCode, null);
        }
        var words = string.Join(' ', route.Coding.Select(c => c.Display).Append(route.Text)).ToLowerInvariant();
        if (words.Contains("intraven")) return (Route.Intravenous, null);
        if (words.Contains("intramusc")) return (Route.Intramuscular, null);
        if (words.Contains("sublingual")) return (Route.Sublingual, null);
        if (words.Contains("nasal")) return (Route.Intranasal, null);
        if (words.Contains("oral") || words.Contains("by mouth")) return (Route.Oral, null);
        return (null, "route not recognised");
    }

    private PatientExtract? FromMedication(Medication m, ResourceOrigin origin)
    {
        medications.Add(origin.Self!, options.KindOf(Codings(m.Code)));
        return null;
    }

    /// <summary>
    /// A Procedure of ketamine or esketamine (RxNorm in its code or usedCode, or a code the mapping file declares a
    /// protocol for). Whether it is a session is decided with the patient's administrations (one part of it makes it
    /// none) and the clinic's protocols (CourseAssembly).
    /// </summary>
    private PatientExtract? FromProcedure(Procedure p, ResourceOrigin origin)
    {
        const string type = "Procedure";
        var codes = Codings(p.Code);
        var used = p.UsedCode.SelectMany(Codings).ToArray();
        if (options.KindOf(codes.Concat(used)) is null && options.ProtocolOf(codes) is null)
            return Skip(type, "not a ketamine or esketamine session");
        var own = TimeOf(p.Performed);
        switch (p.Status)
        {
            case EventStatus.Completed:
                break;
            case EventStatus.EnteredInError:
                return Retracted(type, p, origin, p.Subject, SessionFact, own, [.. codes, .. used]);
            default:
                return Skip(type, $"status {Lower(p.Status) ?? "missing"}: not a completed procedure");
        }
        var patient = FhirReferences.Canonical(p.Subject?.Reference, origin.Bundle);
        if (patient is null) return Skip(type, p.Subject?.Identifier is null ? "no subject" : "subject given by identifier only");
        if (own.At is null) return Skip(type, $"session {own.Problem}");
        FlagTime(type, own);
        return new ProcedureRecord(patient, origin.Self!, Version(p), own.At.Value, codes, used);
    }

    // ---------------------------------------------------------------- enrolment

    private PatientExtract? FromCondition(Condition c, ResourceOrigin origin)
    {
        var verification = c.VerificationStatus?.Coding.Select(x => x.Code).FirstOrDefault();
        // Its diagnosis group is part of the course's one enrolment, whose event id never changes: nothing to retract.
        if (verification == "entered-in-error") return Skip("Condition", "entered-in-error: left out of the diagnosis group");
        if (verification == "refuted") return Skip("Condition", "verification status refuted");
        var codes = Codings(c.Code);
        if (options.GroupOf(codes) is null && !codes.Any(code => Matches(options.Ptsd, code)))
            return Skip("Condition", "code in no diagnosis group");
        var patient = FhirReferences.Canonical(c.Subject?.Reference, origin.Bundle);
        if (patient is null) return Skip("Condition", "no subject");
        return new ConditionRecord(patient, origin.Self!, Version(c), codes);
    }

    private static bool Matches(DiagnosisCodes codes, string coding)
    {
        var (system, code) = FhirMappingOptions.Split(coding);
        return codes.Matches(system, code);
    }

    private PatientExtract? FromEpisode(EpisodeOfCare e, ResourceOrigin origin)
    {
        // Only an episode with an end can have ended the course.
        if (e.Status == EpisodeOfCare.EpisodeOfCareStatus.EnteredInError)
            return FhirTime.Read(e.Period?.End).At is null
                ? Skip("EpisodeOfCare", "entered-in-error without a period end: no course end to retract")
                : Retracted("EpisodeOfCare", e, origin, e.Patient, EndFact, FhirTime.Read(e.Period?.End));
        if (e.Status is null) return Skip("EpisodeOfCare", "status missing");
        var patient = FhirReferences.Canonical(e.Patient?.Reference, origin.Bundle);
        if (patient is null) return Skip("EpisodeOfCare", "no patient");
        return new EpisodeRecord(patient, origin.Self!, Version(e), Lower(e.Status)!, FhirTime.Read(e.Period?.Start).At,
            FhirTime.Read(e.Period?.End).At);
    }

    // ---------------------------------------------------------------- entered-in-error

    private static readonly string SessionFact = CourseAssembly.MessageType(typeof(TreatmentSessionGiven));
    private static readonly string EndFact = CourseAssembly.MessageType(typeof(CourseEnded));

    /// <summary>
    /// A resource marked entered-in-error: CourseAssembly retracts the fact its earlier version produced. Marked when
    /// meta.lastUpdated says, else at the resource's own time (a retraction needs a time, and the same one every run).
    /// </summary>
    private PatientExtract? Retracted(string type, Resource resource, ResourceOrigin origin, ResourceReference? subject, string fact,
        FhirInstant own, string[]? codes = null, string? medication = null, string[]? partOf = null)
    {
        if (MarkedAt(type, resource, subject, origin, own) is not { } at) return null;
        return new RetractionRecord(FhirReferences.Canonical(subject?.Reference, origin.Bundle)!, origin.Self!, Version(resource), fact, at,
            codes ?? [], medication, partOf);
    }

    /// <summary>When an entered-in-error resource was marked, or null (skipped with the reason) when its fact cannot be named.</summary>
    private DateTimeOffset? MarkedAt(string type, Resource resource, ResourceReference? subject, ResourceOrigin origin, FhirInstant own)
    {
        if (FhirReferences.Canonical(subject?.Reference, origin.Bundle) is null)
        {
            report.Skip(type, "entered-in-error without a subject: its fact cannot be named");
            return null;
        }
        var at = resource.Meta?.LastUpdated ?? own.At;
        if (at is null) report.Skip(type, "entered-in-error without meta.lastUpdated or a time of its own");
        return at;
    }

    // ---------------------------------------------------------------- helpers

    private static FhirInstant TimeOf(DataType? effective) => effective switch
    {
        FhirDateTime dateTime => FhirTime.Read(dateTime.Value),
        Period period => FhirTime.Read(period.Start),
        Instant instant => FhirTime.Read(instant.Value),
        null => new FhirInstant(null, "no time"),
        _ => new FhirInstant(null, "time is not a dateTime or period"),
    };

    private void FlagTime(string type, FhirInstant at)
    {
        if (at.DateOnly) report.Flag($"{type}: date without a time, taken as 00:00 UTC");
        if (at.NoZone) report.Flag($"{type}: time without a zone, taken as UTC");
    }

    private static string? Lower<T>(T? value) where T : struct, Enum =>
        value is { } v ? Hl7.Fhir.Utility.EnumUtility.GetLiteral(v) ?? v.ToString().ToLowerInvariant() : null;

    private static string Truncate(string text) => text.Length <= 20 ? text : text[..20];
}

/// <summary>Medication resources met so far: their reference and whether they are ketamine, esketamine or neither.</summary>
public sealed class MedicationCatalog
{
    private readonly Dictionary<string, MedicationKind?> _kinds = new(StringComparer.Ordinal);

    public void Add(string reference, MedicationKind? kind) => _kinds[reference] = kind;

    public bool Known(string reference) => _kinds.ContainsKey(reference);

    public MedicationKind? KindOf(string reference) => _kinds.GetValueOrDefault(reference);
}
