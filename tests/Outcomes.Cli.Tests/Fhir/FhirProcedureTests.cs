using System.Text.Json.Nodes;
using Outcomes.Cli.Fhir;
using Outcomes.Contracts;
using static Outcomes.Cli.Tests.Fhir.Fhir;

namespace Outcomes.Cli.Tests.Fhir;

/// A Procedure is a session only through an administration that is part of it, or with the protocol the clinic
/// declared for its code (FHIR's Procedure has no dose); otherwise skipped naming the setting.
public sealed class FhirProcedureTests
{
    private const string At = "2026-03-02T09:30:00-05:00";
    private const string Cpt = "http://www.ama-assn.org/go/cpt";
    private const string MarkedAt = "2026-03-10T08:00:00Z";
    private static readonly string Skipped = "Procedure: no administration and no dose: a Procedure is a session only when the mapping file's " +
        "procedureProtocols declares the protocol of its code";

    private static readonly FhirMappingOptions WithProtocol = FhirMappingOptions.Default with
    {
        ProcedureProtocols = [new ProcedureProtocol(Cpt + "|96365", Modality.IvKetamine, 0.5m, DoseUnit.MilligramsPerKilogram, Route.Intravenous)],
    };

    private static string Procedure(string id, string at, string status = "completed", string version = "1", string? lastUpdated = null) =>
        Json(new Dictionary<string, object?>
        {
            ["resourceType"] = "Procedure", ["id"] = id, ["status"] = status,
            ["meta"] = lastUpdated is null ? new { versionId = version } : new { versionId = version, lastUpdated },
            ["code"] = new { coding = new[] { new { system = Cpt, code = "96365" } }, text = "IV infusion" },
            ["usedCode"] = new[] { new { coding = new[] { new { system = "http://www.nlm.nih.gov/research/umls/rxnorm", code = "6130" } } } },
            ["subject"] = new { reference = "Patient/p1" },
            ["performedPeriod"] = new { start = at, end = "2026-03-02T10:10:00-05:00" },
        });

    private static string AdministrationPartOf(string id, string procedure, string status = "completed")
    {
        var node = JsonNode.Parse(KetamineIv(id, "p1", At, status: status))!.AsObject();
        node["partOf"] = new JsonArray(new JsonObject { ["reference"] = "Procedure/" + procedure });
        node["meta"] = new JsonObject { ["versionId"] = status == "completed" ? "1" : "2", ["lastUpdated"] = MarkedAt };
        return node.ToJsonString();
    }

    private static FhirRun Run(FhirMappingOptions? options, params string[] resources) =>
        FhirRun.ConvertFiles(options, (".ndjson", string.Join('\n', [Patient("p1"), .. resources])));

    [Fact]
    public void AdministrationPartOfAProcedure_OneSession_TheProcedureConsumedWithoutSkipNoise()
    {
        // Unprotected: with a declared protocol and no partOf, the Procedure would be a second session beside the administration.
        var twice = Run(WithProtocol, KetamineIv("ma1", "p1", At), Procedure("pr1", At));
        var run = Run(WithProtocol, AdministrationPartOf("ma1", "pr1"), Procedure("pr1", At));

        Assert.Equal(2, twice.OfType("treatment-session-given").Count());
        var session = Assert.Single(run.OfType("treatment-session-given"));
        Assert.Equal("iv-ketamine", session.Text("modality"));
        Assert.DoesNotContain(run.Report.Skipped.Keys, k => k.StartsWith("Procedure", StringComparison.Ordinal));
        Assert.Equal(0, run.Flagged("session from a Procedure: modality, dose and route from the clinic's procedureProtocols"));
    }

    [Fact]
    public void ProcedureAlone_WithoutADeclaredProtocol_SkippedNamingTheSetting_NeverAnInventedDose()
    {
        var run = Run(null, KetamineIv("ma1", "p1", "2026-03-05T09:30:00-05:00"), Procedure("pr1", At));

        Assert.Single(run.OfType("treatment-session-given"));
        Assert.Equal(1, run.Skipped(Skipped));
        Assert.Empty(FhirMappingOptions.Default.ProcedureProtocols);
    }

    [Fact]
    public void ProcedureAlone_WithTheClinicsProtocol_ASessionWithTheProtocolsDose_CountedInTheReport()
    {
        var run = Run(WithProtocol, Procedure("pr1", At));

        var session = Assert.Single(run.OfType("treatment-session-given"));
        Assert.Equal(("iv-ketamine", "0.5", "mg/kg", "intravenous"),
            (session.Text("modality"), session.Text("dose"), session.Text("doseUnit"), session.Text("route")));
        Assert.Equal(DateTimeOffset.Parse(At), session.OccurredAt);
        Assert.Equal(1, run.Flagged("session from a Procedure: modality, dose and route from the clinic's procedureProtocols"));
        Assert.Single(run.OfType("patient-enrolled"));
    }

    [Fact]
    public void ProcedureOfAnotherDrugOrNotCompleted_Skipped()
    {
        var other = Procedure("pr1", At).Replace("\"6130\"", "\"36437\"", StringComparison.Ordinal).Replace("96365", "96374", StringComparison.Ordinal);
        var run = Run(WithProtocol, KetamineIv("ma1", "p1", At), other, Procedure("pr2", At, "in-progress"));

        Assert.Equal(1, run.Skipped("Procedure: not a ketamine or esketamine session"));
        Assert.Equal(1, run.Skipped("Procedure: status in-progress: not a completed procedure"));
    }

    [Fact]
    public void ProtocolSessionEnteredInError_Retracted_WithoutAProtocol_NothingToRetract()
    {
        var stored = Assert.Single(Run(WithProtocol, Procedure("pr1", At)).OfType("treatment-session-given"));
        var marked = Procedure("pr1", At, "entered-in-error", "2", MarkedAt);

        var run = Run(WithProtocol, KetamineIv("ma1", "p1", "2026-03-05T09:30:00-05:00"), marked);
        var without = Run(null, KetamineIv("ma1", "p1", "2026-03-05T09:30:00-05:00"), marked);

        Assert.Equal(stored.Text("eventId"), Assert.Single(run.OfType("fact-retracted")).Text("retractedEventId"));
        Assert.Empty(without.OfType("fact-retracted"));
        Assert.Equal(1, without.Skipped("Procedure: entered-in-error: no procedureProtocols entry for its code, so it gave no session"));
    }

    [Fact]
    public void AdministrationPartOfAProcedureEnteredInError_ItsSessionRetracted_TheProcedureNoNewSession()
    {
        var stored = Assert.Single(Run(WithProtocol, AdministrationPartOf("ma1", "pr1"), Procedure("pr1", At)).OfType("treatment-session-given"));

        var run = Run(WithProtocol, AdministrationPartOf("ma1", "pr1", "entered-in-error"), Procedure("pr1", At));

        Assert.Empty(run.OfType("treatment-session-given"));
        Assert.Equal(stored.Text("eventId"), Assert.Single(run.OfType("fact-retracted")).Text("retractedEventId"));
    }

    [Theory]
    [InlineData("""{"procedureProtocols":[{"code":"96365","modality":"iv-ketamine","dose":0.5,"doseUnit":"mg/kg","route":"intravenous"}]}""",
        "--mapping: $.procedureProtocols[0].code: required, as \"system|code\"")]
    [InlineData("""{"procedureProtocols":[{"code":"c|1","modality":"iv-ketamine","dose":0.5,"doseUnit":"mg/kg","route":"intranasal"}]}""",
        "--mapping: $.procedureProtocols[0].route: the route does not give the modality")]
    [InlineData("""{"procedureProtocols":[{"code":"c|1","modality":"iv-ketamine","dose":7,"doseUnit":"mg/kg","route":"intravenous"}]}""",
        "--mapping: $.procedureProtocols[0].dose: dose must be greater than 0 and at most 5 mg/kg")]
    [InlineData("""{"procedureProtocols":[{"code":"c|1","modality":"ketamine-assisted-psychotherapy","dose":1,"doseUnit":"mg/kg","route":"intravenous"}]}""",
        "--mapping: $.procedureProtocols[0].route: the route does not give the modality")]
    // JSON null for a list, a group or an element: once a NullReferenceException, now refused by name.
    [InlineData("""{"procedureProtocols":null}""", "--mapping: $.procedureProtocols: required, a list of protocols ([] for none), not null")]
    [InlineData("""{"procedureProtocols":[null]}""", "--mapping: $.procedureProtocols[0]: a protocol is required")]
    [InlineData("""{"ketamineRxNorm":null}""", "--mapping: $.ketamineRxNorm: required, a list of codes")]
    [InlineData("""{"esketamineRxNorm":["2201623",null]}""", "--mapping: $.esketamineRxNorm[1]: a code is required, not null or blank")]
    [InlineData("""{"bipolar":null}""", "--mapping: $.bipolar: required, an object with the lists icd10Cm and snomed")]
    [InlineData("""{"ptsd":{"icd10Cm":["F43.1"]}}""", "--mapping: $.ptsd.snomed: required, a list of codes ([] for none), not null or left out")]
    [InlineData("""{"majorDepressive":{"icd10Cm":[null],"snomed":[]}}""", "--mapping: $.majorDepressive.icd10Cm[0]: a code is required")]
    public void MappingFile_ProtocolOrListBreakingARule_RefusedNamingTheFieldAndTheRule(string json, string problem)
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, json);
            var (options, refused) = FhirMappingOptions.FromFile(path);

            Assert.Null(options);
            Assert.StartsWith(problem, refused, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
