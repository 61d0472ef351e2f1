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
        command.Action = new StatsAction((parse, warn) =>
        {
            var timeColumn = parse.GetRequiredValue(time);
            var eventColumn = parse.GetRequiredValue(status);
            var covariateColumns = parse.GetRequiredValue(covariates);
            var columns = CsvColumns.Read(parse.GetRequiredValue(csv), [timeColumn, eventColumn, .. covariateColumns]);

            var coded = covariateColumns.Select(c => Covariate(columns, c)).ToList();
            var coefficients = coded.Sum(c => c.Coefficients);
            if (coefficients > StatsLimits.CoxCoefficients)
                throw new StatsInputException(
                    $"--covariates give {StatsLimits.Show(coefficients)} coefficients (a numeric column gives one, a factor its levels " +
                    $"minus one): a Cox model has at most {StatsLimits.Show(StatsLimits.CoxCoefficients)}");
            var design = DesignMatrix.FromColumns([.. coded.Select(c => c.Column)]);
            var fit = CoxRegression.Fit(
                columns.Times(timeColumn),
                [.. columns.Events(eventColumn).Select(e => e == 1)],
                design,
                new CoxOptions { Ties = parse.GetRequiredValue(ties) == "breslow" ? CoxTies.Breslow : CoxTies.Efron });
            if (columns.DroppedRowsNote is { } dropped) warn(dropped);
            foreach (var warning in fit.Warnings) warn(warning);
            return new CoxReport(columns.DroppedRows, fit.N, fit.Events, fit.Coefficients, fit.Tests);
        });
        return command;
    }

    private static (DesignColumn Column, int Coefficients) Covariate(CsvColumns columns, string name)
    {
        if (columns.IsNumeric(name)) return (DesignColumn.Numeric(name, columns.Numbers(name)), 1);
        var levels = columns.DistinctCount(name, StatsLimits.FactorLevels);
        if (levels > StatsLimits.FactorLevels)
            throw new StatsInputException(
                $"column '{name}' is a factor with more than {StatsLimits.Show(StatsLimits.FactorLevels)} levels: a factor covariate " +
                $"may have at most {StatsLimits.Show(StatsLimits.FactorLevels)} (a column of subject keys or of numbers written as " +
                "text is read as a factor)");
        var labels = columns.Labels(name);
        if (levels < 2)
            throw new StatsInputException(
                $"column '{name}' is a factor with one level ({Printable.Quote(labels[0])}): a factor covariate needs two or more levels");
        return (DesignColumn.Factor(name, labels), levels - 1);
    }
}

/// <summary>The JSON of <c>outcomes stats cox</c>: the fit without its likelihoods, iterations and covariance.</summary>
internal sealed record CoxReport(int DroppedRows, int N, int Events, IReadOnlyList<CoxCoefficient> Coefficients, CoxTests Tests);
