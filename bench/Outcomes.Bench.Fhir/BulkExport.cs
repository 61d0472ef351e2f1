using System.Globalization;
using System.Text;

namespace Outcomes.Bench.Fhir;

/// <summary>
/// A Bulk Data export as an EHR writes one: a file per resource type, so each patient's resources are spread over
/// every file. Per patient: Patient, Condition, EpisodeOfCare, 8 ketamine administrations, 4 PHQ-9 panels (each
/// with 9 item members, a total and the difficulty item), a QuestionnaireResponse with a panel derived from it,
/// a blood pressure: 62 resources. Re-runs and corrections as an EHR's history has them: for one patient in ten the
/// QuestionnaireResponse also as a later version marked entered-in-error, for another one in ten the first
/// administration also as a later version, and for a third one in ten one panel member marked entered-in-error.
/// </summary>
public static class BulkExport
{
    public const int ResourcesPerPatient = 62;

    private static readonly string[] Items = ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"];
    private static readonly string[] Answers = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"];
    private static readonly string[] Types = ["Patient", "Condition", "EpisodeOfCare", "MedicationAdministration", "Observation", "QuestionnaireResponse"];

    public sealed record Written(long Resources, long Patients, long Bytes);

    public static Written Write(string folder, long resources, int seed)
    {
        Directory.CreateDirectory(folder);
        var writers = Types.ToDictionary(t => t, t => new StreamWriter(Path.Combine(folder, t + ".ndjson"), false, new UTF8Encoding(false), 1 << 16));
        var random = new Random(seed);
        var patients = Math.Max(1, resources / ResourcesPerPatient);
        long count = 0;
        var start = new DateTimeOffset(2024, 1, 8, 9, 0, 0, TimeSpan.FromHours(-5));
        for (var p = 0; p < patients; p++)
        {
            var pid = $"pat{p}";
            var first = start.AddDays(random.Next(0, 600)).AddMinutes(random.Next(0, 480));
            void Line(string type, string json) { writers[type].WriteLine(json); count++; }
            string Time(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

            Line("Patient", $$$$"""{"resourceType":"Patient","id":"{{{{pid}}}}","meta":{"versionId":"1"},"identifier":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}]},"system":"http://hospital.example.org/mrn","value":"MRN{{{{p:D8}}}}"}],"name":[{"family":"Family{{{{p}}}}","given":["Given{{{{p}}}}"]}],"gender":"{{{{(random.Next(2) == 0 ? "female" : "male")}}}}","birthDate":"{{{{1940 + random.Next(0, 60)}}}}-{{{{1 + random.Next(12):D2}}}}-{{{{1 + random.Next(28):D2}}}}","address":[{"line":["{{{{p}}}} Main Street"],"city":"Springfield","postalCode":"12345"}]}""");
            Line("Condition", $$$$"""{"resourceType":"Condition","id":"c{{{{p}}}}","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"{{{{(random.Next(5) == 0 ? "F31.4" : "F33.2")}}}}"}]},"subject":{"reference":"Patient/{{{{pid}}}}"}}""");
            Line("EpisodeOfCare", $$$$"""{"resourceType":"EpisodeOfCare","id":"e{{{{p}}}}","status":"finished","patient":{"reference":"Patient/{{{{pid}}}}"},"period":{"start":"{{{{Time(first.AddDays(-3))}}}}","end":"{{{{Time(first.AddDays(60))}}}}"}}""");
            for (var s = 0; s < 8; s++)
            foreach (var version in p % 10 == 5 && s == 0 ? new[] { 1, 2 } : [1])
                Line("MedicationAdministration", $$$$"""{"resourceType":"MedicationAdministration","id":"ma{{{{p}}}}-{{{{s}}}}","meta":{"versionId":"{{{{version}}}}"},"status":"completed","medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"6130","display":"ketamine"}]},"subject":{"reference":"Patient/{{{{pid}}}}"},"effectivePeriod":{"start":"{{{{Time(first.AddDays(s * 3.5))}}}}","end":"{{{{Time(first.AddDays(s * 3.5).AddMinutes(40))}}}}"},"dosage":{"route":{"coding":[{"system":"http://snomed.info/sct","code":"47625008","display":"Intravenous route"}]},"dose":{"value":0.5,"unit":"mg/kg","system":"http://unitsofmeasure.org","code":"mg/kg"}}}""");
            for (var c = 0; c < 4; c++)
            {
                var at = Time(first.AddDays(c * 7 - 1));
                var members = new StringBuilder();
                var sum = 0;
                for (var i = 0; i < 9; i++)
                {
                    var score = random.Next(4);
                    sum += score;
                    var marked = p % 10 == 3 && c == 1 && i == 4;
                    Line("Observation", $$$$"""{"resourceType":"Observation","id":"o{{{{p}}}}-{{{{c}}}}-{{{{i}}}}","meta":{"versionId":"{{{{(marked ? 2 : 1)}}}}"},"status":"{{{{(marked ? "entered-in-error" : "final")}}}}","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"survey"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"{{{{Items[i]}}}}"}]},"subject":{"reference":"Patient/{{{{pid}}}}"},"effectiveDateTime":"{{{{at}}}}","valueCodeableConcept":{"coding":[{"system":"http://loinc.org","code":"{{{{Answers[score]}}}}"}]}}""");
                    members.Append($$$$"""{"reference":"Observation/o{{{{p}}}}-{{{{c}}}}-{{{{i}}}}"},""");
                }
                Line("Observation", $$$$"""{"resourceType":"Observation","id":"o{{{{p}}}}-{{{{c}}}}-t","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"44261-6"}]},"subject":{"reference":"Patient/{{{{pid}}}}"},"effectiveDateTime":"{{{{at}}}}","valueInteger":{{{{sum}}}}}""");
                Line("Observation", $$$$"""{"resourceType":"Observation","id":"o{{{{p}}}}-{{{{c}}}}-d","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"69722-7"}]},"subject":{"reference":"Patient/{{{{pid}}}}"},"effectiveDateTime":"{{{{at}}}}","valueCodeableConcept":{"coding":[{"system":"http://loinc.org","code":"LA6572-7"}]}}""");
                Line("Observation", $$$$"""{"resourceType":"Observation","id":"o{{{{p}}}}-{{{{c}}}}","meta":{"versionId":"1"},"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"44249-1"}]},"subject":{"reference":"Patient/{{{{pid}}}}"},"effectiveDateTime":"{{{{at}}}}","hasMember":[{{{{members}}}}{"reference":"Observation/o{{{{p}}}}-{{{{c}}}}-t"},{"reference":"Observation/o{{{{p}}}}-{{{{c}}}}-d"}]}""");
            }
            var qrAt = Time(first.AddDays(35));
            var answers = string.Join(',', Enumerable.Range(0, 9).Select(i => $$$$"""{"linkId":"/44249-1/{{{{Items[i]}}}}","answer":[{"valueCoding":{"system":"http://loinc.org","code":"{{{{Answers[random.Next(4)]}}}}"}}]}"""));
            foreach (var (version, status) in p % 10 == 0 ? new[] { (1, "completed"), (2, "entered-in-error") } : [(1, "completed")])
                Line("QuestionnaireResponse", $$$$"""{"resourceType":"QuestionnaireResponse","id":"qr{{{{p}}}}","meta":{"versionId":"{{{{version}}}}"},"questionnaire":"http://loinc.org/q/44249-1","status":"{{{{status}}}}","subject":{"reference":"Patient/{{{{pid}}}}"},"authored":"{{{{qrAt}}}}","item":[{"linkId":"/44249-1","item":[{{{{answers}}}}]}]}""");
            Line("Observation", $$$$"""{"resourceType":"Observation","id":"o{{{{p}}}}-qr","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"44249-1"}]},"subject":{"reference":"Patient/{{{{pid}}}}"},"effectiveDateTime":"{{{{qrAt}}}}","derivedFrom":[{"reference":"QuestionnaireResponse/qr{{{{p}}}}"}]}""");
            Line("Observation", $$$$"""{"resourceType":"Observation","id":"bp{{{{p}}}}","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},"subject":{"reference":"Patient/{{{{pid}}}}"},"effectiveDateTime":"{{{{qrAt}}}}"}""");
        }
        foreach (var writer in writers.Values) writer.Dispose();
        var bytes = Types.Sum(t => new FileInfo(Path.Combine(folder, t + ".ndjson")).Length);
        return new Written(count, patients, bytes);
    }
}
