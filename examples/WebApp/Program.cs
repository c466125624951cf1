using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Stepwise.Hosting;

// A minimal web app that refuses to start on a database its migrations have not reached, and reports
// the schema's state at /health. Run it with:
//   ConnectionStrings__Default="Host=localhost;Username=app;Database=notes" dotnet run --urls http://127.0.0.1:5080
// Content root beside WebApp.dll, so appsettings.json is found whatever the working directory.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
var connectionString = builder.Configuration.GetConnectionString("Default")
    ?? throw new InvalidOperationException("no database: set ConnectionStrings:Default (environment variable ConnectionStrings__Default)");

// The app's own data source; Stepwise uses it too, since Stepwise:ConnectionString is not set.
builder.Services.AddSingleton(NpgsqlDataSource.Create(connectionString));
builder.Services.AddStepwise(options => options
    .UseEmbeddedMigrations(typeof(Program).Assembly)   // examples/WebApp/migrations, embedded in WebApp.dll
    .Require("notes", "id", "body", "author"));         // Stepwise:Mode (appsettings.json) is RequireUpToDate
builder.Services.AddHealthChecks().AddStepwiseHealthCheck();

var app = builder.Build();
app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteHealthAsync });
app.MapGet("/notes", async (NpgsqlDataSource db) =>
{
    await using var command = db.CreateCommand("SELECT count(*) FROM notes WHERE author IS NOT NULL");
    return Results.Ok(new { authored = (long)(await command.ExecuteScalarAsync())! });
});

try
{
    await app.RunAsync();
    return 0;
}
catch (SchemaNotReadyException)
{
    return 1; // already logged, on one line, with the command that fixes it
}

static Task WriteHealthAsync(HttpContext context, HealthReport report)
{
    context.Response.ContentType = "application/json";
    return context.Response.WriteAsync(JsonSerializer.Serialize(new
    {
        status = report.Status.ToString(),
        checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description, data = e.Value.Data }),
    }));
}
