using System.Text;
using System.Text.Json;
using Outcomes.Cli.Fhir;

namespace Outcomes.Cli.Tests.Fhir;

/// <summary>One fact as written for `outcomes load`: its routing key and body.</summary>
public sealed record WrittenFact(string RoutingKey, JsonElement Body, string Line)
{
    public string Type => RoutingKey["v1.".Length..];
    public string PatientKey => Body.GetProperty("patientKey").GetString()!;
    public int[]? Items => Body.TryGetProperty("items", out var i) ? i.EnumerateArray().Select(x => x.GetInt32()).ToArray() : null;
    public int? Total => Body.TryGetProperty("total", out var t) ? t.GetInt32() : null;
    public DateTimeOffset OccurredAt => Body.GetProperty("occurredAt").GetDateTimeOffset();
    public string? Text(string property) => Body.TryGetProperty(property, out var p) ? p.ToString() : null;
}

/// <summary>Runs a conversion over FHIR resources written to temporary files, and reads back what it wrote.</summary>
public sealed class FhirRun
{
    public const string Clinic = "clinic-a";
    public static readonly byte[] TestKey = Encoding.UTF8.GetBytes("test-key-for-the-fhir-bridge-0123456789abcdef");

    public required IReadOnlyList<WrittenFact> Facts { get; init; }
    public required ConversionReport Report { get; init; }
    public required byte[] Output { get; init; }

    public IEnumerable<WrittenFact> OfType(string type) => Facts.Where(f => f.Type == type);

    public long Skipped(string reason) => Report.Skipped.Where(p => p.Key.EndsWith(reason, StringComparison.Ordinal)).Sum(p => p.Value);

    public long Flagged(string note) => Report.Flagged.GetValueOrDefault(note);

    /// <summary>The test folder of FHIR resources written for these tests (Bulk Data layout).</summary>
    public static string Resources(string name) => Path.Combine(RepositoryRoot(), "tests", "Outcomes.Cli.Tests", "Fhir", "Resources", name);

    public static FhirRun Convert(IEnumerable<string> paths, FhirMappingOptions? options = null, byte[]? key = null, DateTimeOffset? now = null,
        CourseLedger? ledger = null)
    {
        var (files, problem) = FhirInputs.Files(paths);
        Assert.Null(problem);
        var context = new AssemblyContext(Clinic, new Pseudonyms(key ?? TestKey), options ?? FhirMappingOptions.Default, new MedicationCatalog(),
            new ConversionReport(), now ?? new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), ledger);
        using var output = new MemoryStream();
        FhirConversion.Run(files, context, output);
        var bytes = output.ToArray();
        var facts = Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            var root = JsonDocument.Parse(line).RootElement;
            return new WrittenFact(root.GetProperty("routingKey").GetString()!, root.GetProperty("body").Clone(), line);
        }).ToList();
        return new FhirRun { Facts = facts, Report = context.Report, Output = bytes };
    }

    /// <summary>Converts resources given as JSON text, each file's resources as NDJSON lines (a Bulk Data export).</summary>
    public static FhirRun ConvertNdjson(params string[][] files) => ConvertFiles(files.Select(lines => (".ndjson", string.Join('\n', lines))).ToArray());

    public static FhirRun ConvertFiles(params (string Ending, string Text)[] files) => ConvertFiles(null, files);

    public static FhirRun ConvertFiles(FhirMappingOptions? options, params (string Ending, string Text)[] files) => ConvertFiles(options, null, files);

    public static FhirRun ConvertFiles(FhirMappingOptions? options, CourseLedger? ledger, params (string Ending, string Text)[] files)
    {
        var folder = Directory.CreateTempSubdirectory("fhir-test-");
        try
        {
            for (var i = 0; i < files.Length; i++)
                File.WriteAllText(Path.Combine(folder.FullName, $"{i:D2}{files[i].Ending}"), files[i].Text);
            return Convert([folder.FullName], options, ledger: ledger);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Outcomes.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Outcomes.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>FHIR R4 resources as JSON text, in the shapes US Core and SDC describe, for tests to vary.</summary>
public static class Fhir
{
    public const string Loinc = "http://loinc.org";
    public static readonly string[] ItemCodes = ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"];
    public static readonly string[] AnswerCodes = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"];

    public static string Json(object o) => JsonSerializer.Serialize(o);

    public static string Patient(string id, string? birthDate = "1980-06-15", string? gender = "female", string mrn = "MRN-0001", string? version = null) =>
        Json(new Dictionary<string, object?>
        {
            ["resourceType"] = "Patient", ["id"] = id, ["meta"] = version is null ? null : new { versionId = version },
            ["identifier"] = new[] { new { system = "http://hospital.example.org/mrn", value = mrn } },
            ["name"] = new[] { new { family = "Doe", given = new[] { "Jane" } } },
            ["gender"] = gender, ["birthDate"] = birthDate,
        }.Where(p => p.Value is not null).ToDictionary());

    public static string KetamineIv(string id, string patient, string at, decimal dose = 0.5m, string unit = "mg/kg", string rxnorm = "6130",
        string routeCode = "47625008", string status = "completed") => Json(new
    {
        resourceType = "MedicationAdministration", id, status,
        medicationCodeableConcept = new { coding = new[] { new { system = "http://www.nlm.nih.gov/research/umls/rxnorm", code = rxnorm } } },
        subject = new { reference = "Patient/" + patient },
        effectiveDateTime = at,
        dosage = new
        {
            route = new { coding = new[] { new { system = "http://snomed.info/sct", code = routeCode } } },
            dose = new { value = dose, unit, system = "http://unitsofmeasure.org", code = unit },
        },
    });

    public static string ItemObservation(string id, string patient, int item, object value, string at, string status = "final") =>
        Json(new Dictionary<string, object>
        {
            ["resourceType"] = "Observation", ["id"] = id, ["status"] = status,
            ["code"] = new { coding = new[] { new { system = Loinc, code = ItemCodes[item] } } },
            ["subject"] = new { reference = "Patient/" + patient },
            ["effectiveDateTime"] = at,
            [value is int ? "valueInteger" : value is string ? "valueString" : "valueCodeableConcept"] = value,
        });

    public static object Answer(int score) => new { coding = new[] { new { system = Loinc, code = AnswerCodes[score] } } };

    public static string TotalObservation(string id, string patient, string valueProperty, object value, string at, string status = "final") =>
        Json(new Dictionary<string, object>
        {
            ["resourceType"] = "Observation", ["id"] = id, ["status"] = status,
            ["code"] = new { coding = new[] { new { system = Loinc, code = "44261-6" } } },
            ["subject"] = new { reference = "Patient/" + patient },
            ["effectiveDateTime"] = at,
            [valueProperty] = value,
        });

    public static string QuestionnaireResponse(string id, string patient, int[] scores, string at, int? total = null, string status = "completed",
        IEnumerable<int>? order = null, string[]? derivedFrom = null) => Json(new
    {
        resourceType = "QuestionnaireResponse", id, status, questionnaire = "http://loinc.org/q/44249-1",
        subject = new { reference = "Patient/" + patient },
        authored = at,
        item = (order ?? Enumerable.Range(0, scores.Length)).Select(i => (object)new
            {
                linkId = "/44249-1/" + ItemCodes[i],
                answer = new[] { new { valueCoding = new { system = Loinc, code = AnswerCodes[scores[i]] } } },
            })
            .Concat(total is null ? [] : [new { linkId = "/44261-6", answer = new[] { new { valueInteger = total.Value } } }])
            .ToArray(),
    });
}
