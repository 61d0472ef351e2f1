using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Outcomes.Service.Hosting;

/// Writes each check's status so an operator sees which dependency is down.
internal static class HealthReportWriter
{
    public static Task Write(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), e.Value.Description }),
        }));
    }
}
