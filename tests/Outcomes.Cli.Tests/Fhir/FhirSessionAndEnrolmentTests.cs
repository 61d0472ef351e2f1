using System.CommandLine;
using Outcomes.Cli.Fhir;
using static Outcomes.Cli.Tests.Fhir.Fhir;

namespace Outcomes.Cli.Tests.Fhir;

public sealed class FhirSessionAndEnrolmentTests
{
    private const string At = "2026-03-02T09:30:00-05:00";

    [Theory]
    [InlineData("6130", "47625008", 0.5, "mg/kg", "iv-ketamine", "intravenous")]
    [InlineData("6130", "78421000", 50, "mg", "im-ketamine", "intramuscular")]
    [InlineData("6130", "37839007", 200, "mg", "oral-ketamine", "sublingual")]
    [InlineData("6130", "26643006", 150, "mg", "oral-ketamine", "oral")]
    [InlineData("2201625", "46713006", 84, "mg", "intranasal-esketamine", "intranasal")]
    public void Administration_ModalityFromMedicationAndRoute(string rxnorm, string route, double dose, string unit, string modality, string wireRoute)
    {
        var run = FhirRun.ConvertNdjson([Patient("p1"), KetamineIv("ma1", "p1", At, (decimal)dose, unit, rxnorm, route)]);

        var session = Assert.Single(run.OfType("treatment-session-given"));
        Assert.Equal(modality, session.Text("modality"));
        Assert.Equal(wireRoute, session.Text("route"));
        Assert.Equal(unit, session.Text("doseUnit"));
        Assert.Equal(modality, Assert.Single(run.OfType("patient-enrolled")).Text("modality"));
    }

    [Theory]
    [InlineData("6130", "46713006", 50, "mg", "ketamine by route intranasal has no contract modality")]
    [InlineData("2201625", "47625008", 56, "mg", "esketamine by route intravenous has no contract modality")]
    [InlineData("6130", "47625008", 5, "mL", "dose unit 'mL' is not mg or mg/kg (a volume needs the concentration)")]
    [InlineData("6130", "47625008", 6, "mg/kg", "dose must be greater than 0 and at most 5 mg/kg")]
    [InlineData("6130", "47625008", 1500, "mg", "dose must be greater than 0 and at most 1000 mg")]
    [InlineData("6130", "999999", 0.5, "mg/kg", "route not recognised")]
    [InlineData("36437", "26643006", 50, "mg", "medication is not ketamine or esketamine (RxNorm lists)")]
    public void Administration_ThatFitsNoContractSession_SkippedWithReason(string rxnorm, string route, double dose, string unit, string reason)
    {
        var run = FhirRun.ConvertNdjson([Patient("p1"), KetamineIv("ma1", "p1", At, (decimal)dose, unit, rxnorm, route)]);

        Assert.Empty(run.OfType("treatment-session-given"));
        Assert.Equal(1, run.Skipped("MedicationAdministration: " + reason));
    }

    [Fact]
    public void DoseInGramsOrMicrograms_ConvertedToMilligrams()
    {
        var run = FhirRun.ConvertNdjson([Patient("p1"), KetamineIv("ma1", "p1", At, 0.05m, "g", routeCode: "78421000"),
            KetamineIv("ma2", "p1", "2026-03-05T09:30:00-05:00", 40000m, "ug", routeCode: "78421000")]);

        Assert.Equal(["50", "40"], run.OfType("treatment-session-given").Select(s => decimal.Parse(s.Text("dose")!).ToString("0.##")));
    }

    [Fact]
    public void MedicationStatement_OneDatedDose_IsASession_APeriodIsNot()
    {
        string Statement(string id, string effective) =>
            "{\"resourceType\":\"MedicationStatement\",\"id\":\"" + id + "\",\"status\":\"completed\",\"medicationCodeableConcept\":{\"coding\":[{\"system\":\"http://www.nlm.nih.gov/research/umls/rxnorm\",\"code\":\"6130\"}]}," +
            "\"subject\":{\"reference\":\"Patient/p1\"}," + effective + ",\"dosage\":[{\"route\":{\"text\":\"by mouth\"},\"doseAndRate\":[{\"doseQuantity\":{\"value\":100,\"unit\":\"mg\"}}]}]}";
        var run = FhirRun.ConvertNdjson([Patient("p1"), Statement("ms1", "\"effectiveDateTime\":\"2026-03-02T20:00:00Z\""),
            Statement("ms2", "\"effectivePeriod\":{\"start\":\"2026-03-01\",\"end\":\"2026-04-01\"}")]);

        Assert.Equal("oral-ketamine", Assert.Single(run.OfType("treatment-session-given")).Text("modality"));
        Assert.Equal(1, run.Skipped("MedicationStatement: covers a period, not one session"));
    }

    [Fact]
    public void UnmatchedRxNormCodes_ListedInTheReport()
    {
        var run = FhirRun.ConvertNdjson([Patient("p1"), KetamineIv("ma1", "p1", At, rxnorm: "1234567")]);

        Assert.Equal(1, run.Report.UnmatchedRxNorm["1234567"]);
    }

    [Fact]
    public void MappingFile_AddsTheClinicsOwnRxNormCode()
    {
        var options = FhirMappingOptions.Default with { KetamineRxNorm = ["1234567"] };

        var run = FhirRun.ConvertFiles(options, (".ndjson", string.Join('\n', Patient("p1"), KetamineIv("ma1", "p1", At, rxnorm: "1234567"))));

        Assert.Single(run.OfType("treatment-session-given"));
    }

    [Fact]
    public void MappingFile_ReadFromJson_UnknownPropertyRefusedNamingIt()
    {
        var good = Path.GetTempFileName();
        var bad = Path.GetTempFileName();
        try
        {
            File.WriteAllText(good, """{ "ketamineRxNorm": ["1234567"], "majorDepressive": { "icd10Cm": ["F32"], "snomed": [] }, "patientIdentifierSystem": "urn:mrn" }""");
            File.WriteAllText(bad, """{ "ketamineRxnormCodes": ["1234567"] }""");

            var (options, problem) = FhirMappingOptions.FromFile(good);
            var (_, refused) = FhirMappingOptions.FromFile(bad);

            Assert.Null(problem);
            Assert.Equal(["1234567"], options!.KetamineRxNorm);
            Assert.Equal(FhirMappingOptions.Default.EsketamineRxNorm, options.EsketamineRxNorm);
            Assert.Equal("urn:mrn", options.PatientIdentifierSystem);
            Assert.StartsWith("--mapping:", refused);
            Assert.Contains("ketamineRxnormCodes", refused);
        }
        finally
        {
            File.Delete(good);
            File.Delete(bad);
        }
    }

    [Fact]
    public void Enrolment_AgeBandAtFirstSession_SexFromGender_CourseStartFromFirstSessionWithoutEpisode()
    {
        // 44 on the day before the first session's birthday: still 35-44.
        var run = FhirRun.ConvertNdjson([Patient("p1", birthDate: "1981-03-03", gender: "male"), KetamineIv("ma1", "p1", At),
            KetamineIv("ma2", "p1", "2026-03-05T09:30:00-05:00")]);

        var enrolment = Assert.Single(run.OfType("patient-enrolled"));
        Assert.Equal("35-44", enrolment.Text("ageBand"));
        Assert.Equal("male", enrolment.Text("sex"));
        Assert.Equal(At, enrolment.Text("occurredAt"));
        Assert.Equal("2026", enrolment.Text("enrolmentYear"));
        Assert.Equal("0", enrolment.Text("priorFailedTrials"));
        Assert.Equal(1, run.Flagged("enrolment: priorFailedTrials not recorded in FHIR: sent as 0"));
    }

    [Theory]
    [InlineData("1920-01-01", "90+")]
    [InlineData("2007-03-02", "18-24")]
    [InlineData("1990", "35-44")]
    public void Enrolment_AgeBands(string birthDate, string band)
    {
        var run = FhirRun.ConvertNdjson([Patient("p1", birthDate: birthDate), KetamineIv("ma1", "p1", At)]);

        Assert.Equal(band, Assert.Single(run.OfType("patient-enrolled")).Text("ageBand"));
    }

    [Fact]
    public void PatientUnder18AtFirstSession_NothingSent()
    {
        var run = FhirRun.ConvertNdjson([Patient("p1", birthDate: "2008-03-03"), KetamineIv("ma1", "p1", At),
            TotalObservation("t1", "p1", "valueInteger", 9, At)]);

        Assert.Empty(run.Facts);
        Assert.Equal(1, run.Skipped("MedicationAdministration: patient under 18 at the first session (the contract's age bands start at 18)"));
        Assert.Equal(1, run.Skipped("Observation: patient under 18 at the first session (the contract's age bands start at 18)"));
    }

    [Fact]
    public void BirthDateOrGenderMissing_EnrolmentWithoutAgeSkipped_SexUnknown()
    {
        var noBirthDate = FhirRun.ConvertNdjson([Patient("p1", birthDate: null), KetamineIv("ma1", "p1", At)]);
        var noGender = FhirRun.ConvertNdjson([Patient("p1", gender: null), KetamineIv("ma1", "p1", At)]);

        Assert.Empty(noBirthDate.OfType("patient-enrolled"));
        Assert.Single(noBirthDate.OfType("treatment-session-given"));
        Assert.Equal(1, noBirthDate.Skipped("Patient: birthDate missing or unreadable: no age band, no enrolment (sessions and PHQ-9 still sent)"));
        Assert.Equal("unknown", Assert.Single(noGender.OfType("patient-enrolled")).Text("sex"));
    }

    [Fact]
    public void PatientWithoutKetamineSession_NothingSent()
    {
        var run = FhirRun.ConvertNdjson([Patient("p1"), TotalObservation("t1", "p1", "valueInteger", 9, At)]);

        Assert.Empty(run.Facts);
        Assert.Equal(1, run.Skipped("Observation: patient has no ketamine or esketamine session in the input"));
    }

    [Fact]
    public void SessionWhosePatientIsNotInTheInput_Skipped()
    {
        var run = FhirRun.ConvertNdjson([KetamineIv("ma1", "p9", At)]);

        Assert.Empty(run.Facts);
        Assert.Equal(1, run.Skipped("MedicationAdministration: the subject's Patient resource is not in the input"));
    }

    private static string Condition(string id, string system, string code) =>
        "{\"resourceType\":\"Condition\",\"id\":\"" + id + "\",\"code\":{\"coding\":[{\"system\":\"" + system + "\",\"code\":\"" + code + "\"}]},\"subject\":{\"reference\":\"Patient/p1\"}}";

    [Theory]
    [InlineData("major-depressive-disorder", "F33.2")]
    [InlineData("bipolar-depression", "F33.1", "F31.4")]
    [InlineData("depression-with-ptsd", "F32.1", "F43.10")]
    [InlineData("other", "F43.10")]
    [InlineData("other")]
    public void Enrolment_DiagnosisGroupFromConditions_ByPrecedence(string group, params string[] icd10)
    {
        var conditions = icd10.Select((code, i) => Condition($"c{i}", FhirSystems.Icd10Cm, code));

        var run = FhirRun.ConvertNdjson([Patient("p1"), KetamineIv("ma1", "p1", At), .. conditions]);

        Assert.Equal(group, Assert.Single(run.OfType("patient-enrolled")).Text("diagnosisGroup"));
    }

    [Fact]
    public void Enrolment_SnomedCondition_AndTheClinicsOwnTreatmentResistantCode()
    {
        var snomed = FhirRun.ConvertNdjson([Patient("p1"), KetamineIv("ma1", "p1", At), Condition("c1", FhirSystems.Snomed, "370143000")]);
        var options = FhirMappingOptions.Default with { TreatmentResistant = new DiagnosisCodes([], ["9999001"]) };
        var local = FhirRun.ConvertFiles(options,
            (".ndjson", string.Join('\n', Patient("p1"), KetamineIv("ma1", "p1", At), Condition("c1", FhirSystems.Snomed, "9999001"))));

        Assert.Equal("major-depressive-disorder", Assert.Single(snomed.OfType("patient-enrolled")).Text("diagnosisGroup"));
        Assert.Equal("treatment-resistant-depression", Assert.Single(local.OfType("patient-enrolled")).Text("diagnosisGroup"));
    }

    private static string Episode(string status, string start, string? end) =>
        "{\"resourceType\":\"EpisodeOfCare\",\"id\":\"e1\",\"status\":\"" + status + "\",\"patient\":{\"reference\":\"Patient/p1\"},\"period\":{\"start\":\"" + start + "\"" +
        (end is null ? "" : ",\"end\":\"" + end + "\"") + "}}";

    [Theory]
    [InlineData("finished", "completed")]
    [InlineData("cancelled", "other")]
    public void EpisodeOfCare_StartsTheCourse_AndEndsIt(string status, string reason)
    {
        var run = FhirRun.ConvertNdjson([Patient("p1"), KetamineIv("ma1", "p1", At), Episode(status, "2026-02-20T08:00:00Z", "2026-04-30T17:00:00Z")]);

        Assert.Equal("2026-02-20T08:00:00+00:00", Assert.Single(run.OfType("patient-enrolled")).Text("occurredAt"));
        var ended = Assert.Single(run.OfType("course-ended"));
        Assert.Equal(reason, ended.Text("reason"));
        Assert.Equal("2026-04-30T17:00:00+00:00", ended.Text("occurredAt"));
    }

    [Fact]
    public void EpisodeOfCare_ActiveOrNotAroundTheFirstSession_NoEnd()
    {
        var active = FhirRun.ConvertNdjson([Patient("p1"), KetamineIv("ma1", "p1", At), Episode("active", "2026-02-20T08:00:00Z", null)]);
        var earlier = FhirRun.ConvertNdjson([Patient("p1"), KetamineIv("ma1", "p1", At), Episode("finished", "2025-01-01T08:00:00Z", "2025-02-01T08:00:00Z")]);

        Assert.Empty(active.OfType("course-ended"));
        Assert.Empty(earlier.OfType("course-ended"));
        Assert.Equal(At, Assert.Single(earlier.OfType("patient-enrolled")).Text("occurredAt"));
    }

    [Fact]
    public void FactInTheFuture_Skipped()
    {
        var run = FhirRun.ConvertNdjson([Patient("p1"), KetamineIv("ma1", "p1", At), KetamineIv("ma2", "p1", "2027-01-01T00:00:00Z")]);

        Assert.Single(run.OfType("treatment-session-given"));
        Assert.Equal(1, run.Skipped("treatment-session-given: occurredAt in the future"));
    }
}

public sealed class PseudonymsTests
{
    [Fact]
    public void PatientKey_KeyedHmac_NotTheIdentifier_StableForOneKey_DifferentForAnother()
    {
        var a = new Pseudonyms(FhirRun.TestKey);
        var b = new Pseudonyms("another-clinic-key-0123456789abcdef-0123456789"u8.ToArray());

        var key = a.PatientKey("http://hospital.example.org/mrn|MRN-0001");

        Assert.Matches("^pk[0-9a-f]{32}v1$", key);
        Assert.Equal(key, a.PatientKey("http://hospital.example.org/mrn|MRN-0001"));
        Assert.NotEqual(key, b.PatientKey("http://hospital.example.org/mrn|MRN-0001"));
        Assert.NotEqual(key, a.PatientKey("http://hospital.example.org/mrn|MRN-0002"));
    }

    [Fact]
    public void EventId_DeterministicVersion8Uuid()
    {
        var p = new Pseudonyms(FhirRun.TestKey);

        var id = p.EventId("clinic-a", "Observation/1|2|phq9-completed");

        Assert.Equal(id, p.EventId("clinic-a", "Observation/1|2|phq9-completed"));
        Assert.NotEqual(id, p.EventId("clinic-b", "Observation/1|2|phq9-completed"));
        Assert.NotEqual(id, p.EventId("clinic-a", "Observation/1|3|phq9-completed"));
        Assert.Equal('8', id.ToString()[14]);
    }

    [Fact]
    public void ShortKey_Refused()
    {
        Assert.Throws<ArgumentException>(() => new Pseudonyms("short"u8.ToArray()));
    }

    [Fact]
    public void PatientIdentifier_TheConfiguredSystem_ElseTheMedicalRecordNumber()
    {
        const string patient = "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"birthDate\":\"1980-01-01\",\"identifier\":[" +
            "{\"system\":\"urn:a\",\"value\":\"A-1\"},{\"type\":{\"coding\":[{\"code\":\"MR\"}]},\"system\":\"urn:z\",\"value\":\"Z-1\"}]}";
        var session = KetamineIv("ma1", "p1", "2026-03-02T09:30:00Z");
        var byType = FhirRun.ConvertNdjson([patient, session]);
        var bySystem = FhirRun.ConvertFiles(FhirMappingOptions.Default with { PatientIdentifierSystem = "urn:a" }, (".ndjson", patient + "\n" + session));
        var p = new Pseudonyms(FhirRun.TestKey);

        Assert.Equal(p.PatientKey("urn:z|Z-1"), byType.Facts[0].PatientKey);
        Assert.Equal(p.PatientKey("urn:a|A-1"), bySystem.Facts[0].PatientKey);
    }
}

public sealed class FhirCommandTests
{
    private readonly StringWriter _output = new();
    private readonly StringWriter _error = new();

    private Task<int> Run(params string[] args) =>
        new RootCommand { FhirCommand.Create() }.Parse(["fhir", .. args])
            .InvokeAsync(new InvocationConfiguration { Output = _output, Error = _error });

    [Fact]
    public async Task BadClinicMissingKeyAndInput_ExitOneNamingEachField()
    {
        var exit = await Run("convert", "--input", "/nonexistent", "--clinic", "Clinic A", "--key-file", "/nonexistent.key", "--out", "/tmp/x.ndjson");

        Assert.Equal(1, exit);
        Assert.Contains("--input: no such file or folder", _error.ToString());
        Assert.Contains("--clinic must be 2-40 lower-case letters", _error.ToString());
        Assert.Contains("--key-file: no such file", _error.ToString());
    }

    [Fact]
    public async Task NewKeyThenConvert_WritesTheLoadFileAndTheReport()
    {
        var folder = Directory.CreateTempSubdirectory("fhir-cmd-");
        try
        {
            var key = Path.Combine(folder.FullName, "clinic.key");
            var output = Path.Combine(folder.FullName, "facts.ndjson");
            var report = Path.Combine(folder.FullName, "report.json");

            Assert.Equal(0, await Run("new-key", "--out", key));
            Assert.Equal(1, await Run("new-key", "--out", key));
            Assert.Equal(0, await Run("convert", "--input", FhirRun.Resources("bulk"), "--clinic", "clinic-a", "--key-file", key,
                "--out", output, "--report", report));

            Assert.Equal(10, File.ReadAllLines(output).Length);
            Assert.Contains("\"skipped\"", File.ReadAllText(report));
            Assert.Contains("wrote 10 facts", _output.ToString());
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task PublishWithoutBroker_ExitOneSayingWhereToResume()
    {
        var folder = Directory.CreateTempSubdirectory("fhir-cmd-");
        try
        {
            var key = Path.Combine(folder.FullName, "clinic.key");
            await Run("new-key", "--out", key);

            var exit = await Run("publish", "--input", FhirRun.Resources("bulk"), "--clinic", "clinic-a", "--key-file", key, "--amqp", "amqp://guest:guest@127.0.0.1:1/");

            Assert.Equal(1, exit);
            Assert.Contains("Cannot connect to RabbitMQ", _error.ToString());
            Assert.Contains("Resume with --from-line 1", _error.ToString());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
