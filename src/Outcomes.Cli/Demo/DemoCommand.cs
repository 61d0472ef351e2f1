using System.CommandLine;
using System.Globalization;
using Outcomes.Cli.Options;
using Outcomes.Cli.Publishing;
using Outcomes.Contracts;
using RabbitMQ.Client.Exceptions;
using Spectre.Console;

namespace Outcomes.Cli.Demo;

/// <summary>
/// <c>outcomes demo</c>: publishes a synthetic multi-clinic cohort over AMQP exactly as a non-.NET EHR
/// integration would, or writes it as JSON lines with <c>--dry-run</c>.
/// </summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var patients = new Option<int>("--patients", "-n") { Description = "Number of patients to simulate", DefaultValueFactory = _ => 500 };
        var seed = new Option<long>("--seed") { Description = "Seed: the same seed gives byte-identical messages", DefaultValueFactory = _ => 42 };
        var clinics = new Option<int>("--clinics") { Description = "Number of clinics (clinic-a, clinic-b, ...)", DefaultValueFactory = _ => 4 };
        var until = new Option<DateOnly?>("--until")
        {
            Description = $"End of the simulated period, yyyy-MM-dd (UTC): every fact happens before it [default: {DemoSettings.DefaultUntil:yyyy-MM-dd}, " +
                "fixed so that a seed gives the same feed on any day]",
            CustomParser = result =>
            {
                var text = result.Tokens.Single().Value;
                if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                    return date;
                result.AddError($"--until must be a date as yyyy-MM-dd, got '{text}'");
                return null;
            },
        };
        var shuffle = new Option<bool>("--shuffle") { Description = "Publish in a seeded random order, to exercise out-of-order handling" };
        var duplicates = new Option<double>("--duplicates") { Description = "Fraction of messages re-sent later with the same event id (0-1)" };
        var invalid = new Option<double>("--invalid") { Description = "Approximate fraction of deliberately invalid messages, of various kinds (0-1)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Write the messages as JSON lines with their routing keys instead of publishing" };
        var output = new Option<string?>("--out", "-o")
        {
            Description = "Write the feed to this file instead of publishing it ('-' for standard output): NDJSON for `outcomes load` " +
                "(POST /api/v1/ingestion/batches), or with --dry-run the annotated JSON lines",
        };
        var amqp = BrokerOption.Create();
        var window = new Option<int>("--window")
        {
            Description = "Publishes awaiting a broker confirm at once",
            DefaultValueFactory = _ => ClinicEventPublisher.DefaultWindow,
        };

        var command = new Command("demo", "Publish a synthetic multi-clinic ketamine cohort to the Outcomes exchange, as a clinic integration would")
        {
            patients, seed, clinics, until, shuffle, duplicates, invalid, dryRun, output, amqp, window,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var console = new Writers(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            var settings = new DemoSettings
            {
                Patients = parse.GetValue(patients),
                Seed = parse.GetValue(seed),
                Clinics = parse.GetValue(clinics),
                Until = parse.GetValue(until) ?? DemoSettings.DefaultUntil,
                Shuffle = parse.GetValue(shuffle),
                Duplicates = parse.GetValue(duplicates),
                Invalid = parse.GetValue(invalid),
            };
            var problems = settings.Violations(DateOnly.FromDateTime(DateTime.UtcNow)).ToList();
            if (parse.GetValue(dryRun) && string.IsNullOrEmpty(parse.GetValue(output)))
                problems.Add("--dry-run needs --out FILE (or --out - for standard output)");
            if (parse.GetValue(window) < 1)
                problems.Add($"--window must be at least 1, got {parse.GetValue(window)}");
            if (problems.Count > 0)
            {
                foreach (var problem in problems) console.Error.WriteLine(problem);
                return 1;
            }

            if (!parse.GetValue(dryRun) && parse.GetValue(output) is { Length: > 0 } bulkFile)
                return WriteForBulkLoad(settings, bulkFile, console);
            var messages = DemoFeed.Messages(settings);
            if (parse.GetValue(dryRun))
                return WriteDryRun(messages, parse.GetValue(output)!, console);

            if (BrokerOption.Resolve(parse, amqp, out var brokerProblem) is not { } nodes)
            {
                console.Error.WriteLine(brokerProblem);
                return 1;
            }
            return await PublishAsync(messages, nodes, parse.GetValue(window), console, cancellationToken);
        });
        return command;
    }


    private sealed record Writers(TextWriter Output, TextWriter Error);

    private static int WriteDryRun(IReadOnlyList<DemoMessage> messages, string path, Writers console)
    {
        if (path == "-")
        {
            using var stdout = Console.OpenStandardOutput();
            DryRunFile.Write(stdout, messages);
        }
        else
        {
            using var file = File.Create(path);
            DryRunFile.Write(file, messages);
        }
        // With the feed on standard output, the status line must not mix into it.
        var status = path == "-" ? console.Error : console.Output;
        status.WriteLine($"dry run: {messages.Count} messages ({Describe(messages)}) written to {(path == "-" ? "standard output" : path)}");
        return 0;
    }

    private static int WriteForBulkLoad(DemoSettings settings, string path, Writers console)
    {
        long written;
        using (var stream = path == "-" ? Console.OpenStandardOutput() : File.Create(path))
        using (var buffered = new BufferedStream(stream, 1 << 16))
            written = DryRunFile.WriteForBulkLoad(buffered, DemoFeed.ForBulkLoad(settings));
        var status = path == "-" ? console.Error : console.Output;
        status.WriteLine($"wrote {written} messages for {settings.Patients} patients to {(path == "-" ? "standard output" : path)}; " +
            "load them with: outcomes load FILE --url http://HOST:PORT --token TOKEN");
        return 0;
    }

    private static async Task<int> PublishAsync(IReadOnlyList<DemoMessage> messages, IReadOnlyList<Uri> nodes, int window, Writers console,
        CancellationToken cancellationToken)
    {
        var broker = $"{BrokerAddress.Describe(nodes)}{nodes[0].AbsolutePath}";
        console.Output.WriteLine($"publishing {messages.Count} messages ({Describe(messages)}) to {WireContract.Exchange} on {broker}");
        PublishSummary summary;
        try
        {
            await using var publisher = await ClinicEventPublisher.ConnectAsync(nodes, window, cancellationToken: cancellationToken);
            await publisher.EnsureQueueExistsAsync(cancellationToken: cancellationToken);
            var outgoing = messages.Select(m => m.ToOutgoing());
            // Spectre draws a bar only on a terminal; redirected, it prints little and never 100%, so the
            // final status line below is what a log or a script reads.
            var terminal = !Console.IsOutputRedirected && ReferenceEquals(console.Output, Console.Out);
            summary = !terminal
                ? await publisher.PublishAsync(outgoing, cancellationToken: cancellationToken)
                : await AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(),
                        new RemainingTimeColumn())
                    .StartAsync(async context =>
                    {
                        var task = context.AddTask("confirmed", maxValue: messages.Count);
                        return await publisher.PublishAsync(outgoing, new ProgressTaskReporter(task), cancellationToken);
                    });
        }
        catch (BrokerUnreachableException e)
        {
            console.Error.WriteLine($"Cannot connect to RabbitMQ at {broker}: {e.InnerException?.Message ?? e.Message}");
            return 1;
        }
        catch (IngestionTopologyMissingException e)
        {
            console.Error.WriteLine(e.Message);
            return 1;
        }
        catch (OperationInterruptedException e)
        {
            console.Error.WriteLine($"The broker closed the channel: {e.ShutdownReason?.ReplyText ?? e.Message}");
            return 1;
        }

        console.Output.WriteLine(
            $"sent {summary.Sent}, confirmed {summary.Confirmed}, returned {summary.Returned}, nacked {summary.Nacked}, " +
            $"{summary.ConfirmedPerSecond:F0} msg/s, elapsed {summary.Elapsed.TotalSeconds:F2} s");
        if (summary.Returned > 0)
        {
            console.Error.WriteLine(
                $"{summary.Returned} messages were unroutable ({summary.FirstReturn}): no queue is bound to {WireContract.Exchange} " +
                "for them. Start the Outcomes service once so that it declares its topology.");
            return 1;
        }
        if (summary.Nacked > 0)
        {
            console.Error.WriteLine($"The broker refused {summary.Nacked} messages (negative acknowledgement); they were not stored.");
            return 1;
        }
        return 0;
    }

    private static string Describe(IReadOnlyList<DemoMessage> messages)
    {
        var invalid = messages.Count(m => m.Invalid is not null);
        var duplicates = messages.Count(m => m.Duplicate);
        return $"{messages.Count - invalid - duplicates} facts, {duplicates} duplicates, {invalid} invalid";
    }

    private sealed class ProgressTaskReporter(ProgressTask task) : IProgress<PublishProgress>
    {
        public void Report(PublishProgress value) => task.Value = value.Confirmed;
    }
}
