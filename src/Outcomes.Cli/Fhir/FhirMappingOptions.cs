using System.Text.Json;
using Outcomes.Contracts;

namespace Outcomes.Cli.Fhir;

/// <summary>Codes of one diagnosis group: ICD-10-CM prefixes (F33 matches F33.1) and exact SNOMED CT concepts.</summary>
public sealed record DiagnosisCodes(IReadOnlyList<string> Icd10Cm, IReadOnlyList<string> Snomed)
{
    public bool Matches(string system, string code) => system switch
    {
        FhirSystems.Icd10Cm => Icd10Cm.Any(prefix => Normalised(code).StartsWith(Normalised(prefix), StringComparison.OrdinalIgnoreCase)),
        FhirSystems.Snomed => Snomed.Contains(code),
        _ => false,
    };

    private static string Normalised(string icd) => icd.Replace(".", "", StringComparison.Ordinal).Trim();
}

/// <summary>Code systems the bridge reads.</summary>
public static class FhirSystems
{
    public const string RxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm";
    public const string Icd10Cm = "http://hl7.org/fhir/sid/icd-10-cm";
    public const string Snomed = "http://snomed.info/sct";
    public const string Loinc = "http://loinc.org";
    public const string RouteV3 = "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration";
    public const string Ucum = "http://unitsofmeasure.org";
}

/// <summary>
/// What the clinic's EHR calls ketamine, esketamine and the diagnosis groups (a JSON file given with
/// <c>--mapping</c>; anything left out keeps its default). Defaults are the RxNorm concepts and ICD-10-CM /
/// SNOMED CT codes in docs/fhir.md; EHRs often code administrations with their own clinical-drug (SCD/SBD)
/// concepts, which the conversion report lists when it meets them unmatched.
/// </summary>
public sealed record FhirMappingOptions
{
    /// <summary>
    /// RxNorm codes of racemic ketamine: the ingredient, and the injectable solutions (SCD) 238082, 238083, 238084 that
    /// openFDA's NDC directory gives for ketamine hydrochloride injection (10, 50 and 100 mg/mL vials).
    /// </summary>
    public IReadOnlyList<string> KetamineRxNorm { get; init; } = ["6130", "238082", "238083", "238084"];

    /// <summary>RxNorm codes of esketamine: esketamine nasal spray (SCDF) and Spravato (SBDF).</summary>
    public IReadOnlyList<string> EsketamineRxNorm { get; init; } = ["2201623", "2201625"];

    /// <summary>
    /// Diagnosis groups in order of precedence: a patient with several matching Conditions gets the first group
    /// that matches. Depression with PTSD needs both a depressive-disorder and a PTSD Condition; PTSD alone is
    /// not a depression course. No ICD-10-CM code says "treatment-resistant", so that group is empty until the
    /// clinic names its own codes.
    /// </summary>
    public DiagnosisCodes Bipolar { get; init; } = new(["F31"], ["13746004"]);
    public DiagnosisCodes TreatmentResistant { get; init; } = new([], []);
    public DiagnosisCodes Ptsd { get; init; } = new(["F43.1"], ["47505003"]);
    public DiagnosisCodes MajorDepressive { get; init; } = new(["F32", "F33"], ["370143000", "35489007"]);

    /// <summary>
    /// The Patient identifier system whose value is keyed (e.g. the clinic's MRN system). Unset: the identifier
    /// typed "MR", else the smallest "system|value"; a Patient without identifiers is keyed by its resource id.
    /// </summary>
    public string? PatientIdentifierSystem { get; init; }

    /// <summary>
    /// The clinic's own protocol for a Procedure code ("system|code"): the modality, dose, unit and route of every
    /// session recorded only as that Procedure (no MedicationAdministration). FHIR's Procedure has no dose, so this is
    /// the clinic's declaration, never the bridge's guess: empty by default, and a Procedure without one is skipped.
    /// </summary>
    public IReadOnlyList<ProcedureProtocol> ProcedureProtocols { get; init; } = [];

    public static readonly FhirMappingOptions Default = new();

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Reads a mapping file; unknown properties are refused so that a misspelt list is not silently ignored.</summary>
    public static (FhirMappingOptions? Options, string? Problem) FromFile(string path)
    {
        if (!File.Exists(path)) return (null, $"--mapping: no such file: {path}");
        try
        {
            var options = JsonSerializer.Deserialize<FhirMappingOptions>(File.ReadAllText(path), Json);
            if (options is null) return (null, "--mapping: the file holds null");
            return options.Problem() is { } problem ? (null, "--mapping: " + problem) : (options, null);
        }
        catch (JsonException e)
        {
            return (null, $"--mapping: {e.Path ?? "$"}: {e.Message}");
        }
    }

    /// <summary>What is wrong with the lists and protocols (the JSON path and the rule), or null.</summary>
    /// <remarks>
    /// JSON null deserialises into any list, group or list element; it is refused here, by name, rather than met as
    /// a crash later. A group given without one of its lists has that list null too.
    /// </remarks>
    public string? Problem()
    {
        var lists = new (string Path, IReadOnlyList<string>? Codes)[] { ("$.ketamineRxNorm", KetamineRxNorm), ("$.esketamineRxNorm", EsketamineRxNorm) };
        var groups = new (string Path, DiagnosisCodes? Codes)[]
        {
            ("$.bipolar", Bipolar), ("$.treatmentResistant", TreatmentResistant), ("$.ptsd", Ptsd), ("$.majorDepressive", MajorDepressive),
        };
        foreach (var (path, codes) in groups)
        {
            if (codes is null) return $"{path}: required, an object with the lists icd10Cm and snomed (each [] for none), not null";
            lists = [.. lists, ($"{path}.icd10Cm", codes.Icd10Cm), ($"{path}.snomed", codes.Snomed)];
        }
        foreach (var (path, codes) in lists)
        {
            if (codes is null) return $"{path}: required, a list of codes ([] for none), not null or left out";
            for (var i = 0; i < codes.Count; i++)
                if (string.IsNullOrWhiteSpace(codes[i])) return $"{path}[{i}]: a code is required, not null or blank";
        }
        if (ProcedureProtocols is null) return "$.procedureProtocols: required, a list of protocols ([] for none), not null";
        for (var i = 0; i < ProcedureProtocols.Count; i++)
        {
            var p = ProcedureProtocols[i];
            var at = $"$.procedureProtocols[{i}]";
            if (p is null) return $"{at}: a protocol is required (code, modality, dose, doseUnit, route), not null";
            if (string.IsNullOrWhiteSpace(p.Code) || !p.Code.Contains('|', StringComparison.Ordinal))
                return $"{at}.code: required, as \"system|code\" (e.g. \"http://www.ama-assn.org/go/cpt|96365\")";
            if (ProcedureProtocols.Take(i).Any(q => q.Code == p.Code)) return $"{at}.code: {p.Code} has a protocol already";
            if (CourseAssembly.KindOf(p.Modality) is not { } kind || CourseAssembly.ModalityOf(kind, p.Route) != p.Modality)
                return $"{at}.route: the route does not give the modality (iv-ketamine: intravenous, im-ketamine: intramuscular, " +
                    "oral-ketamine: oral or sublingual, intranasal-esketamine: intranasal)";
            if (CourseAssembly.DoseProblem(p.Dose, p.DoseUnit) is { } dose) return $"{at}.dose: {dose}";
        }
        return null;
    }

    /// <summary>The protocol declared for one of a Procedure's codes, or null.</summary>
    public ProcedureProtocol? ProtocolOf(IEnumerable<string> codes) =>
        codes.Select(code => ProcedureProtocols.FirstOrDefault(p => p.Code == code)).FirstOrDefault(p => p is not null);

    /// <summary>Ketamine or esketamine for a set of "system|code" codings, or null for any other medication.</summary>
    public MedicationKind? KindOf(IEnumerable<string> codings)
    {
        foreach (var coding in codings)
        {
            var (system, code) = Split(coding);
            if (system != FhirSystems.RxNorm) continue;
            if (EsketamineRxNorm.Contains(code)) return MedicationKind.Esketamine;
            if (KetamineRxNorm.Contains(code)) return MedicationKind.Ketamine;
        }
        return null;
    }

    /// <summary>The diagnosis group for a patient's Conditions ("system|code" each), by the precedence above.</summary>
    public DiagnosisGroup? GroupOf(IReadOnlyCollection<string> codings)
    {
        bool Any(DiagnosisCodes codes) => codings.Any(c => { var (s, k) = Split(c); return codes.Matches(s, k); });
        if (Any(Bipolar)) return DiagnosisGroup.BipolarDepression;
        var depressive = Any(MajorDepressive) || Any(TreatmentResistant);
        if (depressive && Any(Ptsd)) return DiagnosisGroup.DepressionWithPtsd;
        if (Any(TreatmentResistant)) return DiagnosisGroup.TreatmentResistantDepression;
        if (Any(MajorDepressive)) return DiagnosisGroup.MajorDepressiveDisorder;
        return null;
    }

    public static (string System, string Code) Split(string coding)
    {
        var bar = coding.LastIndexOf('|');
        return bar < 0 ? ("", coding) : (coding[..bar], coding[(bar + 1)..]);
    }
}

public enum MedicationKind { Ketamine, Esketamine }

/// <summary>A clinic's declared session protocol for one Procedure code ("system|code"): see FhirMappingOptions.ProcedureProtocols.</summary>
public sealed record ProcedureProtocol(string Code, Modality Modality, decimal Dose, DoseUnit DoseUnit, Route Route);
