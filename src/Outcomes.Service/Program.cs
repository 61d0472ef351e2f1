using System.Text.Json.Serialization;
using Outcomes.Service.Cohorts;
using Outcomes.Service.Exports;
using Outcomes.Service.Hosting;
using Outcomes.Service.Ingestion;
using Outcomes.Service.Patients;
using Outcomes.Service.Security;

var builder = WebApplication.CreateBuilder(args);
builder.Logging.ClearProviders().AddJsonConsole();
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
builder.Services.AddOutcomesOpenApi();
builder.Services.AddProblemDetails();
builder.Services.AddOutcomesSecurity();
builder.Services.AddOutcomesEventStore(builder.Configuration);
builder.Services.AddOutcomesMessaging(builder.Configuration);
builder.Services.AddOutcomesHealth(builder.Configuration);
builder.Services.AddCohortReports();
builder.Services.AddResearchExports();

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
app.MapOutcomesOpenApi();
app.MapOutcomesHealth();
app.MapIngestionApi();
app.MapPatientsApi();
app.MapCohortReportsApi();
app.MapExportsApi();
app.Run();

public partial class Program;
