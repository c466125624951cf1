using Stepwise.Linting;
using Stepwise.Linting.Rules;
using Stepwise.Sql;

namespace Stepwise.Tests.Linting.Rules;

public class ChangingColumnTypeTests
{
    [Theory]
    [InlineData("ALTER TABLE workflow_runs ALTER COLUMN state TYPE bigint;", "bigint")]
    [InlineData("ALTER TABLE workflow_runs ALTER COLUMN state SET DATA TYPE uuid;", "uuid")]
    [InlineData("ALTER TABLE workflow_runs ALTER COLUMN state TYPE text[];", "text[]")]
    [InlineData("ALTER TABLE workflow_runs ALTER COLUMN state TYPE app.run_state;", "app.run_state")]
    [InlineData("-- stepwise:up\nALTER TABLE workflow_runs ALTER COLUMN state TYPE bigint;\n", "bigint")]
    [InlineData("DO $$ BEGIN ALTER TABLE workflow_runs ALTER COLUMN state TYPE bigint; END $$;", "bigint")]
    public void Flags_a_change_that_always_rewrites_even_without_the_old_type(string sql, string type)
    {
        var finding = LintAssert.Flags<ChangingColumnType>(sql);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains($"ALTER TABLE ... ALTER COLUMN state TYPE {type} rewrites workflow_runs and rebuilds its indexes under ACCESS EXCLUSIVE: "
            + "reads and writes of workflow_runs are blocked until ", finding.Message);
        Assert.Contains("old application instances still running while the migration applies may not handle the new type", finding.Message);
        Assert.Contains($"Stepwise could not see the old type of state, but no change to {type} is one that skips the rewrite", finding.Message);
        Assert.Contains("ADD COLUMN state_v2", finding.Fix);
    }

    [Theory]
    [InlineData("varchar(255)", "varchar of at most 255 characters")]
    [InlineData("character varying", "varchar or text")]
    [InlineData("text", "varchar or text")]
    [InlineData("numeric(12,2)", "numeric with a precision of at most 12 and a scale of 2")]
    [InlineData("decimal", "numeric")]
    [InlineData("bit varying(16)", "varbit of at most 16 bits")]
    [InlineData("inet", "cidr")]
    [InlineData("timestamp with time zone", "timestamp and the session TimeZone is UTC")]
    public void Without_the_old_type_a_possible_widening_is_a_warning_that_says_what_it_could_not_see(string type, string hint)
    {
        var finding = LintAssert.Flags<ChangingColumnType>($"ALTER TABLE users ALTER COLUMN email TYPE {type};");

        Assert.Equal(LintSeverity.Warning, finding.Severity);
        Assert.Contains("Stepwise could not see the old type of email (no CREATE TABLE or ADD COLUMN of it earlier in this file)", finding.Message);
        Assert.Contains($"unless the old type is {hint}, this rewrites users and rebuilds its indexes under ACCESS EXCLUSIVE", finding.Message);
    }

    [Theory]
    [InlineData("varchar(20)", "varchar(10)")]
    [InlineData("varchar", "varchar(10)")]
    [InlineData("text", "varchar(10)")]
    [InlineData("integer", "bigint")]
    [InlineData("int4", "int8")]
    [InlineData("numeric(10,2)", "numeric(12,3)")]
    [InlineData("numeric", "numeric(12,2)")]
    [InlineData("varbit(8)", "varbit(4)")]
    [InlineData("inet", "cidr")]
    [InlineData("char(3)", "char(5)")]
    [InlineData("varchar(10)[]", "text[]")]
    [InlineData("timestamp(3)", "timestamptz(3)")]
    public void Flags_a_change_from_a_type_seen_earlier_in_the_file_that_rewrites(string from, string to)
    {
        var finding = LintAssert.Flags<ChangingColumnType>($"ALTER TABLE users ADD COLUMN code {from};\nALTER TABLE users ALTER COLUMN code TYPE {to};");

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Equal(2, finding.Line);
        Assert.Contains(" (from ", finding.Message);
        Assert.Contains("rewrites users and rebuilds its indexes under ACCESS EXCLUSIVE", finding.Message);
        // The column is new in this file: the deployed version does not use it.
        Assert.DoesNotContain("old application instances", finding.Message);
    }

    [Fact]
    public void Names_the_old_type_as_sql()
    {
        var finding = LintAssert.Flags<ChangingColumnType>("ALTER TABLE users ADD COLUMN n int;\nALTER TABLE users ALTER COLUMN n TYPE bigint;");

        Assert.Contains("ALTER TABLE ... ALTER COLUMN n TYPE bigint (from integer) rewrites users", finding.Message);
    }

    [Theory]
    [InlineData("varchar(10)", "varchar(20)")]
    [InlineData("varchar(10)", "varchar(10)")]
    [InlineData("character varying(10)", "varchar")]
    [InlineData("varchar(10)", "text")]
    [InlineData("varchar", "text")]
    [InlineData("text", "varchar")]
    [InlineData("text", "character varying")]
    [InlineData("numeric(10,2)", "numeric(12,2)")]
    [InlineData("numeric(10,2)", "numeric")]
    [InlineData("numeric(5)", "numeric(7,0)")]
    [InlineData("varbit(4)", "varbit(8)")]
    [InlineData("bit varying(4)", "varbit")]
    [InlineData("cidr", "inet")]
    [InlineData("integer", "int4")]
    [InlineData("varchar(10)", "varchar(20) USING code")]
    [InlineData("varchar(10)", "varchar(30) USING code::varchar(30)")]
    public void Passes_changes_that_need_no_rewrite(string from, string to)
    {
        LintAssert.Passes<ChangingColumnType>($"ALTER TABLE users ADD COLUMN code {from};\nALTER TABLE users ALTER COLUMN code TYPE {to};");
    }

    [Fact]
    public void Follows_the_column_through_earlier_type_changes_and_renames()
    {
        var findings = LintAssert.Findings<ChangingColumnType>("""
            ALTER TABLE users ALTER COLUMN code TYPE varchar(10);
            ALTER TABLE users RENAME COLUMN code TO short_code;
            ALTER TABLE users ALTER COLUMN short_code TYPE varchar(20);
            """);

        // Only the first, whose old type nothing in the file shows.
        Assert.Equal(1, Assert.Single(findings).Line);
    }

    [Fact]
    public void A_using_expression_computes_every_value()
    {
        var finding = LintAssert.Flags<ChangingColumnType>("ALTER TABLE users ALTER COLUMN code TYPE varchar(20) USING upper(code);");

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains("ALTER COLUMN code TYPE varchar(20) USING ... rewrites users", finding.Message);
        Assert.Contains("USING computes every value anew", finding.Message);
    }

    [Theory]
    [InlineData("timestamp", "timestamptz")]
    [InlineData("timestamp(3)", "timestamp with time zone")]
    [InlineData("timestamptz", "timestamp")]
    [InlineData("timestamp", "timestamptz(6)")]
    public void Timestamp_to_timestamptz_is_a_warning_unless_the_file_sets_the_time_zone_to_utc(string from, string to)
    {
        var finding = LintAssert.Flags<ChangingColumnType>($"ALTER TABLE events ADD COLUMN at {from};\nALTER TABLE events ALTER COLUMN at TYPE {to};");

        Assert.Equal(LintSeverity.Warning, finding.Severity);
        Assert.Contains("rewrites events and rebuilds its indexes under ACCESS EXCLUSIVE: reads and writes of events are blocked until the rewrite ends, "
            + "unless the session TimeZone is UTC, which Stepwise cannot see", finding.Message);
        Assert.Contains("either way every index on at is rebuilt", finding.Message);
    }

    [Theory]
    [InlineData("SET timezone = 'UTC';")]
    [InlineData("SET TIME ZONE 'Etc/UTC';")]
    [InlineData("SET TIME ZONE 0;")]
    [InlineData("SET timezone TO 'Europe/Paris'; SET timezone = 'utc';")]
    public void With_the_session_in_utc_only_the_index_rebuild_is_left_as_info(string set)
    {
        var finding = LintAssert.Flags<ChangingColumnType>($"{set}\nALTER TABLE events ADD COLUMN at timestamp;\nALTER TABLE events ALTER COLUMN at TYPE timestamptz;");

        Assert.Equal(LintSeverity.Info, finding.Severity);
        Assert.Contains("needs no table rewrite because the session TimeZone is UTC, but every index on at is rebuilt under ACCESS EXCLUSIVE", finding.Message);
    }

    [Theory]
    [InlineData("SET timezone = 'Europe/London';")]
    [InlineData("SET timezone = 'UTC'; RESET timezone;")]
    [InlineData("SET timezone = 'UTC'; RESET ALL;")]
    [InlineData("SET timezone = 'UTC'; SET TIME ZONE LOCAL;")]
    [InlineData("BEGIN; SET LOCAL timezone = 'UTC'; COMMIT;")]
    public void A_time_zone_that_is_not_utc_or_no_longer_set_is_still_a_warning(string set)
    {
        var finding = LintAssert.Flags<ChangingColumnType>($"{set}\nALTER TABLE events ADD COLUMN at timestamp;\nALTER TABLE events ALTER COLUMN at TYPE timestamptz;");

        Assert.Equal(LintSeverity.Warning, finding.Severity);
    }

    [Fact]
    public void Set_local_counts_inside_its_own_transaction()
    {
        var finding = LintAssert.Flags<ChangingColumnType>(
            "-- stepwise:up\nSET LOCAL timezone = 'UTC';\nALTER TABLE events ADD COLUMN at timestamp;\nALTER TABLE events ALTER COLUMN at TYPE timestamptz;\n");

        Assert.Equal(LintSeverity.Info, finding.Severity);
        Assert.Contains("every index on at is rebuilt under ACCESS EXCLUSIVE: reads and writes of events are blocked until the transaction commits", finding.Message);
    }

    [Fact]
    public void A_new_collation_rebuilds_indexes_even_when_the_type_needs_no_rewrite()
    {
        var finding = LintAssert.Flags<ChangingColumnType>("ALTER TABLE users ADD COLUMN name varchar(50);\nALTER TABLE users ALTER COLUMN name TYPE text COLLATE \"C\";");

        Assert.Equal(LintSeverity.Warning, finding.Severity);
        Assert.Contains("COLLATE ... needs no table rewrite, but if the collation changes every index on name is rebuilt under ACCESS EXCLUSIVE", finding.Message);
    }

    [Theory]
    [InlineData("CREATE TABLE users (id int, code varchar(10));\nALTER TABLE users ALTER COLUMN id TYPE bigint;")]
    [InlineData("-- stepwise:up\nCREATE TABLE app.users (id int);\nALTER TABLE app.users ALTER COLUMN id TYPE bigint;\n")]
    [InlineData("ALTER TABLE users ALTER COLUMN id SET DEFAULT 0;")]
    [InlineData("ALTER FOREIGN TABLE remote_users ALTER COLUMN id TYPE bigint;")]
    [InlineData("ALTER TYPE address ALTER ATTRIBUTE zip TYPE text;")]
    [InlineData("CREATE TABLE users (id bigint);")]
    public void Passes_tables_created_in_the_file_and_look_alikes(string sql)
    {
        LintAssert.Passes<ChangingColumnType>(sql);
    }

    [Fact]
    public void A_small_table_stays_an_error_because_old_versions_still_break()
    {
        var options = new LintOptions { TableSizes = new Dictionary<RelationName, TableSize> { [new("public", "small")] = new(10, 8192) } };

        var finding = LintAssert.Flags<ChangingColumnType>("ALTER TABLE small ALTER COLUMN id TYPE bigint;", options);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains("(small: ~10 rows", finding.Message);
    }
}
