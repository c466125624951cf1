using Stepwise.Diagnostics;
using Stepwise.Migrations;

namespace Stepwise.Import;

/// <summary>The tools Stepwise imports migrations from.</summary>
public enum ImportSource
{
    /// <summary>Entity Framework Core: a script from <c>dotnet ef migrations script</c>.</summary>
    Ef,

    /// <summary>dbmate: <c>&lt;version&gt;_name.sql</c> with <c>-- migrate:up</c>/<c>-- migrate:down</c>.</summary>
    Dbmate,

    /// <summary>Flyway: <c>V&lt;version&gt;__desc.sql</c>, <c>U&lt;version&gt;__desc.sql</c>, <c>R__desc.sql</c>.</summary>
    Flyway,

    /// <summary>Atlas: a versioned directory with <c>atlas.sum</c>.</summary>
    Atlas,

    /// <summary>goose: <c>&lt;version&gt;_name.sql</c> with <c>-- +goose Up</c>/<c>-- +goose Down</c> annotations.</summary>
    Goose,

    /// <summary>golang-migrate: <c>&lt;version&gt;_title.up.sql</c> and <c>.down.sql</c> pairs.</summary>
    GolangMigrate,

    /// <summary>Prisma Migrate: <c>&lt;timestamp&gt;_name/migration.sql</c> folders and <c>migration_lock.toml</c>.</summary>
    Prisma,

    /// <summary>sqlx (Rust): <c>&lt;version&gt;_description.sql</c>, or <c>.up.sql</c> and <c>.down.sql</c> pairs.</summary>
    Sqlx,

    /// <summary>Diesel (Rust): <c>&lt;YYYY-MM-DD-HHMMSS&gt;_name/up.sql</c> and <c>down.sql</c> folders.</summary>
    Diesel,
    /// <summary>Evolve: Flyway's layout, <c>V1_3_1__desc.sql</c> and <c>R__desc.sql</c>, and its <c>changelog</c> table.</summary>
    Evolve,

    /// <summary>DbUp: <c>*.sql</c> scripts run once each in name order, journaled by name in <c>schemaversions</c>.</summary>
    DbUp,

    /// <summary>
    /// FluentMigrator: C# migrations, which are not imported; <c>baseline --from fluentmigrator</c> reads <c>"VersionInfo"</c>
    /// and takes each versioned Stepwise migration for the FluentMigrator migration of the same version number.
    /// </summary>
    FluentMigrator,

    /// <summary>sql-migrate (rubenv/sql-migrate): any <c>.sql</c> file, its name the id, with <c>-- +migrate Up</c>/<c>-- +migrate Down</c> annotations.</summary>
    SqlMigrate,

    /// <summary>tern (jackc/tern): <c>&lt;n&gt;_name.sql</c> numbered 1, 2, 3, ..., up and down split by <c>---- create above / drop below ----</c>.</summary>
    Tern,
}

/// <summary>One Stepwise migration file made from the other tool's migration.</summary>
/// <param name="FileName">The Stepwise file name, e.g. <c>20240101120000_Init.sql</c>.</param>
/// <param name="Content">The file's text, starting with the <see cref="ImportOrigin"/> header.</param>
/// <param name="Source">What it was made from, e.g. <c>V1_1__add_users.sql + U1_1__add_users.sql</c>.</param>
/// <param name="SourceId">The other tool's id for it (what its history table records), or null for repeatable migrations.</param>
/// <param name="Statements">How many statements its up section has (0 when not counted).</param>
public sealed record ImportedMigration(string FileName, string Content, string Source, string? SourceId, int Statements = 0);

/// <summary>
/// What an import made: the Stepwise files, and what could not be converted and why (warnings with the
/// source file, line and column). Nothing is written until <see cref="ImportWriter"/> is called.
/// </summary>
/// <param name="From">The tool.</param>
/// <param name="SourcePath">The script or directory read.</param>
/// <param name="Converted">The files, in version order (repeatable ones last).</param>
/// <param name="NotConverted">What was left out or left as written, and why.</param>
public sealed record ImportResult(ImportSource From, string SourcePath, IReadOnlyList<ImportedMigration> Converted, IReadOnlyList<MigrationProblem> NotConverted);

/// <summary>The import was refused: nothing was written. <see cref="Problems"/> says where and why.</summary>
public sealed class ImportRefusedException : Exception
{
    /// <summary>Refused for the listed problems.</summary>
    public ImportRefusedException(string message, IReadOnlyList<MigrationProblem> problems) : base(message) => Problems = problems;

    /// <summary>Each problem with its file and position.</summary>
    public IReadOnlyList<MigrationProblem> Problems { get; }
}

/// <summary>Reads another tool's migrations into Stepwise files (nothing is written; see <see cref="ImportWriter"/>).</summary>
public static class Importer
{
    /// <summary>Reads <paramref name="path"/> (a script for EF, a directory for the others); never changes it.</summary>
    /// <exception cref="ImportRefusedException">The input cannot be imported as it is.</exception>
    public static ImportResult Read(ImportSource from, string path) => Read(from, path, new ImportOptions());

    /// <summary>Reads <paramref name="path"/> with <paramref name="options"/>; never changes it.</summary>
    /// <exception cref="ImportRefusedException">The input cannot be imported as it is.</exception>
    public static ImportResult Read(ImportSource from, string path, ImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = from switch
        {
            ImportSource.Ef => EfScriptImport.Read(path),
            ImportSource.Dbmate => DbmateImport.Read(path),
            ImportSource.Flyway => FlywayImport.Read(path),
            ImportSource.Atlas => AtlasImport.Read(path, options),
            ImportSource.Goose => GooseImport.Read(path, options),
            ImportSource.GolangMigrate => GolangMigrateImport.Read(path),
            ImportSource.Prisma => PrismaImport.Read(path, options),
            ImportSource.Sqlx => SqlxImport.Read(path),
            ImportSource.Diesel => DieselImport.Read(path),
            ImportSource.Evolve => EvolveImport.Read(path),
            ImportSource.DbUp => DbUpImport.Read(path, options),
            ImportSource.FluentMigrator => throw new ImportRefusedException("nothing was imported", [new MigrationProblem(Severity.Error, "code-migrations", path, 0, 0,
                "FluentMigrator migrations are C# classes, which Stepwise cannot convert into SQL",
                "write each as <version>_<name>.sql in the Stepwise directory, numbered as its [Migration(version)] attribute, then stepwise hash; on a database FluentMigrator migrated, stepwise baseline --from fluentmigrator records the ones \"VersionInfo\" lists")]),
            ImportSource.SqlMigrate => SqlMigrateImport.Read(path),
            ImportSource.Tern => TernImport.Read(path),
            _ => throw new ArgumentOutOfRangeException(nameof(from)),
        };
        return result with { NotConverted = [.. result.NotConverted, .. HistoryTableUses(result)] };
    }

    /// <summary>
    /// A warning for each statement that reads or changes the tool's own history table (harbor's golang-migrate
    /// migrations add a column to <c>schema_migrations</c>): Stepwise neither creates nor keeps that table, so on a new
    /// database the statement fails (EF's bookkeeping is removed by the EF import itself).
    /// </summary>
    private static IEnumerable<MigrationProblem> HistoryTableUses(ImportResult result)
    {
        if (result.From == ImportSource.Ef)
        {
            yield break;
        }
        var tables = ForeignHistory.Tables(result.From).Select(t => t.Split('.')[^1]).ToHashSet(StringComparer.Ordinal);
        var sourceDirectory = Directory.Exists(result.SourcePath) ? result.SourcePath : Path.GetDirectoryName(result.SourcePath) ?? "";
        foreach (var migration in result.Converted)
        {
            foreach (var statement in Sql.SqlParser.Parse(migration.Content).Statements)
            {
                if (statement.Tree?.Relations.FirstOrDefault(r => tables.Contains(r.Name)) is { Name.Length: > 0 } table)
                {
                    var text = statement.Text.ReplaceLineEndings(" ");
                    yield return new MigrationProblem(Severity.Warning, "history-table", Path.Combine(sourceDirectory, migration.Source.Split(" + ")[0]), 0, 0,
                        $"{migration.FileName} uses {Name(result.From)}'s history table {table.Name} ({(text.Length > 60 ? text[..60] + "..." : text)}), which Stepwise neither creates nor keeps: on a new database this statement fails",
                        $"remove the statement from the imported file (then stepwise hash), or create the table in a --setup file where the history needs it");
                }
            }
        }
    }

    /// <summary>Every tool's name, as the command line takes it.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Enum.GetValues<ImportSource>().Select(Name)];

    /// <summary>
    /// The lowercase name used on the command line and in file headers (<c>golang-migrate</c> for <see cref="ImportSource.GolangMigrate"/>,
    /// <c>sql-migrate</c> for <see cref="ImportSource.SqlMigrate"/>).
    /// </summary>
    public static string Name(ImportSource from) => from switch
    {
        ImportSource.GolangMigrate => "golang-migrate",
        ImportSource.SqlMigrate => "sql-migrate",
        _ => from.ToString().ToLowerInvariant(),
    };

    /// <summary>The tool named <paramref name="name"/> (as <see cref="Name"/> writes it), or null.</summary>
    public static ImportSource? Parse(string name) => Enum.GetValues<ImportSource>().Select(s => (ImportSource?)s).FirstOrDefault(s => Name(s!.Value) == name.ToLowerInvariant());

    /// <summary>Reads a source file as text: UTF-8 (refused otherwise), BOM removed, CRLF as LF.</summary>
    internal static string ReadText(string path, List<MigrationProblem> problems)
    {
        var bytes = File.ReadAllBytes(path);
        var start = bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        try
        {
            var strict = new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
            return strict.GetString(bytes, start, bytes.Length - start).Replace("\r\n", "\n", StringComparison.Ordinal);
        }
        catch (System.Text.DecoderFallbackException)
        {
            problems.Add(new MigrationProblem(Severity.Error, "not-utf8", path, 0, 0, "the file is not UTF-8", "save it as UTF-8, then import again"));
            return "";
        }
    }

    /// <summary>An error for each version two converted migrations share (naming both sources).</summary>
    internal static void CheckDuplicateVersions(IEnumerable<(long Version, ImportedMigration Migration)> converted, string directory, List<MigrationProblem> problems, string hint)
    {
        foreach (var duplicate in converted.GroupBy(c => c.Version).Where(g => g.Count() > 1))
        {
            var (first, second) = (duplicate.First().Migration.Source, duplicate.ElementAt(1).Migration.Source);
            problems.Add(new MigrationProblem(Severity.Error, "duplicate-version", Path.Combine(directory, second), 0, 0,
                $"version {duplicate.Key} is used by both {first} and {second}", hint));
        }
    }

    /// <summary>
    /// An error for each file that <paramref name="from"/> runs (in file-name order, as <paramref name="converted"/> is)
    /// before one with a smaller number: Stepwise orders by number, so importing them would change the order.
    /// </summary>
    internal static void CheckNameOrder(IReadOnlyList<(long Version, ImportedMigration Migration)> converted, ImportSource from, string directory, List<MigrationProblem> problems, string hint)
    {
        for (var i = 1; i < converted.Count; i++)
        {
            if (converted[i].Version < converted[i - 1].Version)
            {
                static string First(ImportedMigration m) => m.Source.Split(" + ")[0];
                problems.Add(new MigrationProblem(Severity.Error, $"{Name(from)}-order", Path.Combine(directory, First(converted[i].Migration)), 0, 0,
                    $"{ToolName(from)} runs {First(converted[i - 1].Migration)} before {First(converted[i].Migration)} (name order), but their numbers {converted[i - 1].Version} and {converted[i].Version} say the opposite",
                    hint));
            }
        }
    }

    /// <summary>
    /// Versions start at 1 in Stepwise; tools that allow version 0 (golang-migrate, dbmate) need it moved (a warning naming
    /// <paramref name="zeroFile"/> says how). When no version is 1, version 0 alone becomes 1 and the others keep theirs
    /// (a project's <c>00_init</c> before timestamps); otherwise every version moves up by one, which keeps the order. The
    /// header keeps the tool's own version, which is what <c>baseline --from</c> matches. Returns the Stepwise version
    /// of a version and its text, zero-padded to the same width.
    /// </summary>
    internal static Func<long, string, string> ZeroVersionMap(IReadOnlyCollection<long> versions, ImportSource from, string zeroFile, List<MigrationProblem> problems)
    {
        static string Padded(long version, string text) => version.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(text.Length, '0');
        if (!versions.Contains(0))
        {
            return (_, text) => text;
        }
        if (!versions.Contains(1))
        {
            problems.Add(new MigrationProblem(Severity.Warning, "version-shifted", zeroFile, 0, 0,
                $"{ToolName(from)} version 0 has no Stepwise equivalent (versions start at 1): it became 1, and as no version is 1 the others keep theirs", null));
            return (version, text) => version == 0 ? Padded(1, text) : text;
        }
        problems.Add(new MigrationProblem(Severity.Warning, "version-shifted", zeroFile, 0, 0,
            $"{ToolName(from)} version 0 has no Stepwise equivalent (versions start at 1): every version was moved up by one (0 → 1, 1 → 2, ...)", null));
        return (version, text) => Padded(version + 1, text);
    }

    private static string ToolName(ImportSource from) => from switch
    {
        ImportSource.Ef => "EF",
        ImportSource.Dbmate or ImportSource.Goose or ImportSource.GolangMigrate or ImportSource.Sqlx or ImportSource.SqlMigrate or ImportSource.Tern => Name(from),
        _ => from.ToString(),
    };

    /// <summary>Throws when <paramref name="problems"/> holds an error.</summary>
    internal static void ThrowIfErrors(string message, List<MigrationProblem> problems)
    {
        if (problems.Any(p => p.Severity == Severity.Error))
        {
            throw new ImportRefusedException(message, [.. problems.Where(p => p.Severity == Severity.Error)]);
        }
    }

    /// <summary>A name part safe in a Stepwise file name: letters, digits, <c>_ . -</c>; anything else becomes <c>_</c>.</summary>
    internal static string SafeName(string name)
    {
        var chars = name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' ? c : '_').ToArray();
        var safe = new string(chars).Trim('_', '.', '-');
        return safe.Length == 0 ? "migration" : safe;
    }
}
