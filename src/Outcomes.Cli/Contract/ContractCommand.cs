using System.CommandLine;
using Outcomes.Contracts;

namespace Outcomes.Cli.Contract;

/// <c>outcomes contract schemas --out DIR</c>: writes the JSON Schema of every wire message, for
/// integration engines that validate before they publish.
public static class ContractCommand
{
    public const string DefaultFolder = "docs/contract/v1";

    public static Command Create()
    {
        var output = new Option<string>("--out", "-o") { Description = "Folder to write <message-type>.schema.json into", DefaultValueFactory = _ => DefaultFolder };
        var schemas = new Command("schemas", "Write the JSON Schema of each contract v1 message") { output };
        schemas.SetAction(parse =>
        {
            var folder = parse.GetValue(output)!;
            Directory.CreateDirectory(folder);
            foreach (var (name, text) in WireSchemas.Generate())
            {
                var path = Path.Combine(folder, $"{name}.schema.json");
                File.WriteAllText(path, text);
                parse.InvocationConfiguration.Output.WriteLine(path);
            }
            return 0;
        });
        return new Command("contract", "The AMQP wire contract") { schemas };
    }
}
