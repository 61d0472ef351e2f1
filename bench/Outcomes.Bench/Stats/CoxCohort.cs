namespace Outcomes.Bench.Stats;

/// <summary>
/// Days to response with five baseline covariates drawn independently and a true proportional-hazards
/// model behind them: the data of the Cox benchmark.
/// </summary>
/// <param name="Time">Days to response or censoring, to 0.01 day (ties occur, so Efron's correction matters).</param>
/// <param name="Responded">True = responded, false = censored at the end of follow-up.</param>
/// <param name="Covariates">One row per patient, columns as <see cref="Names"/>.</param>
internal sealed record CoxCohort(double[] Time, bool[] Responded, double[,] Covariates)
{
    public static readonly string[] Names = ["age", "female", "baseline_phq9", "esketamine", "prior_trials"];
    private static readonly double[] TrueLogHazardRatios = [-0.01, 0.15, -0.04, 0.25, -0.1];

    // Baseline hazard that puts the median time to response near 60 days at the covariates' means.
    private static readonly double BaselineHazard = Math.Log(2) / 60 * Math.Exp(1.54);

    public int Count => Time.Length;

    public static CoxCohort Generate(int patients, int seed)
    {
        var random = new Random(seed);
        var time = new double[patients];
        var responded = new bool[patients];
        var x = new double[patients, Names.Length];
        for (var i = 0; i < patients; i++)
        {
            x[i, 0] = Math.Round(18 + 62 * random.NextDouble(), 1);
            x[i, 1] = random.Bernoulli(0.6) ? 1 : 0;
            x[i, 2] = random.Next(10, 28);
            x[i, 3] = random.Bernoulli(0.4) ? 1 : 0;
            x[i, 4] = random.Next(2, 9);
            var linearPredictor = 0.0;
            for (var j = 0; j < Names.Length; j++) linearPredictor += TrueLogHazardRatios[j] * x[i, j];
            var response = random.Exponential(1 / (BaselineHazard * Math.Exp(linearPredictor)));
            var followUp = 1 + 364 * random.NextDouble();
            responded[i] = response <= followUp;
            time[i] = SeededDraws.CeilingTo(Math.Min(response, followUp), 100);
        }
        return new CoxCohort(time, responded, x);
    }

    public void WriteCsv(string path) =>
        CsvFile.Write(path, "time,status," + string.Join(',', Names), Count, (writer, i) =>
        {
            writer.Write(CsvFile.Number(Time[i]));
            writer.Write(Responded[i] ? ",1" : ",0");
            for (var j = 0; j < Names.Length; j++)
            {
                writer.Write(',');
                writer.Write(CsvFile.Number(Covariates[i, j]));
            }
        });
}
