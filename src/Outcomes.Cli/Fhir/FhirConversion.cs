using Outcomes.Cli.Demo;
using Outcomes.Contracts;

namespace Outcomes.Cli.Fhir;

/// <summary>
/// One conversion: read every input, keep what facts need per patient (spooled), then assemble and write each
/// patient's facts as lines of `outcomes load`'s format. Converting the same input again writes the same bytes.
/// </summary>
public static class FhirConversion
{
    public static long Run(IReadOnlyList<FileInfo> files, AssemblyContext context, Stream output)
    {
        var report = context.Report;
        var inputs = new FhirInputs(report);
        var extraction = new ResourceExtraction(context.Options, context.Pseudonyms, context.Medications, report);
        using var spool = new ExtractSpool(files.Sum(f => f.Length));
        foreach (var file in files)
        foreach (var (resource, origin) in inputs.Read(file))
        {
            if (extraction.Extract(resource, origin) is { } extract) spool.Add(extract);
        }
        var facts = spool.Patients().SelectMany(patient => CourseAssembly.Assemble(patient, context));
        // Not disposed: the caller owns the output stream.
        var buffered = new BufferedStream(output, 1 << 16);
        var written = DryRunFile.WriteForBulkLoad(buffered, facts.Select(fact => DemoFeed.Serialize(fact, correlationId: null)));
        buffered.Flush();
        return written;
    }
}
