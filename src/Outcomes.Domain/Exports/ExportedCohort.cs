using System.Globalization;
using Outcomes.Domain.Cohorts;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;

namespace Outcomes.Domain.Exports;

/// A dataset read back from an export's files: the header and the rows as text, an empty cell as null.
public sealed record ExportTable(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string?>> Rows);

/// An export's subjects as members, and for each whether the release generalised any of its values (a wider age band,
/// a withheld sex, diagnosis group or prior-trials count, modality "other", a period or a withheld year).
public sealed record ReleasedMembers(IReadOnlyList<CohortMember> Members, IReadOnlyList<bool> Generalised)
{
    /// The cohort a definition asks for among the released subjects (its filter, as a report counts its courses), and
    /// how many of them carry a generalised value: what moved of this cohort, not of the whole release.
    public (int Subjects, int Generalised) InCohort(ReportDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var filter = definition.Filter.Compile();
        int subjects = 0, generalised = 0;
        for (var i = 0; i < Members.Count; i++)
        {
            if (!Members[i].IsKnown || !filter.Matches(Members[i])) continue;
            subjects++;
            if (Generalised[i]) generalised++;
        }
        return (subjects, generalised);
    }
}

/// A cohort report recomputed from an export without the service: the export's subjects and assessments become the
/// same CohortMembers the service computed the report from, as far as the export carries them. Exact when no subject
/// was generalised or suppressed and the report uses no dimension the export cannot carry (first-session quarters,
/// clinic ids of a coded export).
public static class ExportedCohort
{
    public static CohortReport Report(ExportManifest manifest, ReportDefinition definition, ExportTable subjects, ExportTable assessments) =>
        Report(manifest, definition, Read(manifest, definition, subjects, assessments));

    public static CohortReport Report(ExportManifest manifest, ReportDefinition definition, ReleasedMembers released)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(released);
        return CohortReport.Compute(released.Members, definition, new ReportProvenance(manifest.Definitions.Id,
            manifest.Definitions.Version, manifest.EventStorePosition, manifest.AsOf));
    }

    public static IReadOnlyList<CohortMember> Members(ExportManifest manifest, ReportDefinition definition, ExportTable subjects, ExportTable assessments) =>
        Read(manifest, definition, subjects, assessments).Members;

    /// Throws ExportReadException when the export cannot answer the definition or its files break the dictionary.
    public static ReleasedMembers Read(ExportManifest manifest, ReportDefinition definition, ExportTable subjects, ExportTable assessments)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(definition);
        Refuse(manifest, definition);
        var series = SeriesBySubject(assessments);
        var s = new Columns(subjects, ExportDatasets.Subjects);
        var members = new List<CohortMember>(subjects.Rows.Count);
        var generalisedSubjects = new List<bool>(subjects.Rows.Count);
        var generalised = new HashSet<CohortDimension>();
        // Measures whose rule the export's shifted days may not reproduce are read as the export states them; an export
        // written before such a measure existed lacks its column, and the measure is derived from its rows instead.
        var statedMeasures = Measures.Rates.Where(m => m.ReadFromExport && s.Has(ColumnOf(m))).ToArray();
        foreach (var row in subjects.Rows)
        {
            var id = s.Text(row, "subject_id")!;
            var attributes = Attributes(s, row, generalised, out var anyGeneralised);
            generalisedSubjects.Add(anyGeneralised || Generalised(s.Text(row, "enrolment_year")) || Generalised(s.Text(row, "first_session_year")));
            var firstSessionAt = FirstSessionAt(s, row, manifest);
            var (assessed, baseline) = series.TryGetValue(id, out var found) ? found.Build(firstSessionAt) : ([], null);
            var eligible = s.Flag(row, "eligible") == true;
            var responded = s.Flag(row, "response_event");
            var responseDay = s.Int(row, "response_day");
            var responseSessions = s.Int(row, "response_sessions");
            var endReason = s.Text(row, "end_reason");
            var durabilityEvent = s.Flag(row, "durability_event");
            var item9Baseline = s.Int(row, "item9_baseline");
            var outcome = new CourseOutcome
            {
                DefinitionsId = manifest.Definitions.Id,
                DefinitionsVersion = s.Text(row, "definitions_version")!,
                AsOf = manifest.AsOf,
                EnrolmentKnown = s.Flag(row, "enrolment_known") == true,
                FirstSessionAt = firstSessionAt,
                SessionsReceived = s.Int(row, "sessions_received") ?? 0,
                CourseEnded = endReason != ExportDatasets.Ongoing,
                EndReason = endReason == ExportDatasets.Ongoing ? null : (CourseEndReason)Label<CourseEndReason>(endReason, "end_reason"),
                CourseEndDay = s.Int(row, "course_end_day"),
                Series = assessed,
                LastAssessmentDay = s.Int(row, "last_assessment_day"),
                Baseline = baseline,
                NoBaselineReason = s.Text(row, "no_baseline_reason") is { } why
                    ? (NoBaselineReason)Array.IndexOf(ExportedCourse.NoBaselineLabels, why)
                    : null,
                Eligible = eligible,
                FirstResponse = responded == true ? new Milestone(responseDay!.Value, responseSessions!.Value, 0) : null,
                FirstRemission = s.Int(row, "remission_day") is { } remissionDay ? new Milestone(remissionDay, 0, 0) : null,
                ResponseOnset = eligible && responded is { } r ? new ResponseOnset(r, responseDay!.Value, responseSessions!.Value) : null,
                Durability = durabilityEvent is { } ended
                    ? new DurabilityTime(ended, s.Int(row, "durability_days_from_onset")!.Value, s.Int(row, "durability_day")!.Value, 0)
                    : null,
                SustainedResponse = s.Flag(row, "sustained_response"),
                RemissionEver = s.Flag(row, ColumnOf(Measures.RemissionEver)),
                ResponseByEndOfInduction = s.Flag(row, ColumnOf(Measures.ResponseByEndOfInduction)),
                ChangeFromBaseline = s.Int(row, "change_from_baseline"),
                ReliableImprovement = s.Flag(row, ColumnOf(Measures.ReliableImprovement)),
                MinimalClinicallyImportantImprovement = s.Flag(row, ColumnOf(Measures.MinimalClinicallyImportantImprovement)),
                Item9 = new Item9Status(item9Baseline, item9Baseline is null ? null : item9Baseline >= 1,
                    s.Flag(row, "item9_new_during_treatment"), s.Flag(row, "item9_resolved"), s.Int(row, "item9_last_known"),
                    s.Flag(row, "item9_any_positive") == true),
                StatedByExport = statedMeasures.Length == 0 ? null : statedMeasures.ToDictionary(m => m, m => s.Flag(row, ColumnOf(m))),
            };
            members.Add(new CohortMember(new CourseKey(s.Text(row, "clinic")!, id, CourseKey.FirstCourse), attributes, outcome));
        }
        foreach (var dimension in generalised)
            if (Uses(definition, dimension))
                throw new ExportReadException($"the export generalised {Name(dimension)} for some subjects (see manifest.json " +
                    $"deidentification), so a report that filters or groups on it cannot be recomputed from it");
        return new ReleasedMembers(members, generalisedSubjects);
    }

    /// A measure's column in the subjects file, as the table of measures names it.
    private static string ColumnOf(Measure measure) => measure.Column!.Column.Name;

    /// A year column as released: a period ("2024-2025") or withheld instead of the year.
    private static bool Generalised(string? year) => year is { Length: > 4 } || year == Release.Withheld;

    private static void Refuse(ExportManifest manifest, ReportDefinition definition)
    {
        if (definition.Filter.FirstSessionFrom is not null || definition.Filter.FirstSessionTo is not null
            || definition.GroupBy == CohortDimension.FirstSessionPeriod)
            throw new ExportReadException("the report uses first-session quarters, which an export never carries (years only)");
        if (manifest.ClinicIdentifiers == ExportManifest.Codes && definition.Filter.Clinic is not null)
            throw new ExportReadException("the report filters on clinic ids, but the export carries release-local clinic codes");
        if (definition.Options.InductionWindowDays != manifest.InductionWindowDays
            && definition.Options.Includes(ReportSection.Response))
            throw new ExportReadException($"the report's induction window is {definition.Options.InductionWindowDays} days, but the " +
                $"export's induction_window_elapsed was computed for {manifest.InductionWindowDays} days");
    }

    private static bool Uses(ReportDefinition d, CohortDimension dimension) => d.GroupBy == dimension || dimension switch
    {
        CohortDimension.AgeBand => d.Filter.AgeBand is not null,
        CohortDimension.Modality => d.Filter.Modality is not null,
        CohortDimension.Sex => d.Filter.Sex is not null,
        CohortDimension.DiagnosisGroup => d.Filter.DiagnosisGroup is not null,
        CohortDimension.PriorFailedTrials => d.Filter.PriorFailedTrials is not null,
        _ => false,
    };

    private static string Name(CohortDimension d) => CohortDimensions.EnumLabels<CohortDimension>()[(int)d];

    private static CourseAttributes? Attributes(Columns s, IReadOnlyList<string?> row, HashSet<CohortDimension> generalised, out bool any)
    {
        var found = false;
        any = false;
        var age = s.Text(row, "age_band");
        if (age == ExportDatasets.NoEnrolment) return null;
        var ageCode = Array.IndexOf(CohortDimensions.EnumLabels<AgeBand>(), age);
        if (ageCode < 0) ageCode = Generalised(CohortDimension.AgeBand, 0);
        var modality = s.Text(row, "modality");
        var modalityCode = Array.IndexOf(CohortDimensions.EnumLabels<Modality>(), modality);
        if (modalityCode < 0) modalityCode = Generalised(CohortDimension.Modality, 0);
        var trials = s.Text(row, "prior_failed_trials") switch
        {
            "0-1" => 0,
            "2" => 2,
            "3+" => 3,
            Release.Withheld => Generalised(CohortDimension.PriorFailedTrials, 0),
            var other => throw new ExportReadException($"prior_failed_trials '{other}' is not one of 0-1, 2, 3+, {Release.Withheld}"),
        };
        var sex = s.Text(row, "sex") is Release.Withheld ? Generalised(CohortDimension.Sex, 0) : Label<Sex>(s.Text(row, "sex"), "sex");
        var diagnosis = s.Text(row, "diagnosis_group") is Release.Withheld
            ? Generalised(CohortDimension.DiagnosisGroup, 0)
            : Label<DiagnosisGroup>(s.Text(row, "diagnosis_group"), "diagnosis_group");
        var year = s.Text(row, "enrolment_year") is { } y && y != Release.Withheld ? int.Parse(y.AsSpan(0, 4), CultureInfo.InvariantCulture) : 0;
        any = found;
        return new CourseAttributes((Modality)modalityCode, (AgeBand)ageCode, (Sex)sex, (DiagnosisGroup)diagnosis, trials, year);

        int Generalised(CohortDimension dimension, int code)
        {
            generalised.Add(dimension);
            found = true;
            return code;
        }
    }

    /// A first session on a day that keeps both what the export says (its year or period, and whether the induction
    /// window had passed at the cut-off) and nothing more: the real date is one of the days that qualify.
    private static DateTimeOffset? FirstSessionAt(Columns s, IReadOnlyList<string?> row, ExportManifest manifest)
    {
        if (s.Text(row, "first_session_year") is not { } year) return null;
        var withheld = year == Release.Withheld;
        var from = withheld ? Contracts.ContractLimits.EarliestFactYear : int.Parse(year.AsSpan(0, 4), CultureInfo.InvariantCulture);
        var to = withheld ? manifest.AsOf.UtcDateTime.Year : year.Length > 4 ? int.Parse(year.AsSpan(5, 4), CultureInfo.InvariantCulture) : from;
        var first = new DateTimeOffset(from, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var last = new DateTimeOffset(to, 12, 31, 0, 0, 0, TimeSpan.Zero);
        var boundary = new DateTimeOffset(manifest.AsOf.UtcTicks / TimeSpan.TicksPerDay * TimeSpan.TicksPerDay, TimeSpan.Zero)
            .AddDays(-manifest.InductionWindowDays);
        return s.Flag(row, "induction_window_elapsed") == true
            ? (boundary < last ? boundary : last)
            : (boundary.AddDays(1) > first ? boundary.AddDays(1) : first);
    }

    private static int Label<TEnum>(string? label, string column) where TEnum : struct, Enum
    {
        var code = Array.IndexOf(CohortDimensions.EnumLabels<TEnum>(), label);
        return code >= 0 ? code : throw new ExportReadException($"{column} '{label}' is not one of {string.Join(", ", CohortDimensions.EnumLabels<TEnum>())}");
    }

    private sealed class SubjectSeries
    {
        public readonly List<(int? Day, int Sessions, int Total, Phq9Severity Severity, bool TotalOnly, int? ItemNine, bool Baseline)> Rows = [];

        public (Phq9Assessment[] Series, Phq9Assessment? Baseline) Build(DateTimeOffset? firstSessionAt)
        {
            // Synthetic instants in the series' order, unique per assessment: the report reads only days, totals
            // and which assessment is the baseline.
            var origin = firstSessionAt ?? DateTimeOffset.UnixEpoch;
            var series = new Phq9Assessment[Rows.Count];
            Phq9Assessment? baseline = null;
            for (var k = 0; k < series.Length; k++)
            {
                var r = Rows[k];
                series[k] = new Phq9Assessment(origin.AddDays(r.Day ?? 0).AddTicks(k), r.Day, r.Sessions, r.Total, r.Severity, r.TotalOnly, r.ItemNine);
                if (r.Baseline) baseline = series[k];
            }
            return (series, baseline);
        }
    }

    private static Dictionary<string, SubjectSeries> SeriesBySubject(ExportTable assessments)
    {
        var a = new Columns(assessments, ExportDatasets.Assessments);
        var bySubject = new Dictionary<string, SubjectSeries>(StringComparer.Ordinal);
        foreach (var row in assessments.Rows)
        {
            if (a.Flag(row, "in_series") != true) continue;
            var id = a.Text(row, "subject_id")!;
            if (!bySubject.TryGetValue(id, out var series)) bySubject[id] = series = new SubjectSeries();
            series.Rows.Add((a.Int(row, "day"), a.Int(row, "sessions_received")!.Value, a.Int(row, "total")!.Value,
                (Phq9Severity)Label<Phq9Severity>(a.Text(row, "severity"), "severity"), a.Flag(row, "total_only") == true,
                a.Int(row, "item_9"), a.Flag(row, "baseline") == true));
        }
        return bySubject;
    }

    /// Column lookup by name, checking the header has every column the dictionary lists.
    private sealed class Columns
    {
        private readonly Dictionary<string, int> _index;
        private readonly string _dataset;

        public Columns(ExportTable table, ExportDataset dataset)
        {
            _dataset = dataset.Name;
            _index = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < table.Header.Count; i++) _index[table.Header[i]] = i;
            foreach (var column in dataset.Columns)
                if (!_index.ContainsKey(column.Name) && !Later.Contains(column.Name))
                    throw new ExportReadException($"{dataset.Name} has no column '{column.Name}'");
        }

        // Columns of measures read back from exports, added after the export format: an older export may lack them.
        private static readonly HashSet<string> Later =
            [.. Measures.Rates.Where(m => m.ReadFromExport).Select(ColumnOf)];

        public bool Has(string column) => _index.ContainsKey(column);

        public string? Text(IReadOnlyList<string?> row, string column) => row[_index[column]] is { Length: > 0 } v ? v : null;

        public int? Int(IReadOnlyList<string?> row, string column) =>
            Text(row, column) is { } v
                ? int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
                    ? n
                    : throw new ExportReadException($"{_dataset}.{column}: '{v}' is not a whole number")
                : null;

        public bool? Flag(IReadOnlyList<string?> row, string column) => Text(row, column) switch
        {
            null => null,
            "true" => true,
            "false" => false,
            var v => throw new ExportReadException($"{_dataset}.{column}: '{v}' is not true or false"),
        };
    }
}

/// An export that cannot answer what was asked of it, or whose files do not follow its data dictionary.
public sealed class ExportReadException(string message) : Exception(message);
