using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Dashboard.Tests;

/// Demo-like courses for one clinic, sent as an integration engine sends them. Courses respond by day 7 (after 3
/// sessions), by day 14 (after 5) or not at all, in thirds that differ by modality so the curves differ: iv-ketamine
/// a third each, intranasal-esketamine one early third and two non-responding thirds, im-ketamine two late thirds and
/// one non-responding. All complete 6 sessions. With 33 or more per modality every such count passes suppression at 11.
internal static class DemoClinic
{
    public static readonly string[] Modalities = ["iv-ketamine", "intranasal-esketamine", "im-ketamine"];

    private static readonly Dictionary<string, string> Routes = new()
    {
        ["iv-ketamine"] = "intravenous", ["intranasal-esketamine"] = "intranasal", ["im-ketamine"] = "intramuscular",
    };

    public static IReadOnlyList<WireMessage> Courses(string clinic, int perModality) =>
        Modalities.SelectMany(modality => Enumerable.Range(0, perModality).SelectMany(i => Course(clinic, modality, Pace(modality, 3 * i / perModality)))).ToList();

    /// 0: responds by day 7, 1: by day 14, 2: does not respond; by modality and third of its courses.
    private static int Pace(string modality, int third) => modality switch
    {
        "iv-ketamine" => third,
        "intranasal-esketamine" => third == 0 ? 0 : 2,
        _ => third < 2 ? 1 : 2,
    };

    private static IEnumerable<WireMessage> Course(string clinic, string modality, int pace)
    {
        var feed = CourseFeed.ForNewPatient(clinic);
        var start = CourseFeed.Start;
        var enrolment = feed.Enrolment(start.AddDays(-3));
        enrolment["modality"] = modality;
        yield return CourseFeed.Message("patient-enrolled", enrolment);
        yield return CourseFeed.Message("phq9-completed", feed.Phq9(start.AddDays(-1), 3, 3, 3, 3, 2, 2, 2, 2, 0));
        int[] days = [0, 3, 7, 10, 14, 17];
        for (var k = 0; k < days.Length; k++)
        {
            var session = feed.Session(start.AddDays(days[k]));
            session["modality"] = modality;
            session["route"] = Routes[modality];
            if (modality == "intranasal-esketamine")
            {
                session["dose"] = 56;
                session["doseUnit"] = "mg";
            }
            yield return CourseFeed.Message("treatment-session-given", session);
            var responded = (pace == 0 && days[k] >= 7) || (pace == 1 && days[k] >= 14);
            int[] items = responded ? [2, 2, 1, 1, 1, 1, 1, 0, 0] : [2, 2, 2, 2, 2, 2, 2, 1, 0];
            if (k > 0) yield return CourseFeed.Message("phq9-completed", feed.Phq9(start.AddDays(days[k]).AddHours(2), items));
        }
        yield return CourseFeed.Message("course-ended", feed.Ended(start.AddDays(20)));
    }
}
