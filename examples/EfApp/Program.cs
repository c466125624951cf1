using System.Text.Json;
using EfApp;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Stepwise.Hosting;

// An EF Core app bound to its schema version: its DbContext uses the NpgsqlDataSource that Stepwise binds to the
// version schema of the newest migration the app ships (when that schema exists), and the app registers itself as a
// running instance of that version while it runs, so `stepwise complete` waits for it.
//   ConnectionStrings__Default="Host=localhost;Username=app;Database=notes" dotnet EfApp.dll add "some text" ann
//   ConnectionStrings__Default=... dotnet EfApp.dll list
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace); // stdout carries the answer only
var connectionString = builder.Configuration.GetConnectionString("Default")
    ?? throw new InvalidOperationException("no database: set ConnectionStrings:Default (environment variable ConnectionStrings__Default)");

builder.Services.AddStepwise(options => options.UseEmbeddedMigrations(typeof(NotesContext).Assembly));
builder.Services.AddStepwiseDataSource(connectionString);   // bound to this build's version schema
builder.Services.AddDbContext<NotesContext>((services, options) => options.UseNpgsql(services.GetRequiredService<NpgsqlDataSource>()));

using var host = builder.Build();
try
{
    await host.StartAsync();
}
catch (SchemaNotReadyException)
{
    return 1; // already logged, on one line, with the command that fixes it
}

await using (var scope = host.Services.CreateAsyncScope())
{
    var db = scope.ServiceProvider.GetRequiredService<NotesContext>();
    switch (args.FirstOrDefault())
    {
        case "add" when args.Length >= 2:
            var note = new Note { Body = args[1], Author = args.Length > 2 ? args[2] : null };
            db.Notes.Add(note);
            await db.SaveChangesAsync();
            Console.WriteLine(JsonSerializer.Serialize(new { added = note.Id }));
            break;
        case "list":
            var schemas = await db.Database.SqlQueryRaw<string>("SELECT array_to_string(current_schemas(false), ',') AS \"Value\"").SingleAsync();
            var notes = await db.Notes.OrderBy(n => n.Id).ToListAsync();
            Console.WriteLine(JsonSerializer.Serialize(new { schemas, notes }));
            break;
        default:
            await Console.Error.WriteLineAsync("usage: EfApp add TEXT [AUTHOR] | EfApp list");
            await host.StopAsync();
            return 2;
    }
}
await host.StopAsync();
return 0;
