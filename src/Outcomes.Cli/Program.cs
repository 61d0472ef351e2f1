using System.CommandLine;
using Outcomes.Cli.Backfill;
using Outcomes.Cli.Contract;
using Outcomes.Cli.Demo;
using Outcomes.Cli.Exports;
using Outcomes.Cli.Fhir;
using Outcomes.Cli.Loading;
using Outcomes.Cli.Pseudonymise;
using Outcomes.Cli.Stats;
using Outcomes.Cli.Tokens;

var root = new RootCommand("outcomes: ketamine / esketamine outcomes analytics from the command line")
{
    DemoCommand.Create(),
    ContractCommand.Create(),
    StatsCommand.Create(),
    TokenCommand.Create(),
    ExportCommands.Export(),
    ExportCommands.Report(),
    LoadCommand.Create(),
    BackfillCommand.Create(),
    FhirCommand.Create(),
    PseudonymiseCommand.Create(),
};
return await Outcomes.Cli.CommandLine.RunAsync(root, args);
