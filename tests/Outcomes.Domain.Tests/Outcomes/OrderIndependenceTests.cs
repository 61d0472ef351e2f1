using System.Text.Json;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;
using static Outcomes.Domain.Tests.Outcomes.TestCourse;

namespace Outcomes.Domain.Tests.Outcomes;

/// Property-style: facts arrive in any order, so no permutation of them may change any outcome.
public class OrderIndependenceTests
{
    private static readonly OutcomeDefinitions[] DefinitionSets =
    [
        OutcomeDefinitions.Default,
        new() { Durability = DurabilityDefinition.Relapse, NonResponderCensoring = NonResponderCensoring.LaterOfLastAssessmentAndCourseEnd },
        new() { LossOfResponseConsecutiveAssessments = 3, SustainedResponseMinimumGapDays = 3, BaselineWindowDays = 7 },
    ];

    [Fact]
    public void ShuffledFacts_SameOutcome()
    {
        var random = new Random(20240304);
        int responders = 0, losses = 0, relapses = 0, superseded = 0, noBaseline = 0;
        for (var c = 0; c < 400; c++)
        {
            var facts = RandomCourse(random);
            var asOf = random.Next(4) == 0 ? At(random.Next(0, 60), 12) : FarFuture;
            foreach (var definitions in DefinitionSets)
            {
                var expected = CourseOutcome.Derive(facts, definitions, asOf);
                var expectedJson = OutcomeJson.Of(expected);
                for (var s = 0; s < 4; s++)
                {
                    var shuffled = facts with { Sessions = Shuffled(facts.Sessions, random), Scores = Shuffled(facts.Scores, random) };
                    Assert.Equal(expectedJson, OutcomeJson.Of(CourseOutcome.Derive(shuffled, definitions, asOf)));
                }
                var events = new List<object>();
                events.AddRange(facts.Sessions);
                events.AddRange(facts.Scores);
                if (facts.Enrolment is not null) events.Add(facts.Enrolment);
                if (facts.Ended is not null) events.Add(facts.Ended);
                Assert.Equal(expectedJson, OutcomeJson.Of(CourseOutcome.Derive(Shuffled(events, random), definitions, asOf)));

                responders += expected.ResponseOnset is { Responded: true } ? 1 : 0;
                losses += expected.LossOfResponse is { Event: true } ? 1 : 0;
                relapses += expected.Relapse is { Event: true } ? 1 : 0;
                superseded += expected.SupersededSameDayScores > 0 ? 1 : 0;
                noBaseline += expected.NoBaselineReason is not null ? 1 : 0;
            }
        }

        // The generator must reach the interesting branches, or the property says little.
        Assert.All(new[] { responders, losses, relapses, superseded, noBaseline }, n => Assert.True(n > 20, $"only {n} cases"));
    }

    [Fact]
    public void Outcome_RoundTripsThroughJsonForTheReadModel()
    {
        var outcome = new TestCourse().Enrolled(-2).Sessions(0, 2, 4).Score(-1, 20, item9: 1).TotalOnly(7, 8).Score(14, 12).Score(20, 13).Ended(25).Derive();

        var json = OutcomeJson.Of(outcome);
        var back = JsonSerializer.Deserialize<CourseOutcome>(json, OutcomeJson.Options)!;

        Assert.Equal(json, OutcomeJson.Of(back));
        Assert.True(back.LossOfResponse!.Value.Event);
    }

    internal static CourseFacts RandomCourse(Random random)
    {
        var sessions = new List<TreatmentSessionGiven>();
        var sessionCount = random.Next(0, 12);
        for (var i = 0; i < sessionCount; i++)
            sessions.Add(new TreatmentSessionGiven(At(random.Next(0, 40), 10), Modality.IvKetamine, 0.5m,
                DoseUnit.MilligramsPerKilogram, Route.Intravenous));

        var scores = new List<Phq9Completed>();
        var baseline = random.Next(5, 28);
        var scoreCount = random.Next(0, 14);
        var day = random.Next(-18, 1);
        for (var i = 0; i < scoreCount; i++)
        {
            // Hours on the hour or the half hour make same-day and same-instant scores common.
            var at = At(day, random.Next(0, 4) * 4.5 + 8);
            var total = i == 0 ? baseline : Math.Clamp(baseline - random.Next(-4, baseline + 1), 0, 27);
            var score = random.Next(5) == 0
                ? Phq9Score.Create(null, total).Score!
                : Items(total, Math.Clamp(random.Next(-2, 4), Math.Max(0, total - 24), Math.Min(3, total)));
            scores.Add(new Phq9Completed(at, score));
            if (random.Next(3) == 0) scores.Add(new Phq9Completed(at, Items(Math.Min(24, total), 0)));
            day += random.Next(0, 9);
        }

        PatientEnrolled? enrolment = random.Next(3) == 0
            ? null
            : new PatientEnrolled(At(random.Next(-20, 2), 8), AgeBand.From25To34, Sex.Male, DiagnosisGroup.MajorDepressiveDisorder, 1, Modality.IvKetamine, 2024);
        CourseEnded? ended = random.Next(2) == 0 ? null : new CourseEnded(At(random.Next(0, 80), 12), (CourseEndReason)random.Next(4));
        return new CourseFacts(enrolment, sessions, scores, ended);
    }

    private static T[] Shuffled<T>(IReadOnlyList<T> items, Random random)
    {
        var copy = items.ToArray();
        random.Shuffle(copy);
        return copy;
    }
}
