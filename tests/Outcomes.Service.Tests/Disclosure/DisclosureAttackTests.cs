using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Outcomes.Contracts;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.Disclosure;

/// The attacks of issue 11, each run twice over the real service: against the own-clinics tier (exact; the attack
/// works, so the test is not vacuous) and against the protected tier (network or researcher), where it must not
/// recover the value beyond the noise the method states.
[Collection(IngestionCollection.Name)]
public sealed class DisclosureAttackTests(IngestionFixture fixture)
{
    private static readonly string[] TargetBands = ["18-24", "25-34", "45-54", "55-64", "65-74", "75-89"];
    private static readonly int[] TargetWeekTwoScores = [23, 5, 17, 9, 26, 12];

    private static string NewClinic() => "clinic-d" + Guid.NewGuid().ToString("N")[..8];

    /// An asker of its own: the lock-out remembers each asker's protected questions, so no test sees another's.
    private static string Asker() => "asker-" + Guid.NewGuid().ToString("N")[..12];

    /// A clinic of typical courses (age band 35-44) plus one target per other age band whose week-2 PHQ-9 total is
    /// known to the test (and to nobody reading reports).
    private async Task FeedClinic(string clinic, int typical, bool withTargets = true)
    {
        var courses = Enumerable.Range(0, typical).Select(_ => Banded(clinic, "35-44")).ToList();
        if (withTargets)
        {
            for (var t = 0; t < TargetBands.Length; t++)
            {
                var target = CourseFeed.ForNewPatient(clinic);
                courses.Add((target, Target(target, TargetBands[t], TargetWeekTwoScores[t])));
            }
        }
        await Feed(courses);
    }

    private static List<WireMessage> Target(CourseFeed feed, string band, int weekTwo)
    {
        var enrolment = feed.Enrolment(CourseFeed.Start.AddDays(-3));
        enrolment["ageBand"] = band;
        var messages = new List<WireMessage>
        {
            CourseFeed.Message("patient-enrolled", enrolment),
            CourseFeed.Message("phq9-completed", feed.Phq9Total(CourseFeed.Start.AddDays(-1), 24)),
        };
        foreach (var day in new[] { 0, 3, 7, 10, 14 }) messages.Add(CourseFeed.Message("treatment-session-given", feed.Session(CourseFeed.Start.AddDays(day))));
        messages.Add(CourseFeed.Message("phq9-completed", feed.Phq9Total(CourseFeed.Start.AddDays(3).AddHours(2), 20)));
        messages.Add(CourseFeed.Message("phq9-completed", feed.Phq9Total(CourseFeed.Start.AddDays(10).AddHours(2), weekTwo)));
        return messages;
    }

    private static JsonObject Cohort(string clinic, IEnumerable<string>? bands = null, string? from = null, string? to = null)
    {
        var filter = new JsonObject { ["clinic"] = new JsonArray(clinic) };
        if (bands is not null) filter["ageBand"] = new JsonArray(bands.Select(b => (JsonNode)b).ToArray());
        if (from is not null) filter["firstSessionFrom"] = from;
        if (to is not null) filter["firstSessionTo"] = to;
        return new JsonObject
        {
            ["name"] = "attack", ["version"] = "1", ["title"] = "attack", ["filter"] = filter,
            ["options"] = new JsonObject { ["sections"] = new JsonArray("counts", "response", "time-to-response", "trajectory", "item9") },
        };
    }

    private static async Task<JsonNode> Post(HttpClient client, JsonObject definition, string query = "")
    {
        var response = await client.PostAsJsonAsync("/api/v1/reports/cohort" + query, definition);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    /// Cuts a release now; its event-store position.
    private async Task<long> CutRelease()
    {
        var response = await fixture.Client.PostAsync("/api/v1/releases", null);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return (long)JsonNode.Parse(text)!["eventStorePosition"]!;
    }

    /// A course in an age band: through induction (eligible), or enrolled and treated without any PHQ-9 (not eligible).
    private static (CourseFeed Feed, List<WireMessage> Messages) Banded(string clinic, string band, bool eligible = true)
    {
        var feed = CourseFeed.ForNewPatient(clinic);
        if (eligible) return (feed, feed.Induction(band).ToList());
        var enrolment = feed.Enrolment(CourseFeed.Start.AddDays(-3));
        enrolment["ageBand"] = band;
        return (feed, [CourseFeed.Message("patient-enrolled", enrolment), CourseFeed.Message("treatment-session-given", feed.Session(CourseFeed.Start))]);
    }

    private static JsonNode Overall(JsonNode report) => report["overall"]!;

    private static bool Withheld(JsonNode group) => (string?)group["withheld"] == "protected";

    /// Week 2's courses and the sum of their totals (count × mean) as published.
    private static (double Courses, double Sum) WeekTwo(JsonNode report)
    {
        if (report["overall"]?["trajectory"]?["weeks"]?[2] is not { } week) return (0, 0);
        var courses = (double)week["courses"]!["value"]!;
        var mean = week["mean"] is { } m ? (double)m : 0;
        return (courses, courses * mean);
    }

    [Fact]
    public async Task DifferencingTwoCohortsThatDifferByOneCourse_ExactInOwnTier_LockedOutForOneAsker_NoisyForTwo()
    {
        var clinic = NewClinic();
        await FeedClinic(clinic, typical: 14);
        await CutRelease();
        var own = fixture.ClientFor(AccessToken.Roles.Quality, clinic);
        string[] everyBand = ["18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-89", "90+"];

        var ownRecovered = new List<double>();
        var colludingErrors = new List<double>();
        for (var t = 0; t < TargetBands.Length; t++)
        {
            var allBut = everyBand.Where(b => b != TargetBands[t]).ToArray();
            var (n1, s1) = WeekTwo(await Post(own, Cohort(clinic)));
            var (n2, s2) = WeekTwo(await Post(own, Cohort(clinic, allBut)));
            ownRecovered.Add(s1 - s2);
            Assert.Equal(1, n1 - n2);

            // One asker, over the network or as a researcher: the whole clinic is answered, the clinic but the target
            // (a cohort one course from it) is withheld, though large enough to publish.
            foreach (var (asker, query) in new[]
                     {
                         (fixture.ClientAs($"network-{clinic}-{t}", AccessToken.Roles.Quality, NewClinic()), "?coverage=network"),
                         (fixture.ClientAs($"researcher-{clinic}-{t}", AccessToken.Roles.Researcher, clinic), ""),
                     })
            {
                Assert.Null((await Post(asker, Cohort(clinic), query))["overall"]!["withheld"]);
                Assert.Equal("protected", (string)(await Post(asker, Cohort(clinic, allBut), query))["overall"]!["withheld"]!);
            }

            // Two askers (the residual the lock-out cannot see): each is answered one of the pair, and the difference is
            // the target's score plus the sums' noise.
            var (_, q1) = WeekTwo(await Post(fixture.ClientAs($"first-{clinic}-{t}", AccessToken.Roles.Researcher, clinic), Cohort(clinic)));
            var second = await Post(fixture.ClientAs($"second-{clinic}-{t}", AccessToken.Roles.Researcher, clinic), Cohort(clinic, allBut));
            Assert.Null(second["overall"]!["withheld"]);
            colludingErrors.Add(Math.Abs(q1 - WeekTwo(second).Sum - TargetWeekTwoScores[t]));
        }

        // Unprotected: every target's score comes out exactly.
        Assert.Equal(TargetWeekTwoScores.Select(s => (double)s), ownRecovered.Select(v => Math.Round(v, 6)));
        // Colluding askers: the difference carries the sums' noise (sd 27 each); within a point for at most two of six.
        Assert.True(colludingErrors.Count(e => e <= 1) <= 2, "colluding: " + string.Join(", ", colludingErrors));
    }

    [Fact]
    public async Task CumulativeFilters_OwnTierGivesTheDifferenceExactly_ProtectedTierOnlyWithNoise()
    {
        var clinic = NewClinic();
        await FeedClinic(clinic, typical: 12);
        await CutRelease();
        var own = fixture.ClientFor(AccessToken.Roles.Quality, clinic);
        var network = fixture.ClientAs(Asker(), AccessToken.Roles.Researcher, NewClinic());

        // Every first session is in 2026-Q1: "up to 2026-Q1" minus "up to 2025-Q4" is that quarter's cohort. Each target
        // is alone in its age band, so the difference is that one course: its count and its week-2 score.
        var errors = new List<double>();
        for (var t = 0; t < TargetBands.Length; t++)
        {
            var (n1, s1) = WeekTwo(await Post(own, Cohort(clinic, [TargetBands[t]], to: "2026-Q1")));
            var (n0, s0) = WeekTwo(await Post(own, Cohort(clinic, [TargetBands[t]], to: "2025-Q4")));
            Assert.Equal((1.0, TargetWeekTwoScores[t]), (n1 - n0, Math.Round(s1 - s0, 6)));

            var (_, p1) = WeekTwo(await Post(network, Cohort(clinic, [TargetBands[t]], to: "2026-Q1"), "?coverage=network"));
            var (_, p0) = WeekTwo(await Post(network, Cohort(clinic, [TargetBands[t]], to: "2025-Q4"), "?coverage=network"));
            errors.Add(Math.Abs(p1 - p0 - TargetWeekTwoScores[t]));
        }
        Assert.True(errors.Count(e => e <= 1) <= 2, string.Join(", ", errors));
    }

    [Fact]
    public async Task ReportsAtTwoPositions_GiveTheNewScoreToTheOwnClinic_ButTheProtectedTierAnswersOnlyAtReleasePoints()
    {
        var clinic = NewClinic();
        await FeedClinic(clinic, typical: 12, withTargets: false);
        await CutRelease();
        var own = fixture.ClientFor(AccessToken.Roles.Quality, clinic);
        var network = fixture.ClientAs($"network-{clinic}", AccessToken.Roles.Quality, NewClinic());
        var before = await Post(own, Cohort(clinic));
        var position = (long)before["provenance"]!["eventStorePosition"]!;
        var protectedBefore = (await Post(network, Cohort(clinic), "?coverage=network")).ToJsonString();

        var late = CourseFeed.ForNewPatient(clinic);
        await fixture.Publisher.PublishAll(late.Induction().Take(5));
        await fixture.CourseWith(late, 5);

        // Own tier: the position before and now differ by the new course, whose baseline (18) the sums give exactly.
        var after = await Post(own, Cohort(clinic));
        var baselineSum = (JsonNode r) => (double)r["overall"]!["trajectory"]!["weeks"]![0]!["mean"]! *
                                           (double)r["overall"]!["trajectory"]!["weeks"]![0]!["courses"]!["value"]!;
        Assert.Equal(18, Math.Round(baselineSum(after) - baselineSum(before), 6));

        // Protected tier: a position that is not a release point (the release stands at `position`) is refused, naming
        // the field and the rule ...
        var refused = await network.PostAsJsonAsync($"/api/v1/reports/cohort?coverage=network&asOfPosition={position - 1}", Cohort(clinic));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("asOfPosition", await refused.Content.ReadAsStringAsync());
        // ... and the latest protected answer stays at the release point until the next one is cut.
        Assert.Equal(protectedBefore, (await Post(network, Cohort(clinic), "?coverage=network")).ToJsonString());
        // At the next release the same cohort is one course larger: for the asker who was answered it before, that is
        // the differencing pair across releases, withheld; an asker who never saw it before is answered.
        await CutRelease();
        var next = await Post(network, Cohort(clinic), "?coverage=network");
        Assert.Equal("protected", (string)next["disclosure"]!["tier"]!);
        Assert.Equal("protected", (string)next["overall"]!["withheld"]!);
        var fresh = await Post(fixture.ClientAs($"fresh-{clinic}", AccessToken.Roles.Quality, NewClinic()), Cohort(clinic), "?coverage=network");
        Assert.Null(fresh["overall"]!["withheld"]);
        Assert.NotEqual(protectedBefore, fresh.ToJsonString());
    }

    [Fact]
    public async Task ProtectedReports_OneReasonLabel_AtRiskRowsOnTheGrid_ParametersStated()
    {
        var clinic = NewClinic();
        await FeedClinic(clinic, typical: 3);
        await CutRelease();
        var researcher = fixture.ClientAs(Asker(), AccessToken.Roles.Researcher, clinic);
        var definition = Cohort(clinic);
        definition["options"]!["atRiskDays"] = new JsonArray(Enumerable.Range(0, 20).Select(d => (JsonNode)d).ToArray());

        var text = (await Post(researcher, definition)).ToJsonString();
        var report = JsonNode.Parse(text)!;

        foreach (var label in new[] { "below-threshold", "complementary", "few-at-risk", "few-events", "small-group" })
            Assert.DoesNotContain(label, text);
        var atRisk = report["overall"]!["timeToResponse"]!["days"]!["atRisk"]!.AsArray();
        Assert.All(atRisk, row => Assert.Equal(0, (double)row!["time"]! % 7));
        Assert.Equal("protected", (string)report["disclosure"]!["tier"]!);
        Assert.Equal("cell-key", (string)report["disclosure"]!["perturbation"]!["method"]!);
        Assert.NotNull(report["disclosure"]!["release"]!["id"]);

        // The same clinic's quality lead sees the same cohort exactly, every small cell included, and at-risk rows on
        // every day asked: where the number at risk drops between two days, a course responded (or left) that day,
        // which is what the protected tier's grid does not tell.
        var own = await Post(fixture.ClientFor(AccessToken.Roles.Quality, clinic), definition);
        Assert.Equal("own-clinics", (string)own["disclosure"]!["tier"]!);
        Assert.Equal(9, (int)own["overall"]!["counts"]!["enrolled"]!["value"]!);
        var daily = own["overall"]!["timeToResponse"]!["days"]!["atRisk"]!.AsArray()
            .Select(row => ((double)row!["time"]!, (int)row["atRisk"]!["value"]!)).ToList();
        Assert.Equal(Enumerable.Range(0, 20).Select(d => (double)d), daily.Select(row => row.Item1));
        Assert.Contains(daily.Zip(daily.Skip(1)), pair => pair.Second.Item2 < pair.First.Item2 && pair.Second.Item1 % 7 != 0);
    }

    /// A course in its own age band that stopped for adverse effects with a positive item 9 at baseline: what a filter
    /// isolating it would tell.
    private static List<WireMessage> Isolated(CourseFeed feed, string band)
    {
        var enrolment = feed.Enrolment(CourseFeed.Start.AddDays(-3));
        enrolment["ageBand"] = band;
        return
        [
            CourseFeed.Message("patient-enrolled", enrolment),
            CourseFeed.Message("phq9-completed", feed.Phq9(CourseFeed.Start.AddDays(-1), 3, 3, 2, 2, 2, 2, 2, 2, 2)),
            CourseFeed.Message("treatment-session-given", feed.Session(CourseFeed.Start)),
            CourseFeed.Message("treatment-session-given", feed.Session(CourseFeed.Start.AddDays(3))),
            CourseFeed.Message("phq9-completed", feed.Phq9Total(CourseFeed.Start.AddDays(3).AddHours(2), 21)),
            CourseFeed.Message("course-ended", feed.Ended(CourseFeed.Start.AddDays(5), "discontinued-adverse-effects")),
        ];
    }

    private async Task Feed(IReadOnlyList<(CourseFeed Feed, List<WireMessage> Messages)> courses)
    {
        await fixture.Publisher.PublishAll(courses.SelectMany(c => c.Messages));
        foreach (var (feed, messages) in courses) await fixture.CourseWith(feed, messages.Count);
    }

    private static int? AdverseStops(JsonNode group) =>
        group["counts"]?["endReasons"]?.AsArray().Single(r => ((string)r!["reason"]!).Contains("adverse", StringComparison.Ordinal))!["courses"]?["value"]
            ?.GetValue<int>();

    private static JsonObject Sections(JsonObject definition, params string[] sections)
    {
        definition["options"] = new JsonObject { ["sections"] = new JsonArray(sections.Select(s => (JsonNode)s).ToArray()) };
        return definition;
    }

    [Fact]
    public async Task FilterIsolatingOneCourse_OwnTierShowsItsStopReasonAndItem9_ProtectedTierShowsNothingOfIt()
    {
        var clinic = NewClinic();
        var target = CourseFeed.ForNewPatient(clinic);
        var typical = Enumerable.Range(0, 12).Select(_ => Banded(clinic, "35-44")).ToList();
        await Feed([.. typical, (target, Isolated(target, "90+"))]);
        await CutRelease();
        var isolating = Sections(Cohort(clinic, ["90+"]), "counts", "response", "trajectory", "item9");

        // Unprotected (the clinic's own tier): the filter isolates the course, and its stop reason, baseline item 9
        // and PHQ-9 series are read off the report.
        var own = (await Post(fixture.ClientFor(AccessToken.Roles.Quality, clinic), isolating))["overall"]!;
        Assert.Equal(1, (int)own["counts"]!["enrolled"]!["value"]!);
        Assert.Equal(1, AdverseStops(own));
        Assert.Equal(1, (int)own["item9"]!["positiveAtBaseline"]!["events"]!["value"]!);
        Assert.Equal(21, (double)own["trajectory"]!["weeks"]![1]!["mean"]!);

        // Protected (a researcher, and another clinic's quality lead over the network): the group is under the
        // minimum base, so it is withheld whole: no count, no reason, no item 9, no mean.
        foreach (var (client, query) in new[]
                 {
                     (fixture.ClientAs(Asker(), AccessToken.Roles.Researcher, clinic), ""),
                     (fixture.ClientAs(Asker(), AccessToken.Roles.Quality, NewClinic()), "?coverage=network"),
                 })
        {
            var report = await Post(client, isolating, query);
            var overall = report["overall"]!;
            Assert.Equal("protected", (string)overall["withheld"]!);
            Assert.Null(overall["counts"]);
            Assert.Null(overall["item9"]);
            Assert.Null(overall["trajectory"]);
            Assert.Equal(5, (int)report["disclosure"]!["perturbation"]!["minimumBase"]!);
        }

        // The clinic as a whole is published in the protected tier, its stop reasons included: the rule withholds the
        // isolated course, not the clinic.
        var whole = (await Post(fixture.ClientAs(Asker(), AccessToken.Roles.Researcher, clinic), Sections(Cohort(clinic), "counts")))["overall"]!;
        Assert.Null(whole["withheld"]);
        Assert.NotNull(AdverseStops(whole));
    }

    [Fact]
    public async Task NetworkCohortPaddedWithTheCallersOwnCourses_WouldTellAnotherClinicsCourse_ButExcludesThem()
    {
        // The caller's clinic has seven courses in each of six age bands, none stopped for adverse effects (it knows
        // that exactly, from its own tier); another clinic has one course in each of those bands, each stopped for
        // adverse effects. A network cohort "my clinic and that clinic, one age band" is seven known courses plus the
        // target: since 0 stays 0, any adverse-effect count above 0 is the target's.
        var mine = NewClinic();
        var theirs = NewClinic();
        var courses = new List<(CourseFeed, List<WireMessage>)>();
        foreach (var band in TargetBands)
        {
            for (var i = 0; i < 7; i++) courses.Add(Banded(mine, band));
            var target = CourseFeed.ForNewPatient(theirs);
            courses.Add((target, Isolated(target, band)));
        }
        await Feed(courses);
        await CutRelease();

        var quality = fixture.ClientAs(Asker(), AccessToken.Roles.Quality, mine);
        var unpadded = new List<int?>();
        foreach (var band in TargetBands)
        {
            var padded = Sections(Cohort(mine, [band]), "counts");
            padded["filter"]!["clinic"] = new JsonArray(mine, theirs);

            // What the caller knows: its own seven courses of the band, exactly, none stopped for adverse effects.
            var known = (await Post(quality, Sections(Cohort(mine, [band]), "counts")))["overall"]!;
            Assert.Equal((7, 0), ((int)known["counts"]!["enrolled"]!["value"]!, AdverseStops(known)));

            // Without the rule: the same protected computation over the padded cohort (as an administrator of every
            // clinic asks it, who has no one to learn about) publishes the group of eight, adverse-effect count included.
            unpadded.Add(AdverseStops((await Post(fixture.Client, padded, "?coverage=network"))["overall"]!));

            // The caller's network report leaves its own clinic out, says so, and the target alone is under the base;
            // the same for a researcher of that clinic (who exports its courses with their exact outcomes).
            foreach (var asker in new[] { quality, fixture.ClientAs(Asker(), AccessToken.Roles.Researcher, mine) })
            {
                var report = await Post(asker, padded, "?coverage=network");
                Assert.Contains(mine, report["definition"]!["filter"]!["excludeClinic"]!.AsArray().Select(c => (string)c!));
                Assert.Equal("protected", (string)report["overall"]!["withheld"]!);
            }
        }
        // A count of 1 publishes as 0 about a quarter of the time; over six targets the attack reads at least one.
        Assert.All(unpadded, count => Assert.NotNull(count));
        Assert.Contains(unpadded, count => count > 0);
    }

    [Fact]
    public async Task OnePairThroughAnotherScopeOrAnOlderRelease_TheSecondWithheld_TheOwnTierShowsWhatThePairWouldTell()
    {
        // Clinic one has twelve courses in 35-44; clinic two one more (the target). A researcher of both asks the band
        // over both clinics, then over clinic one alone (?clinicId=): the two cohorts differ by the target, whose course
        // the second request never reads.
        var (one, two) = (NewClinic(), NewClinic());
        var courses = Enumerable.Range(0, 12).Select(_ => Banded(one, "35-44")).Append(Banded(two, "35-44")).ToList();
        await Feed(courses);
        var first = await CutRelease();
        var band = Sections(Cohort(one, ["35-44"]), "counts", "trajectory");
        band["filter"]!["clinic"] = new JsonArray(one, two);

        // Unprotected: the own tier gives the pair's difference (one course, its week-2 score) exactly.
        var own = fixture.ClientFor(AccessToken.Roles.Quality, one, two);
        var (n1, s1) = WeekTwo(await Post(own, band));
        var (n0, s0) = WeekTwo(await Post(own, band, $"?clinicId={one}"));
        Assert.Equal(1, n1 - n0);
        Assert.True(s1 - s0 > 0);

        var researcher = fixture.ClientAs(Asker(), AccessToken.Roles.Researcher, one, two);
        Assert.False(Withheld(Overall(await Post(researcher, band))));
        Assert.True(Withheld(Overall(await Post(researcher, band, $"?clinicId={one}"))));

        // The same pair across releases, newest first: a new course joins clinic one's band; an asker is answered the
        // band at the newest release, then at the release before (one course fewer), which is withheld.
        var late = Banded(one, "35-44");
        await Feed([late]);
        await CutRelease();
        var alone = Sections(Cohort(one, ["35-44"]), "counts", "trajectory");
        var asker = fixture.ClientAs(Asker(), AccessToken.Roles.Researcher, one);
        Assert.False(Withheld(Overall(await Post(asker, alone))));
        Assert.True(Withheld(Overall(await Post(asker, alone, $"?asOfPosition={first}"))));
        // Another asker is answered the older release's cohort: the withholding is the pair's, not the release's.
        Assert.False(Withheld(Overall(await Post(fixture.ClientAs(Asker(), AccessToken.Roles.Researcher, one), alone, $"?asOfPosition={first}"))));
    }

    [Fact]
    public async Task AWholeCohortOneCourseFromOneAskedBefore_ItsGroupsWithheldToo_AndEligibleCoursesCountAsAPair()
    {
        // Twelve courses in 35-44; in 45-54 one eligible course and one enrolled without any PHQ-9.
        var clinic = NewClinic();
        await Feed([.. Enumerable.Range(0, 12).Select(_ => Banded(clinic, "35-44")), Banded(clinic, "45-54"), Banded(clinic, "45-54", eligible: false)]);
        await CutRelease();
        var researcher = fixture.ClientAs(Asker(), AccessToken.Roles.Researcher, clinic);
        Assert.False(Withheld(Overall(await Post(researcher, Sections(Cohort(clinic, ["35-44"]), "counts", "response")))));

        // Both bands, grouped by age band: two courses more than asked before, so not a pair by its courses, but its
        // eligible courses are one more (the course without a baseline is no rate's base): the whole cohort is withheld,
        // and with it both groups (35-44 is the cohort asked before; published beside 45-54 they would add up to it).
        var grouped = Sections(Cohort(clinic, ["35-44", "45-54"]), "counts", "response");
        grouped["groupBy"] = "age-band";
        var report = await Post(researcher, grouped);
        Assert.True(Withheld(Overall(report)));
        Assert.All(report["groups"]!.AsArray(), group => Assert.True(Withheld(group!)));

        // Unprotected: the clinic's own tier answers both and their response rates' bases differ by one course.
        var own = fixture.ClientFor(AccessToken.Roles.Quality, clinic);
        var before = (int)Overall(await Post(own, Sections(Cohort(clinic, ["35-44"]), "counts")))["counts"]!["eligible"]!["value"]!;
        var after = (int)Overall(await Post(own, grouped))["counts"]!["eligible"]!["value"]!;
        Assert.Equal(1, after - before);
    }

    [Fact]
    public async Task ATokenNamingNoAsker_RefusedProtectedFigures_TheOwnTierStillAnswers()
    {
        var clinic = NewClinic();
        await Feed(Enumerable.Range(0, 6).Select(_ => Banded(clinic, "35-44")).ToList());
        await CutRelease();

        // Without a name the lock-out could not tell its questions from anyone else's: every pair would be one asker's.
        var anonymous = await fixture.ClientAs("", AccessToken.Roles.Researcher, clinic).PostAsJsonAsync("/api/v1/reports/cohort", Cohort(clinic));
        Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);
        Assert.Contains("named asker", await anonymous.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await fixture.ClientAs("", AccessToken.Roles.Quality, clinic).PostAsJsonAsync("/api/v1/reports/cohort", Cohort(clinic))).StatusCode);
    }

    [Fact]
    public async Task BadScope_RefusedNamingTheParameter()
    {
        var response = await fixture.Client.GetAsync("/api/v1/reports/overview?coverage=everyone");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("coverage", await response.Content.ReadAsStringAsync());
    }
}
