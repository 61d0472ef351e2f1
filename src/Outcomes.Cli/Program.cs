using System.CommandLine;
using Outcomes.Cli.Contract;
using Outcomes.Cli.Demo;

var root = new RootCommand("outcomes: ketamine / esketamine outcomes analytics from the command line")
{
    DemoCommand.Create(),
    ContractCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
