using System.CommandLine;
using Outcomes.Domain.Courses;

namespace Outcomes.Cli.Pseudonymise;

/// <summary>
/// <c>outcomes pseudonymise --key-file F --clinic C [RECORD-ID...]</c>: prints the patient key of each record id
/// (or of each line of standard input), one per line, in order. <c>--create-key</c> writes a new key file first.
/// </summary>
public static class PseudonymiseCommand
{
    public static Command Create()
    {
        var keyFile = new Option<string>("--key-file") { Description = "File holding the clinic's secret (base64, at least 32 bytes); keep it out of the Outcomes service's reach", Required = true };
        var clinic = new Option<string>("--clinic") { Description = "The clinic id the keys are for (part of the hash)", Required = true };
        var createKey = new Option<bool>("--create-key") { Description = "Write a new random key to --key-file (refused if the file exists)" };
        var recordIds = new Argument<string[]>("record-id") { Description = "Record ids in the clinic's system; none: read one per line from standard input", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("pseudonymise", "Print the patient key (keyed HMAC-SHA-256) of each record id")
        {
            keyFile, clinic, createKey, recordIds,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var path = parse.GetValue(keyFile)!;
            var clinicId = parse.GetValue(clinic)!;
            if (!Contracts.ContractLimits.IsClinicId(clinicId))
            {
                error.WriteLine($"--clinic: must be 2-40 lower-case letters, digits or '-', got '{clinicId}'");
                return 1;
            }
            if (parse.GetValue(createKey))
            {
                if (File.Exists(path))
                {
                    error.WriteLine($"--key-file: {path} exists; a new key would change every patient key (delete it yourself if that is meant)");
                    return 1;
                }
                File.WriteAllText(path, PatientPseudonym.NewKeyText() + "\n");
                if (!OperatingSystem.IsWindows())
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            PatientPseudonym pseudonym;
            try
            {
                pseudonym = PatientPseudonym.FromKeyFile(path);
            }
            catch (Exception ex) when (ex is IOException or FormatException or ArgumentException or UnauthorizedAccessException)
            {
                error.WriteLine($"--key-file: {ex.Message}");
                return 1;
            }
            var ids = parse.GetValue(recordIds) is { Length: > 0 } given ? given : ReadLines(Console.In);
            foreach (var id in ids)
                output.WriteLine(id.Length == 0 ? "" : pseudonym.KeyOf(clinicId, id));
            return 0;
        });
        return command;
    }

    private static IEnumerable<string> ReadLines(TextReader input)
    {
        while (input.ReadLine() is { } line)
            yield return line.TrimEnd('\r');
    }
}
