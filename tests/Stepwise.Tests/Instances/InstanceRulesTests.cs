using Npgsql;
using Stepwise.Instances;
using Stepwise.Migrations;

namespace Stepwise.Tests.Instances;

public class InstanceRulesTests
{
    [Theory]
    [InlineData("billing-{version}", "billing-20261121091500", true, 20261121091500L)]
    [InlineData("billing-{version}", "billing-", false, null)]
    [InlineData("billing-{version}", "billing-12x", false, null)]
    [InlineData("billing-{version}-*", "billing-3-web-1", true, 3L)]
    [InlineData("reports*", "reports-cron", true, null)]
    [InlineData("reports*", "my-reports", false, null)]
    [InlineData("a.b", "axb", false, null)]
    public void A_client_pattern_matches_application_names_and_reads_the_version_they_carry(string pattern, string name, bool matches, long? version)
    {
        var parsed = ClientPattern.Parse(pattern);

        Assert.Equal(matches, parsed.Matches(name, out var read));
        Assert.Equal(version, read);
    }

    [Theory]
    [InlineData("", "a client pattern cannot be empty")]
    [InlineData("x-{version}-{version}", "has {version} more than once")]
    public void A_malformed_client_pattern_says_why(string pattern, string message)
    {
        var error = Assert.Throws<FormatException>(() => ClientPattern.Parse(pattern));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_session_of_unknown_version_counts_as_older_than_any_migration()
    {
        var unknown = new Instance(null, "reports*", null, "10.0.0.1", 42, "reports-cron", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, InstanceSource.Session);
        var newer = unknown with { Version = 3 };

        Assert.True(unknown.IsOlderThan(1));
        Assert.False(newer.IsOlderThan(3));
        Assert.True(newer.IsOlderThan(4));
        Assert.Equal("session 42 'reports-cron' from 10.0.0.1 (matches reports*), version unknown", unknown.ToString());
    }

    [Fact]
    public void A_version_schema_is_named_after_the_tables_schema_and_the_migration_unless_the_file_names_one()
    {
        var directory = Directory.CreateTempSubdirectory("stepwise-vs-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(directory, "0002_add_users.yaml"), "operations:\n  - sql:\n      up: SELECT 1\n");
            var migration = MigrationDirectory.Load(directory, new MigrationDirectoryOptions { Parse = false }).Versioned.Single();

            Assert.Equal("public_0002_add_users", VersionSchemaName.For("public", migration));
            Assert.Equal("app_v2", VersionSchemaName.For("public", migration, declared: "app_v2"));
            Assert.False(VersionSchemaName.IsTooLong("public_0002_add_users"));
            Assert.True(VersionSchemaName.IsTooLong("public_" + new string('x', 57)));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void A_version_role_is_named_by_its_pattern()
    {
        var options = new InstanceOptions { VersionRole = "app_{version}_{name}" };

        Assert.Equal("app_20261121091500_add_users", options.RoleFor(20261121091500, "add_users"));
        Assert.Null(new InstanceOptions().RoleFor(1, "x"));
    }

    [Fact]
    public void Binding_sets_the_search_path_or_the_role_and_keeps_the_password()
    {
        var bySchema = new VersionBinding(2, "2_add_author", "public", "public_2_add_author", null);
        var byRole = bySchema with { Role = "notes_2" };
        var none = bySchema with { VersionSchema = null };
        const string App = "Host=db;Username=app;Password=secret;Database=notes";

        var schema = new NpgsqlConnectionStringBuilder(bySchema.ApplyTo(App));
        var role = new NpgsqlConnectionStringBuilder(byRole.ApplyTo(App));

        Assert.Equal("\"public_2_add_author\", \"public\"", schema.SearchPath);
        Assert.Equal(("app", "secret"), (schema.Username, schema.Password));
        Assert.Equal(("notes_2", "secret", null), (role.Username, role.Password, role.SearchPath));
        Assert.Null(new NpgsqlConnectionStringBuilder(none.ApplyTo(App)).SearchPath);
    }
}
