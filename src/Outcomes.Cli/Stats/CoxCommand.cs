using System.CommandLine;
using Outcomes.Statistics;

namespace Outcomes.Cli.Stats;

/// <summary><c>outcomes stats cox</c>: a Cox proportional hazards model, as R's summary(coxph(...)).</summary>
internal static class CoxCommand
{
    public static Command Create()
    {
        var csv = StatsOptions.Csv();
        var time = StatsOptions.Time();
        var status = StatsOptions.Event();
        var covariates = StatsOptions.Names("--covariates",
            "Comma-separated covariate columns, e.g. age,sex: a column of numbers is numeric, any other a factor " +
            "(dummy-coded against its first level in sorted order, as R does)");
        var ties = StatsOptions.OneOf("--ties", "Handling of tied event times, as coxph's ties", "efron", "breslow");

        var command = new Command("cox", "Cox proportional hazards regression: hazard ratios with Wald, likelihood-ratio and score tests")
        {
            csv, time, status, covariates, ties,
        };
        command.Action = new StatsAction((parse, warnings) =>
        {
            var timeColumn = parse.GetRequiredValue(time);
            var eventColumn = parse.GetRequiredValue(status);
            var covariateColumns = parse.GetRequiredValue(covariates);
            var columns = CsvColumns.Read(parse.GetRequiredValue(csv), [timeColumn, eventColumn, .. covariateColumns]);

            var design = DesignMatrix.FromColumns([.. covariateColumns.Select(c => Covariate(columns, c))]);
            var fit = CoxRegression.Fit(
                columns.Times(timeColumn),
                [.. columns.Events(eventColumn).Select(e => e == 1)],
                design,
                new CoxOptions { Ties = parse.GetRequiredValue(ties) == "breslow" ? CoxTies.Breslow : CoxTies.Efron });
            if (columns.DroppedRowsNote is { } dropped) warnings.WriteLine($"warning: {dropped}");
            foreach (var warning in fit.Warnings) warnings.WriteLine($"warning: {warning}");
            return new CoxReport(columns.DroppedRows, fit.N, fit.Events, fit.Coefficients, fit.Tests);
        });
        return command;
    }

    private static DesignColumn Covariate(CsvColumns columns, string name)
    {
        if (columns.IsNumeric(name)) return DesignColumn.Numeric(name, columns.Numbers(name));
        var labels = columns.Labels(name);
        var levels = labels.Distinct(StringComparer.Ordinal).Take(2).ToList();
        if (levels.Count < 2)
            throw new StatsInputException(
                $"column '{name}' is a factor with one level ('{levels[0]}'): a factor covariate needs two or more levels");
        return DesignColumn.Factor(name, labels);
    }
}

/// <summary>The JSON of <c>outcomes stats cox</c>: the fit without its likelihoods, iterations and covariance.</summary>
internal sealed record CoxReport(int DroppedRows, int N, int Events, IReadOnlyList<CoxCoefficient> Coefficients, CoxTests Tests);
