using System.Text.RegularExpressions;

namespace Stepwise.Import;

/// <summary>What an imported file's header says.</summary>
/// <param name="From">The tool.</param>
/// <param name="SourceFile">The file (or EF script) it was made from.</param>
/// <param name="Version">
/// The tool's id for it, as its history table records it (for sql-migrate, whose id is the file name, <paramref name="SourceFile"/>);
/// null for repeatable migrations.
/// </param>
/// <param name="Checksum">The tool's checksum of the source, as its history table records it: Flyway's and Evolve's of a repeatable migration, sqlx's (SHA-384, hex) of every migration.</param>
public sealed record ImportedFrom(ImportSource From, string SourceFile, string? Version, string? Checksum);

/// <summary>
/// The first line of every imported file: <c>-- imported from flyway: V1_1__users.sql (version 1.1)</c>
/// (a Flyway repeatable: <c>-- imported from flyway: R__views.sql (checksum -1442123377)</c>).
/// It ties the Stepwise migration to the other tool's id, so <c>stepwise baseline --from</c> can mark
/// exactly the migrations the other tool's history table lists, whatever their Stepwise version. An
/// ordinary comment to the migration reader, and part of the file's checksum like any other line.
/// </summary>
public static partial class ImportOrigin
{
    /// <summary>The header line (without its newline). An id that is the file name (sql-migrate's) is not written twice.</summary>
    public static string Header(ImportSource from, string sourceFile, string? id, string? checksum = null) =>
        $"-- imported from {Importer.Name(from)}: {sourceFile}" + (id is null || IdIsFileName(from) && id == sourceFile ? "" : $" (version {id})")
        + (checksum is null ? "" : $" (checksum {checksum})");

    /// <summary>sql-migrate knows a migration by its file name: <c>gorp_migrations.id</c> is the name.</summary>
    private static bool IdIsFileName(ImportSource from) => from == ImportSource.SqlMigrate;

    /// <summary>What <paramref name="content"/>'s first line says, or null when it is not an import header.</summary>
    public static ImportedFrom? Read(string content)
    {
        var end = content.IndexOf('\n', StringComparison.Ordinal);
        var first = (end < 0 ? content : content[..end]).TrimEnd('\r');
        var match = HeaderLine().Match(first);
        if (!match.Success || Importer.Parse(match.Groups["tool"].Value) is not { } from)
        {
            return null;
        }
        var file = match.Groups["file"].Value;
        return new ImportedFrom(from, file, NullIfEmpty(match.Groups["id"].Value) ?? (IdIsFileName(from) ? file : null), NullIfEmpty(match.Groups["checksum"].Value));
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    // The tool is any name Importer.Parse knows; an id may hold parentheses (a DbUp script's name); a checksum is Flyway's
    // CRC-32 (a signed number), Evolve's MD5 or sqlx's SHA-384 (hex).
    [GeneratedRegex(@"^-- imported from (?<tool>[a-z-]+): (?<file>.+?)(?: \(version (?<id>.+?)\))?(?: \(checksum (?<checksum>-?[0-9A-Fa-f]+)\))?$")]
    private static partial Regex HeaderLine();
}
