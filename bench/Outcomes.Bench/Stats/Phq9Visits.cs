namespace Outcomes.Bench.Stats;

/// <summary>
/// Weekly PHQ-9 scores of patients whose own level and rate of improvement vary (correlated random intercept
/// and slope), rounded and clamped to the questionnaire's 0-27: the data of the mixed-model benchmark.
/// </summary>
internal sealed record Phq9Visits(int[] Patient, double[] Week, double[] Phq9)
{
    public int Count => Patient.Length;

    public static Phq9Visits Generate(int patients, int visits, int seed)
    {
        const double interceptSd = 3, slopeSd = 0.5, correlation = -0.3, residualSd = 2;
        var random = new Random(seed);
        var n = patients * visits;
        var patient = new int[n];
        var week = new double[n];
        var phq9 = new double[n];
        for (var p = 0; p < patients; p++)
        {
            var u = random.StandardNormal();
            var v = random.StandardNormal();
            var level = 18 + interceptSd * u;
            var slope = -1.2 + slopeSd * (correlation * u + Math.Sqrt(1 - correlation * correlation) * v);
            for (var w = 0; w < visits; w++)
            {
                var row = p * visits + w;
                patient[row] = p + 1;
                week[row] = w;
                phq9[row] = Math.Clamp(Math.Round(level + slope * w + residualSd * random.StandardNormal()), 0, 27);
            }
        }
        return new Phq9Visits(patient, week, phq9);
    }

    public void WriteCsv(string path) =>
        CsvFile.Write(path, "patient,week,phq9", Count, (writer, i) =>
        {
            writer.Write(Patient[i]);
            writer.Write(',');
            writer.Write(CsvFile.Number(Week[i]));
            writer.Write(',');
            writer.Write(CsvFile.Number(Phq9[i]));
        });
}
