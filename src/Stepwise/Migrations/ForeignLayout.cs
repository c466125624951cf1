using System.Text.RegularExpressions;

namespace Stepwise.Migrations;

/// <summary>
/// Recognises another tool's migration directory from what it holds, so a directory Stepwise cannot read
/// is reported once, naming the tool and the <c>stepwise import</c> command, instead of as a file-by-file
/// list of Stepwise errors (or, worse, as an empty directory that is "up to date"). dbmate's files are not
/// listed: Stepwise reads their <c>-- migrate:up</c>/<c>-- migrate:down</c> markers as they are.
/// </summary>
internal static partial class ForeignLayout
{
    /// <summary>A recognised layout: the tool (as <c>stepwise import</c> names it), what gave it away, and the entries that are its.</summary>
    internal sealed record Found(string Tool, string Evidence, IReadOnlySet<string> Entries);

    /// <summary>
    /// The layout of a directory with <paramref name="files"/> and <paramref name="folders"/> (names), where
    /// <paramref name="gooseFiles"/> are the <c>.sql</c> files with a <c>-- +goose Up</c> annotation, and
    /// <paramref name="sqlMigrateFiles"/> those with sql-migrate's <c>-- +migrate Up</c>, <paramref name="ternFiles"/> those
    /// with tern's <c>---- create above / drop below ----</c>, and <paramref name="plainSqlFiles"/> the
    /// versioned <c>.sql</c> files when none of them has a directive line (so no section); null when none is recognised.
    /// </summary>
    internal static Found? Detect(IReadOnlyCollection<string> files, IReadOnlyCollection<string> folders, IReadOnlyCollection<string> gooseFiles,
        IReadOnlyCollection<string> sqlMigrateFiles, IReadOnlyCollection<string> ternFiles, Func<string, string, bool> folderHasFile, IReadOnlyCollection<string> plainSqlFiles)
    {
        if (sqlMigrateFiles.Count > 0)
        {
            // sql-migrate runs every .sql file of the directory, whatever its name (nakama's 20180805174141-tournaments.sql),
            // though only those named as Stepwise names files were read for the annotation: all of them are counted.
            var sql = files.Where(f => f.EndsWith(".sql", StringComparison.Ordinal)).Concat(sqlMigrateFiles).ToHashSet(StringComparer.Ordinal);
            var annotated = sqlMigrateFiles.Order(StringComparer.Ordinal).ToList();
            return new Found("sql-migrate", $"{sql.Count} .sql file(s), which sql-migrate runs whatever their names; rubenv/sql-migrate's -- +migrate annotations in " +
                string.Join(", ", annotated.Take(3)) + (annotated.Count > 3 ? ", ..." : ""), sql);
        }
        var goose = gooseFiles.Concat(files.Where(f => GoMigration().IsMatch(f) && !f.EndsWith("_test.go", StringComparison.Ordinal))).ToHashSet(StringComparer.Ordinal);
        if (goose.Count > 0)
        {
            return new Found("goose", Describe(goose, "file(s) with -- +goose annotations or Go migrations"), goose);
        }
        if (ternFiles.Count > 0)
        {
            // tern's files are named as Stepwise's; those without the separator (up only) are tern's too.
            return new Found("tern", Describe(ternFiles, "file(s) split by tern's ---- create above / drop below ----"),
                files.Where(f => f == "tern.conf" || TernMigration().IsMatch(f)).Concat(ternFiles).ToHashSet(StringComparer.Ordinal));
        }
        var golang = files.Where(f => GolangMigrate().IsMatch(f)).ToHashSet(StringComparer.Ordinal);
        if (golang.Count > 0 && plainSqlFiles.Any(f => !golang.Contains(f)))
        {
            // .up.sql and .down.sql beside whole files: sqlx's reversible and simple migrations in one directory.
            return new Found(Sqlx, Describe(plainSqlFiles, "numbered .sql file(s) without sections, .up.sql and .down.sql beside whole files, as sqlx writes them"),
                plainSqlFiles.ToHashSet(StringComparer.Ordinal));
        }
        if (golang.Count > 0)
        {
            return new Found("golang-migrate", Describe(golang, "<version>_<title>.up.sql/.down.sql file(s)"), golang);
        }
        var prismaFolders = folders.Where(f => folderHasFile(f, "migration.sql")).ToList();
        if (files.Contains("migration_lock.toml") || prismaFolders.Count > 0)
        {
            var entries = prismaFolders.Append("migration_lock.toml").ToHashSet(StringComparer.Ordinal);
            return new Found("prisma", Describe(prismaFolders, "<timestamp>_<name>/migration.sql folder(s)") + (files.Contains("migration_lock.toml") ? " and migration_lock.toml" : ""), entries);
        }
        var dieselFolders = folders.Where(f => folderHasFile(f, "up.sql")).ToList();
        if (dieselFolders.Count > 0)
        {
            return new Found("diesel", Describe(dieselFolders, "<version>_<name>/up.sql folder(s)"), dieselFolders.ToHashSet(StringComparer.Ordinal));
        }
        if (files.Contains("atlas.sum"))
        {
            return new Found("atlas", "atlas.sum", files.Where(f => f == "atlas.sum" || f.EndsWith(".sql", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal));
        }
        var flyway = files.Where(f => Flyway().IsMatch(f)).ToHashSet(StringComparer.Ordinal);
        if (flyway.Count > 0)
        {
            return new Found("flyway", Describe(flyway, "V<version>__<description>.sql file(s)"), flyway.Concat(files.Where(f => f.EndsWith(".sql.conf", StringComparison.Ordinal) || f.StartsWith("R__", StringComparison.Ordinal))).ToHashSet(StringComparer.Ordinal));
        }
        if (plainSqlFiles.Count > 0)
        {
            // Whole files of SQL, numbered, no sections: what sqlx (Rust) runs; a Stepwise file says where its up section starts.
            return new Found(Sqlx, Describe(plainSqlFiles, "numbered .sql file(s), none with a -- stepwise:up line, as sqlx writes them"), plainSqlFiles.ToHashSet(StringComparer.Ordinal));
        }
        var ef = files.Where(f => f.EndsWith(".cs", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        if (ef.Any(f => f.EndsWith(".Designer.cs", StringComparison.Ordinal) || f.EndsWith("ModelSnapshot.cs", StringComparison.Ordinal)))
        {
            return new Found("ef", Describe(ef, "EF Core migration class(es)"), ef);
        }
        return null;
    }

    /// <summary>sqlx, recognised by whole numbered SQL files without sections (which a Stepwise directory never holds).</summary>
    internal const string Sqlx = "sqlx";

    /// <summary>What to do: the command that converts the directory (EF needs its script first).</summary>
    internal static string Hint(Found found, string directory)
    {
        var convert = $"convert it, all or nothing and without changing it: stepwise import {found.Tool} {Quote(directory)} --out {Quote(directory.TrimEnd('/', '\\') + "-stepwise")}, then use that directory (--dir)";
        return found.Tool switch
        {
            "ef" => "convert it, all or nothing and without changing it: dotnet ef migrations script --idempotent -o ef-migrations.sql, then: stepwise import ef ef-migrations.sql --out <new directory>",
            Sqlx => $"if sqlx runs them, {convert}; if they are meant as Stepwise migrations, start each file's SQL with a line -- stepwise:up",
            "golang-migrate" => $"{convert}; sqlx (Rust) names its reversible migrations the same way: there, import sqlx instead, which keeps sqlx's history for baseline",
            // Evolve reads Flyway's layout; which of the two ran it decides the import (checksums, history table).
            "flyway" => $"{convert} (for Evolve's scripts: stepwise import evolve)",
            _ => convert,
        };
    }

    private static string Quote(string path) => path.Contains(' ', StringComparison.Ordinal) ? $"\"{path}\"" : path;

    private static string Describe(IEnumerable<string> entries, string what)
    {
        var list = entries.Order(StringComparer.Ordinal).ToList();
        return $"{list.Count} {what}: {string.Join(", ", list.Take(3))}{(list.Count > 3 ? ", ..." : "")}";
    }

    [GeneratedRegex(@"(?im)^--\s\+goose\s+up\b")]
    internal static partial Regex GooseUp();

    [GeneratedRegex(@"(?im)^--\s*\+migrate\s+up\b")]
    internal static partial Regex SqlMigrateUp();

    /// <summary>A line the migration reader takes for a directive (<c>-- stepwise:up</c>, dbmate's <c>-- migrate:up</c>, ...; see Directives).</summary>
    [GeneratedRegex(@"(?im)^\s*--\s*(stepwise|migrate):")]
    internal static partial Regex Directive();

    [GeneratedRegex(@"(?m)^---- create above / drop below ----")]
    internal static partial Regex TernSeparator();

    [GeneratedRegex(@"^\d+_.+\.sql$")]
    private static partial Regex TernMigration();

    [GeneratedRegex(@"^\d+_.*\.go$")]
    private static partial Regex GoMigration();

    [GeneratedRegex(@"^\d+_.*\.(up|down)\.sql$")]
    private static partial Regex GolangMigrate();

    [GeneratedRegex(@"^[VU]\d+([._]\d+)*__.+\.sql$")]
    private static partial Regex Flyway();
}
