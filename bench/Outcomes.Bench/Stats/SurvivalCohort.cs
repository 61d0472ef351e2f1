namespace Outcomes.Bench.Stats;

/// <summary>
/// Days from first session to response in three treatment arms, censored at the end of follow-up (1 to 365
/// days): the data of the Kaplan-Meier and log-rank benchmark.
/// </summary>
/// <param name="Time">Days to response or censoring, on the grid 1/<c>perDay</c> of a day.</param>
/// <param name="Status">1 = responded, 0 = censored.</param>
/// <param name="Arm">Treatment arm.</param>
internal sealed record SurvivalCohort(double[] Time, int[] Status, string[] Arm)
{
    private static readonly string[] Arms = ["esketamine", "ketamine-im", "ketamine-iv"];
    private static readonly double[] MeanDaysToResponse = [90, 75, 60];

    public int Count => Time.Length;

    /// <param name="subjects">Number of subjects.</param>
    /// <param name="perDay">Time resolution: 1 for whole days (the clinic's unit), 1000 for a 1.44-minute grid.</param>
    /// <param name="seed">Seed of the draws.</param>
    public static SurvivalCohort Generate(int subjects, int perDay, int seed)
    {
        var random = new Random(seed);
        var time = new double[subjects];
        var status = new int[subjects];
        var arm = new string[subjects];
        for (var i = 0; i < subjects; i++)
        {
            var a = random.Next(Arms.Length);
            var response = random.Exponential(MeanDaysToResponse[a]);
            var followUp = 1 + 364 * random.NextDouble();
            arm[i] = Arms[a];
            status[i] = response <= followUp ? 1 : 0;
            time[i] = SeededDraws.CeilingTo(Math.Min(response, followUp), perDay);
        }
        return new SurvivalCohort(time, status, arm);
    }

    public void WriteCsv(string path) =>
        CsvFile.Write(path, "time,status,arm", Count, (writer, i) =>
        {
            writer.Write(CsvFile.Number(Time[i]));
            writer.Write(Status[i] == 1 ? ",1," : ",0,");
            writer.Write(Arm[i]);
        });
}
