using System.CommandLine;
using Outcomes.Cli.Demo;
using Outcomes.Cli.Options;
using Outcomes.Cli.Publishing;
using Outcomes.Contracts;
using RabbitMQ.Client.Exceptions;

namespace Outcomes.Cli.Fhir;

/// <summary>
/// <c>outcomes fhir</c>: run at the clinic, beside its EHR. <c>convert</c> turns a FHIR R4 export into contract v1
/// facts (the `outcomes load` file), <c>publish</c> sends them over AMQP with confirms, <c>new-key</c> makes the
/// clinic's pseudonymisation key. Identifiable data never leaves the clinic: only keyed pseudonyms, bands and scores.
/// </summary>
public static class FhirCommand
{
    /// <summary>Facts published between two resume points: a stop costs at most this many re-sent facts (stored once).</summary>
    public const int FactsPerConfirmedPart = 10_000;

    /// <summary>The command; the exchange and queue are parameters so that tests publish to their own (the CLI uses the contract's).</summary>
    public static Command Create(string exchange = WireContract.Exchange, string queue = WireContract.IngestionQueue) =>
        new("fhir", "Convert a FHIR R4 export (Bulk Data NDJSON, Bundles, resources) into contract v1 facts, pseudonymised at the clinic")
        {
            Convert(), Publish(exchange, queue), NewKey(),
        };

    private sealed record CommonOptions(Option<string[]> Input, Option<string> Clinic, Option<string> KeyFile, Option<string?> Mapping,
        Option<string?> Report, Option<string?> State)
    {
        public static CommonOptions Create() => new(
            new Option<string[]>("--input", "-i")
            {
                Description = "FHIR R4 JSON: Bulk Data .ndjson files, .json resources or Bundles, or folders of them (repeatable)",
                Required = true,
                AllowMultipleArgumentsPerToken = true,
            },
            new Option<string>("--clinic") { Description = "The clinic id agreed with the Outcomes operator, e.g. clinic-a", Required = true },
            new Option<string>("--key-file") { Description = "The clinic's secret key (from `outcomes fhir new-key`); keys patients and event ids", Required = true },
            new Option<string?>("--mapping") { Description = "JSON file of code lists (RxNorm, ICD-10-CM, SNOMED CT) replacing the defaults in docs/fhir.md" },
            new Option<string?>("--report") { Description = "Also write the conversion report as JSON to this file" },
            new Option<string?>("--state")
            {
                Description = "Ledger of the enrolments and course ends sent before (created if missing; no identifiers): a later export " +
                    "that changes one sends a retraction of the old one and the new one. Keep it beside the key file for nightly runs",
            });

        public IEnumerable<Option> All => [Input, Clinic, KeyFile, Mapping, Report, State];
    }

    private static Command Convert()
    {
        var common = CommonOptions.Create();
        var output = new Option<string>("--out", "-o") { Description = "The NDJSON file to write, one {\"routingKey\",\"body\"} per line (as `outcomes load` sends)", Required = true };
        var command = new Command("convert", "Convert a FHIR R4 export into the NDJSON file of `outcomes load`, and report what was read, mapped and skipped");
        foreach (var option in common.All) command.Options.Add(option);
        command.Options.Add(output);
        command.SetAction(parse =>
        {
            var console = parse.InvocationConfiguration;
            var (files, context, problems) = Prepare(parse, common);
            if (problems.Count > 0)
            {
                foreach (var problem in problems) console.Error.WriteLine(problem);
                return 1;
            }
            var path = parse.GetValue(output)!;
            using (var stream = File.Create(path)) FhirConversion.Run(files, context!, stream);
            WriteReport(context!.Report, parse.GetValue(common.Report), console.Output);
            // The ledger records what this file holds: it is sent (`outcomes load`) before the next run.
            SaveLedger(context, parse.GetValue(common.State), console.Output);
            console.Output.WriteLine($"wrote {context.Report.Facts} facts to {path}; send them with `outcomes load {path} --url URL --token TOKEN` " +
                "or `outcomes fhir publish`");
            return 0;
        });
        return command;
    }

    private static Command Publish(string exchange, string queue)
    {
        var common = CommonOptions.Create();
        var output = new Option<string?>("--out", "-o") { Description = "Keep the converted NDJSON in this file (default: a temporary file, deleted)" };
        var amqp = BrokerOption.Create();
        var fromLine = new Option<long>("--from-line")
        {
            Description = "Start at this fact (line of the converted file) to resume after a stop; the conversion is deterministic, facts already stored are stored once",
            DefaultValueFactory = _ => 1,
        };
        fromLine.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long>() < 1) r.AddError("--from-line must be 1 or more");
        });
        var window = new Option<int>("--window") { Description = "Publishes awaiting a broker confirm at once", DefaultValueFactory = _ => ClinicEventPublisher.DefaultWindow };
        var command = new Command("publish", "Convert a FHIR R4 export and publish its facts to the Outcomes exchange over AMQP, with publisher confirms; resumable");
        foreach (var option in common.All) command.Options.Add(option);
        command.Options.Add(output);
        command.Options.Add(amqp);
        command.Options.Add(fromLine);
        command.Options.Add(window);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var console = parse.InvocationConfiguration;
            var (files, context, problems) = Prepare(parse, common);
            var nodes = BrokerOption.Resolve(parse, amqp, out var brokerProblem);
            if (nodes is null) problems.Add(brokerProblem!);
            if (parse.GetValue(window) < 1) problems.Add("--window must be at least 1");
            if (problems.Count > 0)
            {
                foreach (var problem in problems) console.Error.WriteLine(problem);
                return 1;
            }
            var keep = parse.GetValue(output);
            var path = keep ?? Path.Combine(Path.GetTempPath(), $"outcomes-fhir-{Guid.NewGuid():N}.ndjson");
            try
            {
                using (var stream = File.Create(path)) FhirConversion.Run(files, context!, stream);
                WriteReport(context!.Report, parse.GetValue(common.Report), console.Output);
                var result = await PublishFile(path, nodes!, parse.GetValue(fromLine), parse.GetValue(window), exchange, queue, cancellationToken);
                console.Output.WriteLine(result.Failure is null
                    ? $"published {result.Confirmed} facts (lines {parse.GetValue(fromLine)}-{result.NextLine - 1}), all confirmed by the broker"
                    : $"published {result.Confirmed} facts, confirmed by the broker, before the stop");
                // Only once every fact is confirmed: a stopped run leaves the ledger as it was, so the resumed or repeated
                // run sends the same facts again.
                if (result.Failure is null)
                {
                    SaveLedger(context, parse.GetValue(common.State), console.Output);
                    return 0;
                }
                console.Error.WriteLine(result.Failure);
                console.Error.WriteLine($"Resume with --from-line {result.NextLine} (the same inputs and key give the same facts; any re-sent fact is stored once).");
                return 1;
            }
            finally
            {
                if (keep is null) File.Delete(path);
            }
        });
        return command;
    }

    private static Command NewKey()
    {
        var output = new Option<string>("--out", "-o") { Description = "Where to write the new key (refused if the file exists)", Required = true };
        var command = new Command("new-key", "Create the clinic's pseudonymisation key: keep it safe and keep it, since a new key gives every patient a new key")
        {
            output,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(output)!;
            if (File.Exists(path))
            {
                parse.InvocationConfiguration.Error.WriteLine($"--out: {path} exists; a key is never overwritten (every patient key depends on it)");
                return 1;
            }
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var writer = new StreamWriter(path, options)) writer.WriteLine(Pseudonyms.NewKeyText());
            parse.InvocationConfiguration.Output.WriteLine($"wrote a new key to {path} (readable by you only); back it up with the clinic's secrets");
            return 0;
        });
        return command;
    }

    private static (IReadOnlyList<FileInfo> Files, AssemblyContext? Context, List<string> Problems) Prepare(ParseResult parse, CommonOptions common)
    {
        var problems = new List<string>();
        var (files, fileProblem) = FhirInputs.Files(parse.GetValue(common.Input) ?? []);
        if (fileProblem is not null) problems.Add(fileProblem);
        var clinic = parse.GetValue(common.Clinic);
        if (!ContractLimits.IsClinicId(clinic))
            problems.Add("--clinic must be 2-40 lower-case letters, digits or '-', starting with a letter or digit");
        var (pseudonyms, keyProblem) = Pseudonyms.FromKeyFile(parse.GetValue(common.KeyFile)!);
        if (keyProblem is not null) problems.Add(keyProblem);
        var options = FhirMappingOptions.Default;
        if (parse.GetValue(common.Mapping) is { } mappingPath)
        {
            var (read, mappingProblem) = FhirMappingOptions.FromFile(mappingPath);
            if (mappingProblem is not null) problems.Add(mappingProblem);
            options = read ?? options;
        }
        CourseLedger? ledger = null;
        if (parse.GetValue(common.State) is { } statePath)
        {
            (ledger, var stateProblem) = CourseLedger.Load(statePath);
            if (stateProblem is not null) problems.Add(stateProblem);
        }
        if (problems.Count > 0) return (files, null, problems);
        return (files, new AssemblyContext(clinic!, pseudonyms!, options, new MedicationCatalog(), new ConversionReport(), DateTimeOffset.UtcNow, ledger),
            problems);
    }

    private static void SaveLedger(AssemblyContext context, string? path, TextWriter output)
    {
        if (context.Ledger is null || path is null) return;
        context.Ledger.Save(path);
        output.WriteLine($"ledger: {context.Ledger.Count} enrolments and course ends in {path}");
    }

    private static void WriteReport(ConversionReport report, string? jsonPath, TextWriter output)
    {
        output.Write(report.ToText());
        if (jsonPath is not null) File.WriteAllText(jsonPath, report.ToJson());
    }

    /// <summary>How far a publish got: facts confirmed, the line to resume at, and why it stopped (null when done).</summary>
    public sealed record PublishResult(long Confirmed, long NextLine, string? Failure);

    /// <summary>
    /// Publishes the lines of a converted file from <paramref name="fromLine"/> on, in parts of
    /// <see cref="FactsPerConfirmedPart"/>, each fully confirmed before the next, so a stop names the first line not
    /// known to be confirmed. The exchange, queue and part size are parameters so that tests use their own.
    /// </summary>
    public static async Task<PublishResult> PublishFile(string path, IReadOnlyList<Uri> amqp, long fromLine, int window, string exchange, string queue,
        CancellationToken cancellationToken, int factsPerPart = FactsPerConfirmedPart)
    {
        long confirmed = 0, next = fromLine;
        try
        {
            await using var publisher = await ClinicEventPublisher.ConnectAsync(amqp, window, exchange, cancellationToken);
            await publisher.EnsureQueueExistsAsync(queue, cancellationToken);
            using var reader = new StreamReader(path);
            var line = 0L;
            var part = new List<OutgoingMessage>(factsPerPart);
            foreach (var message in DryRunFile.Read(reader))
            {
                if (++line < fromLine) continue;
                part.Add(message.ToOutgoing());
                if (part.Count < factsPerPart) continue;
                if (await Send(part) is { } failure) return new PublishResult(confirmed, next, failure);
            }
            if (part.Count > 0 && await Send(part) is { } last) return new PublishResult(confirmed, next, last);
            return new PublishResult(confirmed, next, null);

            async Task<string?> Send(List<OutgoingMessage> messages)
            {
                var summary = await publisher.PublishAsync(messages, cancellationToken: cancellationToken);
                if (!summary.AllConfirmed)
                    return summary.Returned > 0
                        ? $"{summary.Returned} facts were unroutable ({summary.FirstReturn}): start the Outcomes service once so that it declares its topology"
                        : $"the broker refused {summary.Nacked} facts (negative acknowledgement)";
                confirmed += summary.Confirmed;
                next += messages.Count;
                messages.Clear();
                return null;
            }
        }
        catch (BrokerUnreachableException e)
        {
            return new PublishResult(confirmed, next, $"Cannot connect to RabbitMQ at {BrokerAddress.Describe(amqp)}: {e.InnerException?.Message ?? e.Message}");
        }
        catch (IngestionTopologyMissingException e)
        {
            return new PublishResult(confirmed, next, e.Message);
        }
        catch (Exception e) when (e is OperationInterruptedException or AlreadyClosedException or IOException)
        {
            return new PublishResult(confirmed, next, $"The broker connection failed: {e.Message}");
        }
    }
}
