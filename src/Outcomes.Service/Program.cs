using System.Text.Json.Serialization;
using Outcomes.Service.Cohorts;
using Outcomes.Service.CourseOutcomes;
using Outcomes.Service.Dashboard;
using Outcomes.Service.Disclosure;
using Outcomes.Service.Exports;
using Outcomes.Service.Hosting;
using Outcomes.Service.Ingestion;
using Outcomes.Service.Patients;
using Outcomes.Service.Safety;
using Outcomes.Service.Security;

if (args is [OutcomeRebuildCommand.Verb, ..])
    return await OutcomeRebuildCommand.Run(args[1..]);

var builder = WebApplication.CreateBuilder(args);
builder.Logging.ClearProviders().AddJsonConsole();
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
builder.Services.AddOutcomesOpenApi();
builder.Services.AddOutcomesApiConventions();
builder.Services.AddProblemDetails();
builder.Services.AddOutcomesSecurity();
builder.Services.AddOutcomesEventStore(builder.Configuration);
builder.Services.AddOutcomesMessaging(builder.Configuration);
builder.Services.AddOutcomesHealth(builder.Configuration);
builder.Services.AddDisclosureControl();
builder.Services.AddCohortReports();
builder.Services.AddSafetySignals();
builder.Services.AddOutcomesDashboard();
builder.Services.AddResearchExports();

var app = builder.Build();
app.UseOutcomesApiConventions();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapOutcomesOpenApi();
app.MapOutcomesHealth();
app.MapIngestionApi();
app.MapPatientsApi();
app.MapSafetySignalsApi();
app.MapDisclosureApi();
app.MapCohortReportsApi();
app.MapAdHocCohortApi();
app.MapDashboard();
app.MapWorkspace();
app.MapExportsApi();
await app.RunAsync();
return 0;

public partial class Program;
