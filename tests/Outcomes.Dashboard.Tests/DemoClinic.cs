using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Dashboard.Tests;

/// Demo-like courses for one clinic, sent as an integration engine sends them: per modality, a third of the courses
/// respond by day 7 (after 3 sessions), a third by day 14 (after 5), a third do not respond; all complete 6 sessions.
/// Every group, responders and non-responders alike, is large enough to pass suppression at 11 when there are 33 or more.
internal static class DemoClinic
{
    public static readonly string[] Modalities = ["iv-ketamine", "intranasal-esketamine", "im-ketamine"];

    private static readonly Dictionary<string, string> Routes = new()
    {
        ["iv-ketamine"] = "intravenous", ["intranasal-esketamine"] = "intranasal", ["im-ketamine"] = "intramuscular",
    };

    public static IReadOnlyList<WireMessage> Courses(string clinic, int perModality) =>
        Modalities.SelectMany(modality => Enumerable.Range(0, perModality).SelectMany(i => Course(clinic, modality, i % 3))).ToList();

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
