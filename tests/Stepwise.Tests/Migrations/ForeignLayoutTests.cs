using Stepwise.Diagnostics;
using Stepwise.Migrations;
using Stepwise.Tests.Cli;
using Stepwise.Tests.Import;

namespace Stepwise.Tests.Migrations;

/// <summary>A directory holding what Stepwise does not read is an error naming it, and another tool's directory names its import.</summary>
public class ForeignLayoutTests
{
    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [Theory]
    [InlineData("prisma", "a prisma migration directory (3 <timestamp>_<name>/migration.sql folder(s): 20240101120000_init, 20240102093000_add_posts, 20240103150000_post_title_index and migration_lock.toml)")]
    [InlineData("goose", "a goose migration directory (4 file(s) with -- +goose annotations or Go migrations: 00001_create_users.sql, 00002_add_email.sql, 00003_index_email.sql, ...)")]
    [InlineData("golang-migrate", "a golang-migrate migration directory (6 <version>_<title>.up.sql/.down.sql file(s)")]
    [InlineData("diesel", "a diesel migration directory (3 <version>_<name>/up.sql folder(s): 00000000000000_diesel_initial_setup, 2024-01-01-090000_create_posts, 2024-01-02-090000_index_posts)")]
    [InlineData("sql-migrate", "a sql-migrate migration directory (6 .sql file(s), which sql-migrate runs whatever their names; rubenv/sql-migrate's -- +migrate annotations in ")]
    [InlineData("tern", "a tern migration directory (3 file(s) split by tern's ---- create above / drop below ----: 001_create_projects.sql, 002_add_owner.sql, 003_projects_name_index.sql)")]
    public void Another_tools_directory_is_one_error_naming_the_tool_and_the_import_command(string tool, string says)
    {
        using var dir = new TempDirectory();
        CopyTree(Path.Combine(AppContext.BaseDirectory, "Import", "Fixtures", tool), dir.Path);

        var loaded = MigrationDirectory.Load(dir.Path);

        var problem = Assert.Single(loaded.Problems);
        Assert.Equal("foreign-layout", problem.Code);
        Assert.Contains(says, problem.Message);
        Assert.Contains($"stepwise import {tool} {dir.Path} --out {dir.Path}-stepwise", problem.Hint);
        Assert.Empty(loaded.All);
    }

    [Fact]
    public void Whole_numbered_sql_files_without_sections_are_sqlxs_and_a_single_one_is_a_stepwise_file_missing_its_marker()
    {
        using var sqlx = new TempDirectory();
        sqlx.Write("20210425153745_create_history.sql", "create table history (id bigserial primary key);\n");
        sqlx.Write("20210425153757_create_users.sql", "-- no-transaction\ncreate index concurrently history_id on history (id);\n");
        using var single = new TempDirectory();
        single.Write("1_m.sql", "CREATE TABLE t (id int);\n");
        using var dbmate = new TempDirectory();
        dbmate.Write("1_a.sql", "-- migrate:up\nCREATE TABLE a (id int);\n");
        dbmate.Write("2_b.sql", "-- migrate:up\nCREATE TABLE b (id int);\n");

        var problem = Assert.Single(MigrationDirectory.Load(sqlx.Path).Problems);

        Assert.Equal("foreign-layout", problem.Code);
        Assert.Contains("a sqlx migration directory (2 numbered .sql file(s), none with a -- stepwise:up line, as sqlx writes them", problem.Message);
        Assert.Contains($"stepwise import sqlx {sqlx.Path} --out {sqlx.Path}-stepwise", problem.Hint);
        Assert.Contains("if they are meant as Stepwise migrations, start each file's SQL with a line -- stepwise:up", problem.Hint);
        Assert.Equal("no-up-section", Assert.Single(MigrationDirectory.Load(single.Path).Problems, p => p.Severity == Severity.Error).Code);
        Assert.DoesNotContain(MigrationDirectory.Load(dbmate.Path).Problems, p => p.Severity == Severity.Error);
    }

    [Fact]
    public void Up_and_down_files_beside_whole_files_are_sqlxs_and_alone_name_sqlx_beside_golang_migrate()
    {
        using var mixed = new TempDirectory();
        CopyTree(Path.Combine(AppContext.BaseDirectory, "Import", "Fixtures", "sqlx"), mixed.Path);
        using var pairs = new TempDirectory();
        CopyTree(Path.Combine(AppContext.BaseDirectory, "Import", "Fixtures", "golang-migrate"), pairs.Path);

        var sqlx = Assert.Single(MigrationDirectory.Load(mixed.Path).Problems, p => p.Severity == Severity.Error);
        var golang = Assert.Single(MigrationDirectory.Load(pairs.Path).Problems, p => p.Severity == Severity.Error);

        Assert.Contains("a sqlx migration directory (5 numbered .sql file(s) without sections, .up.sql and .down.sql beside whole files", sqlx.Message);
        Assert.Contains($"stepwise import sqlx {mixed.Path}", sqlx.Hint);
        Assert.Contains("stepwise import golang-migrate", golang.Hint);
        Assert.Contains("sqlx (Rust) names its reversible migrations the same way: there, import sqlx instead", golang.Hint);
    }

    [Fact]
    public void Flyway_atlas_and_ef_directories_are_recognised()
    {
        using var flyway = new TempDirectory();
        flyway.Write("V1__init.sql", "CREATE TABLE a (id int);\n");
        flyway.Write("R__views.sql", "CREATE VIEW v AS SELECT 1;\n");
        using var atlas = new TempDirectory();
        atlas.Write("20240101000000_init.sql", "CREATE TABLE a (id int);\n");
        atlas.Write("atlas.sum", "h1:x\n");
        using var ef = new TempDirectory();
        ef.Write("20240101000000_Init.cs", "class Init : Migration {}\n");
        ef.Write("20240101000000_Init.Designer.cs", "\n");
        ef.Write("AppDbContextModelSnapshot.cs", "\n");

        Assert.Contains("stepwise import flyway", Assert.Single(MigrationDirectory.Load(flyway.Path).Problems).Hint);
        Assert.Contains("for Evolve's scripts: stepwise import evolve", Assert.Single(MigrationDirectory.Load(flyway.Path).Problems).Hint); // the same layout
        Assert.Contains("stepwise import atlas", Assert.Single(MigrationDirectory.Load(atlas.Path).Problems).Hint);
        Assert.Contains("dotnet ef migrations script", Assert.Single(MigrationDirectory.Load(ef.Path).Problems).Hint);
    }

    [Fact]
    public void Files_and_folders_Stepwise_does_not_read_are_an_error_but_readmes_notes_and_hidden_files_may_stay()
    {
        using var dir = new TempDirectory();
        dir.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);\n");
        dir.Write("README.md", "notes");
        dir.Write("CHANGES.md", "notes");
        dir.Write(".gitkeep", "");
        Directory.CreateDirectory(Path.Combine(dir.Path, ".git"));
        var clean = MigrationDirectory.Load(dir.Path);
        dir.Write("seed.csv", "1,2\n");
        dir.Write("config.yaml", "x: 1\n");
        Directory.CreateDirectory(Path.Combine(dir.Path, "old"));

        var loaded = MigrationDirectory.Load(dir.Path);

        Assert.DoesNotContain(clean.Problems, p => p.Severity == Severity.Error);
        var problem = Assert.Single(loaded.Problems, p => p.Severity == Severity.Error);
        Assert.Equal("not-read", problem.Code);
        Assert.Equal("3 entries Stepwise does not read: config.yaml, seed.csv, old/", problem.Message);
        Assert.Single(loaded.Versioned);
    }

    [Fact]
    public async Task Validate_and_lint_exit_2_on_a_prisma_directory_instead_of_reporting_nothing_to_do()
    {
        using var cli = new CliRunner();
        CopyTree(PrismaImportTests.Fixture, Path.Combine(cli.WorkingDirectory, "migrations"));

        var validate = await cli.Run("validate", "--no-color");
        var lint = await cli.Run("lint", "--no-color");

        Assert.Equal(2, validate.ExitCode);
        Assert.Contains("this is a prisma migration directory", validate.Error);
        Assert.Contains("stepwise import prisma", validate.Error);
        Assert.DoesNotContain("0 error(s)", validate.Out);
        Assert.Equal(2, lint.ExitCode);
        Assert.Contains("stepwise import prisma", lint.Error);
    }

    [Fact]
    public void A_sql_file_with_another_name_points_at_the_DbUp_import()
    {
        using var dbup = new TempDirectory();
        dbup.Write("Script0001 - Create users.sql", "CREATE TABLE users (id int);\n");

        var problem = Assert.Single(MigrationDirectory.Load(dbup.Path).Problems);

        Assert.Equal("bad-file-name", problem.Code);
        Assert.Contains("stepwise import dbup", problem.Hint);
    }
}
