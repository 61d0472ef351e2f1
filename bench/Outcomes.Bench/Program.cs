using System.CommandLine;
using Outcomes.Bench.Stats;

var root = new RootCommand("Outcomes benchmarks: run with -c Release on a quiet machine")
{
    StatsCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
