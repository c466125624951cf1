using Microsoft.EntityFrameworkCore;

namespace EfApp;

/// <summary>A note, as the app sees the table.</summary>
public sealed class Note
{
    public long Id { get; set; }

    public required string Text { get; set; }

    public string? Author { get; set; }
}

/// <summary>
/// Which release of the app this process is: release N calls the note's text column <c>body</c> and ships migrations up
/// to <c>20261201091500_note_author</c>; release N+1 ships <c>20261201093000_rename_body</c> too and calls it
/// <c>content</c>. Two builds of one app in one binary, so that both can run side by side against one database.
/// </summary>
public sealed record Release(string Name, string Migrations, string TextColumn)
{
    public static readonly Release N = new("N", "release-n", "body");

    public static readonly Release NPlus1 = new("N+1", "migrations", "content");

    /// <summary>The release named by <paramref name="name"/> (<c>N</c>, <c>N+1</c>; N+1 when not set).</summary>
    public static Release Parse(string? name) => name switch
    {
        null or "" or "N+1" => NPlus1,
        "N" => N,
        _ => throw new InvalidOperationException($"Notes:Release is '{name}'; it must be N or N+1 (environment variable Notes__Release)"),
    };
}

/// <summary>
/// The app's model. It names tables without a schema (no <c>HasDefaultSchema</c>, no <c>ToTable(name, schema)</c>):
/// the connection's search_path, which Stepwise points at this release's version schema, decides where they are.
/// The text column's name is the release's (one release per process, so EF's model cache holds the right one).
/// </summary>
public sealed class NotesContext(DbContextOptions<NotesContext> options, Release release) : DbContext(options)
{
    public DbSet<Note> Notes => Set<Note>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Note>(note =>
        {
            note.ToTable("notes");
            note.Property(n => n.Id).HasColumnName("id").UseIdentityAlwaysColumn();
            note.Property(n => n.Text).HasColumnName(release.TextColumn);
            note.Property(n => n.Author).HasColumnName("author");
        });
    }
}
