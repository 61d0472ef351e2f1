namespace Outcomes.Domain.Exports;

/// The re-identification risk of a released table as ARX reports it under the prosecutor model (the attacker knows
/// the target is in the release): each record's risk is 1 / the size of its class. Highest risk = 1 / the smallest
/// class; average risk = classes / records; records at risk = the share of records whose risk exceeds the threshold.
public sealed record ReidentificationRisk(string Model, int Records, int Classes, int SmallestClass, double HighestRisk, double AverageRisk,
    double Threshold, double RecordsAtRisk)
{
    public static ReidentificationRisk Prosecutor(IEnumerable<SubjectAttributes> released, double threshold)
    {
        ArgumentNullException.ThrowIfNull(released);
        var classes = released.GroupBy(r => r).Select(g => g.Count()).ToArray();
        var records = classes.Sum();
        if (records == 0) return new ReidentificationRisk("prosecutor", 0, 0, 0, 0, 0, threshold, 0);
        var smallest = classes.Min();
        var atRisk = classes.Where(size => 1.0 / size > threshold).Sum();
        return new ReidentificationRisk("prosecutor", records, classes.Length, smallest, Round(1.0 / smallest),
            Round((double)classes.Length / records), threshold, Round((double)atRisk / records));
    }

    internal static double Round(double value) => Math.Round(value, 6, MidpointRounding.ToEven);
}

/// How many released subjects have a generalised value in one column.
public sealed record ColumnGeneralised(string Column, int Subjects);

/// What the anonymisation did to the release's whole exportable population (every clinic), stated in every manifest.
/// AnalysisVariablesIntact: the share of released subjects whose modality was kept (baseline severity and every
/// outcome column are never generalised).
public sealed record ReleaseDeidentification(int Population, int Released, int Suppressed, IReadOnlyList<Release.Generalisation> Steps,
    IReadOnlyList<ColumnGeneralised> GeneralisedColumns, double AnalysisVariablesIntact, ReidentificationRisk Risk)
{
    public static ReleaseDeidentification Of(Release.Plan plan, IReadOnlyList<SubjectAttributes> population, double riskThreshold)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(population);
        var released = Enumerable.Range(0, population.Count).Where(i => plan.Levels[i] != Release.Suppressed)
            .Select(i => (Fine: population[i], Released: plan.Released(population[i], i))).ToList();
        var intact = released.Count == 0 ? 1.0 : (double)released.Count(r => !Release.ModalityWithheld(r.Released)) / released.Count;
        return new ReleaseDeidentification(population.Count, released.Count, plan.SuppressedSubjects, plan.Generalisations,
            Columns(released), Math.Round(intact, 4), ReidentificationRisk.Prosecutor(released.Select(r => r.Released), riskThreshold));
    }

    /// Per quasi-identifier column, how many of the subjects have a released value other than their own.
    public static IReadOnlyList<ColumnGeneralised> Columns(IReadOnlyCollection<(SubjectAttributes Fine, SubjectAttributes Released)> subjects)
    {
        ArgumentNullException.ThrowIfNull(subjects);
        return Release.QuasiIdentifierColumns.Select((column, c) => new ColumnGeneralised(column, subjects.Count(s => c switch
        {
            0 => s.Fine.AgeBand != s.Released.AgeBand,
            1 => s.Fine.Sex != s.Released.Sex,
            2 => s.Fine.DiagnosisGroup != s.Released.DiagnosisGroup,
            3 => s.Fine.PriorFailedTrials != s.Released.PriorFailedTrials,
            4 => s.Fine.Modality != s.Released.Modality,
            5 => s.Fine.EnrolmentYear != s.Released.EnrolmentYear,
            _ => s.Fine.FirstSessionYear != s.Released.FirstSessionYear,
        }))).ToArray();
    }
}

/// What this export holds of the release: its subjects, how many of them carry a generalised value (and in which
/// columns), how many subjects of the caller's clinics the release suppressed (whatever the filter: a count that
/// depended on the filter would tell how many removed subjects match it), and the day jitter of its event rows.
public sealed record ExportDeidentification(int Subjects, int GeneralisedSubjects, IReadOnlyList<ColumnGeneralised> GeneralisedColumns,
    int SuppressedInScope, int DayJitterDays);
