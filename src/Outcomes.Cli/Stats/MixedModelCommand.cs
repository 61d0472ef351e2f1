using System.CommandLine;
using Outcomes.Statistics;

namespace Outcomes.Cli.Stats;

/// <summary><c>outcomes stats lmm</c>: a linear mixed model of outcome over time, fitted by REML as lme4::lmer.</summary>
internal static class MixedModelCommand
{
    public static Command Create()
    {
        var csv = StatsOptions.Csv();
        var subject = StatsOptions.Column("--subject", "Column of subject keys (one subject's rows share a key)");
        var time = StatsOptions.Column("--time", "Column of observation times (numbers), e.g. weeks since the first session");
        var outcome = StatsOptions.Column("--outcome", "Column of outcomes (numbers), e.g. the PHQ-9 total");
        var random = StatsOptions.OneOf("--random",
            "Random effects per subject: slope = outcome ~ time + (1 + time | subject); intercept = outcome ~ time + (1 | subject)",
            "slope", "intercept");

        var command = new Command("lmm", "Linear mixed model of an outcome's trajectory over time (REML, as lme4::lmer)")
        {
            csv, subject, time, outcome, random,
        };
        command.Action = new StatsAction((parse, warn) =>
        {
            var subjectColumn = parse.GetRequiredValue(subject);
            var timeColumn = parse.GetRequiredValue(time);
            var outcomeColumn = parse.GetRequiredValue(outcome);
            var columns = CsvColumns.Read(parse.GetRequiredValue(csv), [subjectColumn, timeColumn, outcomeColumn]);

            var fit = MixedModel.Fit(
                columns.Labels(subjectColumn),
                columns.Numbers(timeColumn),
                columns.Numbers(outcomeColumn),
                parse.GetRequiredValue(random) == "intercept" ? RandomEffectsTerm.Intercept : RandomEffectsTerm.InterceptAndSlope);
            if (fit.Problem is { } problem) throw new StatsInputException(problem);
            if (columns.DroppedRowsNote is { } dropped) warn(dropped);
            if (fit.Singular)
                warn("boundary (singular) fit: a random-effect variance is 0 or the intercept-slope correlation is +-1");
            return new MixedModelReport(columns.DroppedRows, fit.FixedEffects, fit.Variance, fit.LogLikelihood);
        });
        return command;
    }
}

/// <summary>The JSON of <c>outcomes stats lmm</c>: estimates, variance components and the REML log-likelihood.</summary>
internal sealed record MixedModelReport(int DroppedRows, IReadOnlyList<FixedEffect> FixedEffects, VarianceComponents Variance, double? LogLikelihood);
