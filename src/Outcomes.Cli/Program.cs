using System.CommandLine;
using Outcomes.Cli.Demo;
using Outcomes.Cli.Tokens;

var root = new RootCommand("outcomes: ketamine / esketamine outcomes analytics from the command line")
{
    DemoCommand.Create(),
    TokenCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
