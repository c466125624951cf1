using Microsoft.EntityFrameworkCore;

namespace EfApp;

/// <summary>A note, as this build of the app sees the table.</summary>
public sealed class Note
{
    public long Id { get; set; }

    public required string Body { get; set; }

    public string? Author { get; set; }
}

/// <summary>
/// The app's model. It names tables without a schema (no <c>HasDefaultSchema</c>, no <c>ToTable(name, schema)</c>):
/// the connection's search_path, which Stepwise points at this build's version schema, decides where they are.
/// </summary>
public sealed class NotesContext(DbContextOptions<NotesContext> options) : DbContext(options)
{
    public DbSet<Note> Notes => Set<Note>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Note>(note =>
        {
            note.ToTable("notes");
            note.Property(n => n.Id).HasColumnName("id").UseIdentityAlwaysColumn();
            note.Property(n => n.Body).HasColumnName("body");
            note.Property(n => n.Author).HasColumnName("author");
        });
    }
}
