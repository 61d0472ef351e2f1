using System.CommandLine;

var root = new RootCommand("outcomes: ketamine / esketamine outcomes analytics from the command line");
return root.Parse(args).Invoke();
