using Outcomes.Contracts;

namespace Outcomes.Cli.Demo;

/// <summary>
/// Simulates one patient's course. Response is a latent trait (whether, after which session, and for
/// how long); PHQ-9 totals are then drawn inside the band each latent state allows, so the observed
/// response, remission and durability follow the calibration targets whatever the assessment schedule.
/// </summary>
internal sealed class DemoCourse
{
    // Attrition (Osmind ORKA-2): ~20% leave after the first session, about half never reach 6.
    private const double LeaveAfterFirst = 0.20;
    private const double LeaveBeforeSixth = 0.30;

    // Latent response: chance by prior failed trials; onset after session 1..6, mostly in the first week.
    private static readonly double[] OnsetSessionWeights = [0.34, 0.25, 0.16, 0.11, 0.08, 0.06];
    private const double RemitterShare = 0.58;

    // Late response: some patients who have not responded by the end of induction respond with continued treatment,
    // weeks later (Oliver et al. 2022 and ORKA-1 report response still rising after the sixth session; the
    // induction window is 42 days). A share of the induction completers without response keep coming for
    // sessions and respond between day 44 and day 112: "response ever" then exceeds "response by the end of induction".
    private const double LateResponseChance = 0.5;
    private const int LateOnsetFirstDay = 44;
    private const int LateOnsetLastDay = 112;

    // Durability: Weibull with S(28 d) = 0.80 and S(56 d) = 0.60 (ORKA-1 Kaplan-Meier, no maintenance).
    private const double LossShape = 1.195;
    private const double LossScaleDays = 90.0;

    private static readonly double[] AgeWeights = [0.08, 0.20, 0.24, 0.21, 0.15, 0.08, 0.03, 0.01];
    private static readonly double[] SexWeights = [0.58, 0.40, 0.01, 0.01];
    private static readonly double[] TrialWeights = [0.05, 0.08, 0.22, 0.25, 0.20, 0.12, 0.08];
    private static readonly double[] DiagnosisWhenResistant = [0.15, 0.60, 0.10, 0.10, 0.05];
    private static readonly double[] DiagnosisOtherwise = [0.60, 0.00, 0.15, 0.15, 0.10];
    private static readonly double[] BaselineItem9Weights = [0.78, 0.15, 0.05, 0.02];

    // Items 1-8 attract points unequally: low mood, anhedonia, sleep and fatigue dominate in depression.
    private static readonly double[] ItemWeights = [1.2, 1.3, 1.2, 1.3, 1.0, 1.0, 1.0, 0.6];

    private static readonly TimeOnly FirstSlot = new(8, 0);
    private const int SlotCount = 17; // 08:00 to 16:00 in half hours

    private readonly DemoRandom _random;
    // The patient's second stream: late response is drawn from it, so adding it left every draw of _random as it was
    // for every patient who does not respond late.
    private readonly DemoRandom _late;
    private readonly IReadOnlyList<ClinicProfile> _clinics;
    private readonly int _index;
    private readonly DateOnly _until;
    private readonly DateTimeOffset _untilInstant;
    private readonly List<(IClinicEvent Fact, int Order)> _facts = [];

    private ClinicProfile _clinic = null!;
    private string _patientKey = "";
    private Modality _modality;

    public DemoCourse(DemoSettings settings, IReadOnlyList<ClinicProfile> clinics, int index)
    {
        _random = new DemoRandom(settings.Seed, index);
        _late = new DemoRandom(settings.Seed, LateStream(index));
        _clinics = clinics;
        _index = index;
        _until = settings.Until;
        _untilInstant = new DateTimeOffset(settings.Until.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
    }

    // Streams below the feed's own (-1): patient i's second stream is -2 - i.
    private static long LateStream(int index) => -2L - index;

    // About one hex key in 1,900 has no letter, and "pk-" + digits reads like a record number, which the
    // service rightly refuses; a letter at the end keeps such a key opaque and leaves every other key as it was.
    internal static string OpaqueKey(ulong draw)
    {
        var hex = draw.ToString("x16");
        return hex.All(char.IsAsciiDigit) ? $"pk-{hex}x" : $"pk-{hex}";
    }

    public DemoPatient Simulate()
    {
        var correlationId = _random.NextGuid();
        _patientKey = OpaqueKey(_random.NextUInt64());
        _clinic = _clinics[_random.Pick(_clinics.Select(c => c.Size).ToArray())];
        _modality = _clinic.PickModality(_random);
        var ageBand = (AgeBand)_random.Pick(AgeWeights);
        var sex = (Sex)_random.Pick(SexWeights);
        var trials = _random.Pick(TrialWeights);
        var diagnosis = (DiagnosisGroup)_random.Pick(trials >= 2 ? DiagnosisWhenResistant : DiagnosisOtherwise);

        var firstDay = WeekdayOnOrAfter(_until.AddDays(-_random.Next(21, 541)));
        var sessionCount = DrawSessionCount();
        var slot = _random.Next(SlotCount);
        var sessions = InductionSessions(firstDay, sessionCount, slot);

        var responder = _random.Chance(ResponseChance(trials));
        var onsetSession = 1 + _random.Pick(OnsetSessionWeights);
        var remitter = _random.Chance(RemitterShare);
        var lossAfter = TimeSpan.FromDays(_random.Weibull(LossShape, LossScaleDays));
        var trueBaseline = DrawBaselineTotal();
        var partialImprovement = _random.Uniform(-0.10, 0.45);
        var baselineItem9 = _random.Pick(BaselineItem9Weights);

        DateTime? lateOnset = !responder && sessions.Count >= 6 && _late.Chance(LateResponseChance)
            ? sessions[0].Date.AddDays(_late.Next(LateOnsetFirstDay, LateOnsetLastDay + 1)).Add(sessions[0].TimeOfDay)
            : null;
        DateTime? LossTime() => responder
            ? onsetSession <= sessions.Count ? sessions[onsetSession - 1] + lossAfter : null
            : lateOnset + lossAfter;

        var respondingAtEnd = responder && LossTime() is { } loss && loss > sessions[^1];
        // A late responder is still being treated: continued sessions, and answering the follow-up questionnaires.
        var maintenance = lateOnset is not null || (sessions.Count >= 6 && respondingAtEnd && _random.Chance(0.6))
            ? MaintenanceSessions(sessions[^1], slot)
            : [];
        var allSessions = sessions.Concat(maintenance).ToList();

        var (enrolledAt, intakeAt) = Intake(sessions[0]);
        var assessments = new List<DateTime>();
        if (intakeAt is { } intake) assessments.Add(intake);
        assessments.AddRange(TreatmentAssessments(sessions, maintenance, respondingAtEnd || lateOnset is not null));
        assessments.Sort();

        Add(id => new PatientEnrolled(id, _clinic.ClinicId, _patientKey, Utc(enrolledAt), ageBand, sex,
            diagnosis, trials, _modality, Utc(enrolledAt).Year));

        var route = RouteFor(_modality);
        for (var k = 0; k < allSessions.Count; k++)
        {
            var (dose, unit) = Dose(route, k);
            var at = allSessions[k];
            Add(id => new TreatmentSessionGiven(id, _clinic.ClinicId, _patientKey, Utc(at), _modality, dose, unit, route));
        }

        foreach (var at in assessments)
        {
            int total;
            if (at == intakeAt)
            {
                total = trueBaseline;
            }
            else
            {
                var received = allSessions.Count(s => s < at);
                var responding = responder ? received >= onsetSession : at >= lateOnset;
                var lost = responding && at >= LossTime();
                total = responding && !lost
                    ? RespondingTotal(trueBaseline, remitter)
                    : lost
                        ? LostTotal(trueBaseline)
                        : EarlyTotal(trueBaseline, partialImprovement, received);
            }
            var item9 = Item9(baselineItem9, total, at == intakeAt);
            var (items, reportedTotal) = Report(total, item9);
            Add(id => new Phq9Completed(id, _clinic.ClinicId, _patientKey, Utc(at), items, reportedTotal));
        }

        var lastContact = allSessions.Concat(assessments).Max();
        if (CourseEnd(sessions.Count, allSessions[^1], lastContact) is { } end)
            Add(id => new CourseEnded(id, _clinic.ClinicId, _patientKey, Utc(end.At), end.Reason));

        var facts = _facts
            .Where(f => f.Fact.OccurredAt < _untilInstant)
            .OrderBy(f => f.Fact.OccurredAt).ThenBy(f => f.Order)
            .Select(f => f.Fact)
            .ToArray();
        return new DemoPatient(_index, _clinic.ClinicId, _patientKey, correlationId, facts);
    }

    private void Add(Func<Guid, IClinicEvent> fact) => _facts.Add((fact(_random.NextGuid()), _facts.Count));

    private DateTimeOffset Utc(DateTime local) =>
        new(DateTime.SpecifyKind(local.AddHours(-_clinic.UtcOffsetHours), DateTimeKind.Unspecified), TimeSpan.Zero);

    private int DrawSessionCount()
    {
        var u = _random.NextDouble();
        if (u < LeaveAfterFirst) return 1;
        if (u < LeaveAfterFirst + LeaveBeforeSixth) return _random.Next(2, 6);
        return 6 + _random.Pick([0.80, 0.15, 0.05]);
    }

    // Fewer prior failures, better odds (ORKA-1 and Oliver et al. both report lower response in more resistant patients).
    private static double ResponseChance(int priorFailedTrials) => priorFailedTrials switch
    {
        <= 1 => 0.79,
        <= 4 => 0.71,
        _ => 0.61,
    };

    // Mostly moderately severe or severe; one in ten below 10 (ineligible for response analyses).
    private int DrawBaselineTotal() => _random.Chance(0.10)
        ? _random.Next(4, 10)
        : Math.Clamp((int)Math.Round(_random.Normal(19.0, 3.5)), 10, 27);

    private List<DateTime> InductionSessions(DateOnly firstDay, int count, int slot)
    {
        var sessions = new List<DateTime> { At(firstDay, SessionTime(slot)) };
        var day = firstDay;
        for (var k = 1; k < count; k++)
        {
            day = WeekdayOnOrAfter(day.AddDays(InductionGapDays()));
            sessions.Add(At(day, SessionTime(slot)));
        }
        return sessions;
    }

    // Six sessions in two to three weeks; esketamine twice weekly as labelled.
    private int InductionGapDays() => _modality switch
    {
        Modality.IntranasalEsketamine => 3 + _random.Next(2),
        Modality.KetamineAssistedPsychotherapy => 3 + _random.Next(3),
        _ => 2 + _random.Pick([0.35, 0.40, 0.25]),
    };

    private List<DateTime> MaintenanceSessions(DateTime lastInduction, int slot)
    {
        var count = 1 + _random.Pick([0.35, 0.30, 0.20, 0.15]);
        var day = DateOnly.FromDateTime(lastInduction);
        var sessions = new List<DateTime>();
        for (var k = 0; k < count; k++)
        {
            day = WeekdayOnOrAfter(day.AddDays(_random.Next(14, 36)));
            sessions.Add(At(day, SessionTime(slot)));
        }
        return sessions;
    }

    // Patients keep roughly the same appointment slot, give or take half an hour.
    private TimeOnly SessionTime(int slot) =>
        FirstSlot.AddMinutes(30 * Math.Clamp(slot + _random.Next(-1, 2), 0, SlotCount - 1) + _random.Next(0, 6));

    private (DateTime EnrolledAt, DateTime? IntakeAt) Intake(DateTime firstSession)
    {
        var firstDay = DateOnly.FromDateTime(firstSession);
        switch (_random.Pick([0.04, 0.02, 0.94]))
        {
            case 0: // no PHQ-9 before treatment: counts in the attrition funnel only
            {
                var enrolled = ClinicHours(WeekdayOnOrBefore(firstDay.AddDays(-_random.Next(1, 11))));
                return (enrolled, null);
            }
            case 1: // a PHQ-9 too old to serve as baseline (over 14 days)
            {
                var intake = ClinicHours(WeekdayOnOrBefore(firstDay.AddDays(-_random.Next(20, 41))));
                return (intake.AddMinutes(-15), intake);
            }
            default:
            {
                if (_random.Chance(0.2))
                {
                    var sameDay = firstSession.AddMinutes(-_random.Next(20, 41));
                    return (sameDay.AddMinutes(-15), sameDay);
                }
                var intake = ClinicHours(WeekdayOnOrBefore(firstDay.AddDays(-_random.Next(1, 13))));
                return (intake.AddMinutes(-15), intake);
            }
        }
    }

    private IEnumerable<DateTime> TreatmentAssessments(List<DateTime> induction, List<DateTime> maintenance, bool respondingAtEnd)
    {
        var assessments = new List<DateTime>();
        if (_clinic.AssessesAtEverySession)
        {
            foreach (var session in induction.Skip(1).Concat(maintenance))
                if (!_random.Chance(0.08))
                    assessments.Add(session.AddMinutes(-_random.Next(5, 26)));
        }
        else
        {
            var firstDay = DateOnly.FromDateTime(induction[0]);
            for (var week = 1; ; week++)
            {
                var at = AtHome(firstDay.AddDays(7 * week + _random.Next(-1, 2)));
                if (at >= induction[^1]) break;
                assessments.Add(at);
            }
        }

        var lastInduction = DateOnly.FromDateTime(induction[^1]);
        if (induction.Count < 6)
        {
            if (_random.Chance(0.5))
                assessments.Add(AtHome(lastInduction.AddDays(_random.Next(1, 8))));
            return assessments;
        }

        // Remote follow-up every one to two weeks until the patient stops answering.
        var keepAnswering = respondingAtEnd ? 0.88 : 0.72;
        var day = lastInduction;
        for (var k = 0; k < 12; k++)
        {
            day = day.AddDays(_random.Next(7, 15));
            assessments.Add(AtHome(day));
            if (!_random.Chance(keepAnswering)) break;
        }
        return assessments;
    }

    // Before response: partial improvement growing with sessions, never reaching a 50% drop.
    private int EarlyTotal(int baseline, double partialImprovement, int sessionsReceived)
    {
        var expected = baseline * (1 - partialImprovement * (1 - Math.Exp(-sessionsReceived / 2.0)));
        var total = (int)Math.Round(expected + _random.Normal(0, 1.5));
        return Math.Clamp(total, baseline / 2 + 1, Math.Min(27, baseline + 3));
    }

    // While responding: at most half the baseline; remitters mostly below 5.
    private int RespondingTotal(int baseline, bool remitter)
    {
        var half = baseline / 2;
        if (half < 5 || (remitter && _random.Chance(0.75)))
            return _random.Next(0, Math.Min(4, half) + 1);
        return _random.Next(5, half + 1);
    }

    // After loss of response: back above half the baseline, seldom all the way.
    private int LostTotal(int baseline)
    {
        var total = (int)Math.Round(baseline * _random.Uniform(0.6, 0.95) + _random.Normal(0, 1.5));
        return Math.Clamp(total, baseline / 2 + 1, Math.Min(27, baseline + 2));
    }

    // Item 9 is mostly 0; positive at baseline in about one in five, easing as mood lifts; a few new during treatment.
    private int Item9(int baselineItem9, int total, bool isIntake)
    {
        int value;
        if (isIntake) value = baselineItem9;
        else if (baselineItem9 > 0) value = total >= 10 && _random.Chance(0.6) ? baselineItem9 : _random.Chance(0.1) ? 1 : 0;
        else value = _random.Chance(0.012) ? 1 : 0;
        return Math.Clamp(value, Math.Max(0, total - 24), Math.Min(3, total));
    }

    private (int[]? Items, int? Total) Report(int total, int item9)
    {
        if (_random.Chance(_clinic.TotalOnlyShare))
            return (null, total);
        var items = new int[9];
        items[8] = item9;
        Span<double> weights = stackalloc double[8];
        for (var remaining = total - item9; remaining > 0; remaining--)
        {
            for (var i = 0; i < 8; i++) weights[i] = items[i] < 3 ? ItemWeights[i] : 0;
            items[_random.Pick(weights)]++;
        }
        return (items, _clinic.SendsTotalWithItems ? total : null);
    }

    private Route RouteFor(Modality modality) => modality switch
    {
        Modality.IvKetamine => Route.Intravenous,
        Modality.ImKetamine => Route.Intramuscular,
        Modality.IntranasalEsketamine => Route.Intranasal,
        Modality.OralKetamine => _random.Chance(0.6) ? Route.Sublingual : Route.Oral,
        _ => _random.Chance(0.6) ? Route.Sublingual : Route.Intramuscular,
    };

    private (decimal Dose, DoseUnit Unit) Dose(Route route, int sessionIndex) => (_modality, route) switch
    {
        // 0.5 mg/kg over 40 minutes; some clinics titrate up after a few sessions.
        (Modality.IvKetamine, _) => (sessionIndex >= 3 && _random.Chance(0.25) ? 0.75m : 0.5m, DoseUnit.MilligramsPerKilogram),
        // Spravato starts at 56 mg; most go to 84 mg from the second session.
        (Modality.IntranasalEsketamine, _) => (sessionIndex == 0 || _random.Chance(0.35) ? 56m : 84m, DoseUnit.Milligrams),
        (_, Route.Intramuscular) => (_random.Pick([0.5, 0.3, 0.2]) switch { 0 => 0.5m, 1 => 0.75m, _ => 1.0m }, DoseUnit.MilligramsPerKilogram),
        _ => (_random.Pick([0.3, 0.4, 0.3]) switch { 0 => 100m, 1 => 200m, _ => 300m }, DoseUnit.Milligrams),
    };

    private (DateTime At, CourseEndReason Reason)? CourseEnd(int inductionSessions, DateTime lastSession, DateTime lastContact)
    {
        var dropout = inductionSessions < 6;
        if (!_random.Chance(dropout ? 0.85 : 0.87)) return null;
        var reason = dropout
            ? _random.Pick([0.55, 0.25, 0.20]) switch
            {
                0 => CourseEndReason.LostToFollowUp,
                1 => CourseEndReason.DiscontinuedAdverseEffects,
                _ => CourseEndReason.Other,
            }
            : _random.Pick([0.85, 0.10, 0.05]) switch
            {
                0 => CourseEndReason.Completed,
                1 => CourseEndReason.Other,
                _ => CourseEndReason.DiscontinuedAdverseEffects,
            };
        // Loss to follow-up is only recorded once the clinic gives up calling.
        var from = DateOnly.FromDateTime(reason == CourseEndReason.DiscontinuedAdverseEffects ? lastSession : lastContact);
        var days = reason switch
        {
            CourseEndReason.LostToFollowUp => _random.Next(14, 46),
            CourseEndReason.DiscontinuedAdverseEffects => _random.Next(1, 6),
            _ => _random.Next(1, 11),
        };
        var at = ClinicHours(WeekdayOnOrAfter(from.AddDays(days)));
        return (at > lastContact ? at : lastContact.AddHours(1), reason);
    }

    private DateTime ClinicHours(DateOnly day) => At(day, new TimeOnly(8, 0).AddMinutes(_random.Next(0, 9 * 60)));

    // Remote questionnaires are answered at home, any day, 07:00-22:00.
    private DateTime AtHome(DateOnly day) => At(day, new TimeOnly(7, 0).AddMinutes(_random.Next(0, 15 * 60)));

    private static DateTime At(DateOnly day, TimeOnly time) => day.ToDateTime(time);

    private static DateOnly WeekdayOnOrAfter(DateOnly day) => day.DayOfWeek switch
    {
        DayOfWeek.Saturday => day.AddDays(2),
        DayOfWeek.Sunday => day.AddDays(1),
        _ => day,
    };

    private static DateOnly WeekdayOnOrBefore(DateOnly day) => day.DayOfWeek switch
    {
        DayOfWeek.Saturday => day.AddDays(-1),
        DayOfWeek.Sunday => day.AddDays(-2),
        _ => day,
    };
}
