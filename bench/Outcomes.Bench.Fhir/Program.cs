using System.CommandLine;
using Outcomes.Bench.Fhir;

// Writes a synthetic FHIR R4 Bulk Data export for timing `outcomes fhir convert` (docs/benchmarks.md); the
// conversion itself is timed by running the CLI under /usr/bin/time -v, as a clinic would run it.
var resources = new Option<long>("--resources", "-n") { Description = "Resources to write (about 60 per patient)", DefaultValueFactory = _ => 1_000_000 };
var output = new Option<string>("--out", "-o") { Description = "Folder to write the export to (one .ndjson file per resource type)", DefaultValueFactory = _ => "bench/data/fhir-export" };
var seed = new Option<int>("--seed") { Description = "Seed: the same seed writes the same files", DefaultValueFactory = _ => 42 };
var root = new RootCommand("Generate a synthetic FHIR R4 Bulk Data export of ketamine patients") { resources, output, seed };
root.SetAction(parse =>
{
    var written = BulkExport.Write(parse.GetValue(output)!, parse.GetValue(resources), parse.GetValue(seed));
    parse.InvocationConfiguration.Output.WriteLine($"wrote {written.Resources} resources for {written.Patients} patients ({written.Bytes / 1e6:F0} MB) to {parse.GetValue(output)}");
    return 0;
});
return root.Parse(args).Invoke();
