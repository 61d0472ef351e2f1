using System.Globalization;
using System.Text;
using Outcomes.Domain.Courses;
using Outcomes.Domain.Outcomes;
using Outcomes.Domain.Safety;
using Outcomes.Service.Audit;
using Outcomes.Service.Safety;
using Outcomes.Service.Security;

namespace Outcomes.Service.Dashboard;

/// A quality lead's daily pages over the clinic's own courses: the safety worklist with its follow-up, a patient's
/// course on one page, and finding a course by its pseudonymous key. Quality leads and administrators only.
public static class WorkspaceEndpoints
{
    public static IEndpointRouteBuilder MapWorkspace(this IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup(Pages.Root).RequireAuthorization(AccessPolicies.QualityOrAdmin).ExcludeFromDescription();
        pages.MapGet("/safety", Worklist).AuditsCourseAccess(CourseAccessKinds.SafetyWorklist);
        pages.MapPost("/safety/{id:guid}/{action:regex(^(acknowledge|resolve)$)}", FollowUp).AuditsCourseAccess(CourseAccessKinds.SignalFollowUp);
        pages.MapGet("/patients", Find);
        pages.MapGet("/patients/{clinicId}/{patientKey}", Timeline).AuditsCourseAccess(CourseAccessKinds.PatientTimeline);
        return app;
    }

    private static async Task<IResult> Worklist(string? clinicId, string? status, HttpContext http, ClinicScope scope, SafetySignals signals,
        CourseReads reads, CancellationToken ct)
    {
        if (clinicId is not null && !scope.Includes(clinicId))
            return DashboardEndpoints.OutOfScope(http, clinicId);
        var wanted = status is null ? [SignalStatus.Open, SignalStatus.Acknowledged]
            : SignalFollowUp.ParseStatus(status) is { } one ? new[] { one } : null;
        if (wanted is null)
            return DashboardEndpoints.Problem(http, 400, "Unknown status", $"status: must be open, acknowledged or resolved, got '{status}'.");
        var clinics = clinicId is not null ? [clinicId] : scope.AllClinics ? null : scope.Clinics.ToArray();
        var rows = await signals.List(clinics, wanted, null, ct);
        reads.Clinics(clinics ?? rows.Select(r => r.ClinicId));
        var token = DashboardEndpoints.FormTokenOf(http, http.RequestServices.GetRequiredService<Microsoft.AspNetCore.Antiforgery.IAntiforgery>());
        return DashboardEndpoints.Page(http, 200, "Safety worklist", WorkspacePages.Worklist(rows, clinicId, status, scope, token));
    }

    private static async Task<IResult> FollowUp(Guid id, string action, [Microsoft.AspNetCore.Mvc.FromForm] string? reason,
        [Microsoft.AspNetCore.Mvc.FromForm] string? returnUrl, HttpContext http, SafetySignals signals, CourseReads reads, CancellationToken ct)
    {
        var (row, violation, missing) = await signals.FollowUp(id, ClinicScope.Of(http.User), Caller.Of(http.User), action == "acknowledge", reason, ct);
        if (missing) return DashboardEndpoints.Problem(http, 404, "No such signal", "There is no such signal among your clinics.");
        if (violation is not null)
            return DashboardEndpoints.Problem(http, violation.Conflict ? 409 : 400, "The follow-up was not recorded", $"{violation.Field}: {violation.Rule}.");
        reads.Course(SafetySignalStore.CourseOf(row!));
        return Results.Redirect(DashboardEndpoints.SafeReturn(returnUrl) ?? Pages.Root + "/safety", permanent: false, preserveMethod: false);
    }

    private static IResult Find(string? clinicId, string? key, int? course, HttpContext http, ClinicScope scope)
    {
        if (clinicId is { Length: > 0 } && key is { Length: > 0 })
        {
            if (!scope.Includes(clinicId))
                return DashboardEndpoints.OutOfScope(http, clinicId);
            return Results.Redirect($"{Pages.Root}/patients/{Uri.EscapeDataString(clinicId)}/{Uri.EscapeDataString(key.Trim())}?course={course ?? 1}");
        }
        return DashboardEndpoints.Page(http, 200, "Find a course", WorkspacePages.Find(scope, clinicId, key, null));
    }

    private static async Task<IResult> Timeline(string clinicId, string patientKey, int? course, HttpContext http, ClinicScope scope,
        Npgsql.NpgsqlDataSource database, EventStore.CourseStreamReader courses, OutcomeDefinitions definitions, SafetySignals signals, CancellationToken ct)
    {
        if (!scope.Includes(clinicId))
            return DashboardEndpoints.OutOfScope(http, clinicId);
        var key = new CourseKey(clinicId, patientKey, course ?? CourseKey.FirstCourse);
        var found = await courses.CourseAsync(database, key, ct);
        if (found is null)
            return DashboardEndpoints.Page(http, 404, "Find a course",
                WorkspacePages.Find(scope, clinicId, patientKey, $"No course {key.Course} with key '{patientKey}' at {clinicId}."));
        var facts = found.Facts;
        var outcome = CourseOutcome.Derive(facts, definitions, DateTimeOffset.UtcNow);
        var raised = await signals.List(null, [SignalStatus.Open, SignalStatus.Acknowledged, SignalStatus.Resolved], key, ct);
        return DashboardEndpoints.Page(http, 200, $"Course {key.Course} of {patientKey}", WorkspacePages.Timeline(key, facts, outcome, definitions, raised));
    }
}

/// The markup of the workspace pages.
internal static class WorkspacePages
{
    private static readonly string Notice =
        "<p class=\"notice\">Safety signals support the clinic's oversight of its courses. They do not replace the point-of-care " +
        "screening and suicide-risk protocols the treating clinician follows at every visit.</p>";

    public static string Worklist(IReadOnlyList<SignalRow> rows, string? clinicId, string? status, ClinicScope scope, FormToken token)
    {
        var body = new StringBuilder("<article class=\"workspace\"><h1>Safety worklist</h1>").Append(Notice);
        body.Append($"<form method=\"get\" action=\"{Pages.Root}/safety\" class=\"filters\">{InsightEndpoints.ClinicPicker(scope, clinicId, "all of mine")}" +
                    "<label>Status <select name=\"status\">");
        foreach (var (value, label) in new[] { ("", "open and acknowledged"), ("open", "open"), ("acknowledged", "acknowledged"), ("resolved", "resolved") })
            body.Append($"<option value=\"{value}\"{((status ?? "") == value ? " selected" : "")}>{label}</option>");
        body.Append("</select></label><button type=\"submit\">Show</button></form>");
        body.Append("<dl class=\"definitions\">");
        foreach (var kind in Enum.GetValues<SignalKind>())
            body.Append($"<dt>{Markup.Text(SafetySignal.Label(kind))}</dt><dd>{Markup.Text(SafetySignal.Rule(kind))}</dd>");
        body.Append("</dl>");
        if (rows.Count == 0)
        {
            body.Append("<p class=\"empty\">No signals with this status.</p></article>");
            return body.ToString();
        }
        var back = $"{Pages.Root}/safety" + (clinicId is null && status is null ? "" :
            "?" + string.Join("&", new[] { clinicId is null ? null : "clinicId=" + Uri.EscapeDataString(clinicId), status is null ? null : "status=" + status }.OfType<string>()));
        body.Append("<div class=\"table-scroll\"><table class=\"worklist\"><thead><tr><th>Assessment</th><th>Patient (course)</th><th>Signal</th>" +
                    "<th>PHQ-9</th><th>Item 9</th><th>Baseline</th><th>Day / sessions</th><th>Status</th><th>Follow-up</th></tr></thead><tbody>");
        foreach (var row in rows)
        {
            var timeline = $"{Pages.Root}/patients/{Uri.EscapeDataString(row.ClinicId)}/{Uri.EscapeDataString(row.PatientKey)}?course={row.Course}";
            body.Append($"<tr data-signal-id=\"{row.Id}\" data-status=\"{Markup.Text(row.Status)}\">" +
                        $"<td><time datetime=\"{row.AssessmentAt.ToString("O", CultureInfo.InvariantCulture)}\">{row.AssessmentAt.UtcDateTime:yyyy-MM-dd HH:mm}</time></td>" +
                        $"<td><a href=\"{Markup.Text(timeline)}\">{Markup.Text(row.PatientKey)}</a> ({row.Course}) <span class=\"clinic\">{Markup.Text(row.ClinicId)}</span></td>" +
                        $"<td class=\"signal\">{Markup.Text(row.Signal)}</td><td>{row.Total}</td><td>{(row.Item9 is { } i ? i.ToString(CultureInfo.InvariantCulture) : "total only")}</td>" +
                        $"<td>{(row.BaselineTotal is { } b ? b.ToString(CultureInfo.InvariantCulture) : "none")}</td>" +
                        $"<td>{(row.Day is { } d ? d.ToString(CultureInfo.InvariantCulture) : "-")} / {row.SessionsReceived}</td>" +
                        $"<td>{Markup.Text(row.Status)}{Who(row)}</td><td>{Actions(row, token, back)}</td></tr>");
        }
        body.Append("</tbody></table></div></article>");
        return body.ToString();
    }

    private static string Who(SignalRow row) =>
        row.ResolvedBy is { } r ? $"<br><span class=\"meta\">by {Markup.Text(r)}, {Markup.Text(row.Reason)}</span>"
        : row.AcknowledgedBy is { } a ? $"<br><span class=\"meta\">by {Markup.Text(a)}, {Markup.Text(row.Reason)}</span>"
        : "";

    private static string Actions(SignalRow row, FormToken token, string back)
    {
        var html = new StringBuilder();
        void Form(string action, IReadOnlyList<string> reasons, string button)
        {
            html.Append($"<form method=\"post\" action=\"{Pages.Root}/safety/{row.Id}/{action}\" class=\"follow-up {action}\">{token.Field}" +
                        $"<input type=\"hidden\" name=\"returnUrl\" value=\"{Markup.Text(back)}\"><select name=\"reason\" aria-label=\"{button} reason\">");
            foreach (var reason in reasons) html.Append($"<option value=\"{reason}\">{Markup.Text(reason)}</option>");
            html.Append($"</select><button type=\"submit\">{button}</button></form>");
        }
        if (row.Status == "open") Form("acknowledge", SignalFollowUp.AcknowledgeReasons, "Acknowledge");
        if (row.Status != "resolved") Form("resolve", SignalFollowUp.ResolveReasons, "Resolve");
        return html.ToString();
    }


    public static string Find(ClinicScope scope, string? clinicId, string? key, string? problem)
    {
        var body = new StringBuilder("<article class=\"workspace\"><h1>Find a course</h1>");
        if (problem is not null) body.Append($"<p class=\"problem\" role=\"alert\">{Markup.Text(problem)}</p>");
        body.Append($"<form method=\"get\" action=\"{Pages.Root}/patients\" class=\"filters\">{InsightEndpoints.ClinicPicker(scope, clinicId)}" +
                    $"<label>Patient key <input name=\"key\" value=\"{Markup.Text(key)}\" required spellcheck=\"false\" autocomplete=\"off\"></label>" +
                    "<label>Course <input name=\"course\" type=\"number\" min=\"1\" max=\"99\" value=\"1\"></label><button type=\"submit\">Open</button></form>" +
                    "<p class=\"note\">The key is the clinic's own pseudonymous key (as its integration sends it), not a record number.</p></article>");
        return body.ToString();
    }

    public static string Timeline(CourseKey key, CourseFacts facts, CourseOutcome outcome, OutcomeDefinitions definitions,
        IReadOnlyList<SignalRow> signals)
    {
        var body = new StringBuilder($"<article class=\"workspace timeline\" data-course=\"{Markup.Text(key.ToString())}\">");
        body.Append($"<h1>{Markup.Text(key.PatientKey)}, course {key.Course} <span class=\"clinic\">{Markup.Text(key.ClinicId)}</span></h1>");
        var e = facts.Enrolment;
        body.Append("<p class=\"attributes\">" + (e is null ? "No enrolment received yet." :
            $"{Markup.Text(Label(e.Modality.ToString()))}; age band {Markup.Text(AgeBand(e.AgeBand))}; {Markup.Text(e.Sex.ToString().ToLowerInvariant())}; " +
            $"{Markup.Text(Label(e.DiagnosisGroup.ToString()))}; {e.PriorFailedTrials} prior failed trials") + "</p>");
        body.Append(TimelineChart.Render(outcome, facts, definitions, signals));
        body.Append("<section class=\"status\"><h2>Outcome status</h2><dl class=\"definitions\">");
        void Item(string term, string value) => body.Append($"<dt>{Markup.Text(term)}</dt><dd>{value}</dd>");
        Item("Sessions", outcome.SessionsReceived.ToString(CultureInfo.InvariantCulture));
        Item("Baseline", outcome.Baseline is { } b ? $"{b.Total} ({Markup.Text(Label(b.Severity.ToString()))})" : Markup.Text($"none ({outcome.NoBaselineReason})"));
        Item("Eligible", outcome.Eligible ? "yes" : $"no (baseline below {definitions.EligibilityMinimumBaseline} or none)");
        Item("Response", outcome.FirstResponse is { } r ? $"day {r.Day}, after {r.SessionsReceived} sessions (PHQ-9 {r.Total})" : outcome.Eligible ? "not yet" : "-");
        Item("Remission", outcome.FirstRemission is { } m ? $"day {m.Day}, after {m.SessionsReceived} sessions (PHQ-9 {m.Total})" : outcome.Eligible ? "not yet" : "-");
        Item("Course", outcome.CourseEnded ? $"ended ({Markup.Text(Label(outcome.EndReason?.ToString() ?? ""))}) on day {outcome.CourseEndDay}" : "ongoing");
        body.Append("</dl><p class=\"note\">Response: a PHQ-9 at least " +
                    $"{definitions.ResponseMinimumDropFraction:P0} below baseline; remission: a PHQ-9 below {definitions.RemissionBelowTotal} " +
                    $"(definitions {Markup.Text(definitions.Id)} {Markup.Text(definitions.Version)}).</p></section>");
        body.Append("<section class=\"signals\"><h2>Safety signals</h2>");
        if (signals.Count == 0) body.Append("<p class=\"empty\">None raised.</p>");
        else
        {
            body.Append("<ul>");
            foreach (var s in signals)
                body.Append($"<li data-signal=\"{Markup.Text(s.Signal)}\"><strong>{Markup.Text(s.Signal)}</strong> at " +
                            $"{s.AssessmentAt.UtcDateTime:yyyy-MM-dd HH:mm} (PHQ-9 {s.Total}): {Markup.Text(s.Status)}{Who(s)}</li>");
            body.Append($"</ul><p><a href=\"{Pages.Root}/safety?clinicId={Uri.EscapeDataString(key.ClinicId)}\">Follow up on the worklist</a></p>");
        }
        body.Append("</section>").Append(Notice).Append("</article>");
        return body.ToString();
    }

    private static string Label(string pascal) =>
        string.Concat(pascal.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    private static string AgeBand(AgeBand band) => Domain.Cohorts.CohortDimensions.EnumLabels<AgeBand>()[(int)band];
}
