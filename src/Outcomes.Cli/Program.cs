using System.CommandLine;
using Outcomes.Cli.Demo;

var root = new RootCommand("outcomes: ketamine / esketamine outcomes analytics from the command line")
{
    DemoCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
