using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class EnumValueWithoutPositionTests
{
    [Theory]
    [InlineData("ALTER TYPE run_status ADD VALUE 'paused';", "run_status ADD VALUE 'paused' without BEFORE or AFTER")]
    [InlineData("ALTER TYPE app.run_status ADD VALUE IF NOT EXISTS 'paused';", "app.run_status ADD VALUE 'paused'")]
    public void Flags_a_value_appended_at_the_end_as_info(string sql, string expected)
    {
        var finding = LintAssert.Flags<EnumValueWithoutPosition>(sql);

        Assert.Equal(LintSeverity.Info, finding.Severity);
        Assert.Contains(expected, finding.Message);
        Assert.Contains("treat it as the greatest", finding.Message);
    }

    [Theory]
    [InlineData("ALTER TYPE run_status ADD VALUE 'paused' AFTER 'running';")]
    [InlineData("ALTER TYPE run_status ADD VALUE IF NOT EXISTS 'paused' BEFORE 'done';")]
    [InlineData("ALTER TYPE run_status RENAME VALUE 'paused' TO 'suspended';")]
    [InlineData("CREATE TYPE run_status AS ENUM ('running', 'paused');")]
    public void Passes_positioned_values_and_other_enum_changes(string sql)
    {
        LintAssert.Passes<EnumValueWithoutPosition>(sql);
    }

    [Theory]
    [InlineData("UPDATE workflow_runs SET status = 'paused' WHERE id = 1;")]
    [InlineData("SELECT count(*) FROM workflow_runs WHERE status = 'paused';")]
    [InlineData("INSERT INTO workflow_runs (status) VALUES ('paused');")]
    [InlineData("ALTER TABLE workflow_runs ALTER COLUMN status SET DEFAULT 'paused'::run_status;")]
    [InlineData("DO $$ BEGIN UPDATE workflow_runs SET status = 'paused'; END $$;")]
    public void Using_the_new_value_later_in_the_same_migration_is_an_error(string use)
    {
        var findings = LintAssert.Findings<EnumValueWithoutPosition>($"-- stepwise:up\nALTER TYPE run_status ADD VALUE 'paused' AFTER 'running';\n{use}\n");

        var finding = Assert.Single(findings);
        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Equal(3, finding.Line);
        Assert.Contains("'paused' is added to run_status earlier in this transaction (line 2)", finding.Message);
        Assert.Contains("55P04", finding.Message);
    }

    [Fact]
    public void Plain_sql_flags_use_inside_begin_commit_or_when_a_transaction_is_assumed()
    {
        const string sql = "ALTER TYPE run_status ADD VALUE 'paused' AFTER 'running';\nUPDATE workflow_runs SET status = 'paused';\n";

        Assert.Empty(LintAssert.Findings<EnumValueWithoutPosition>(sql));
        Assert.Equal(3, LintAssert.Flags<EnumValueWithoutPosition>("BEGIN;\n" + sql + "COMMIT;").Line);
        Assert.Equal(LintSeverity.Error, LintAssert.Flags<EnumValueWithoutPosition>(sql, new LintOptions { AssumeInTransaction = true }).Severity);
    }

    [Theory]
    [InlineData("-- stepwise:up\n-- stepwise:no-transaction\nALTER TYPE run_status ADD VALUE 'paused' AFTER 'running';\nUPDATE workflow_runs SET status = 'paused';\n")]
    [InlineData("BEGIN;\nALTER TYPE run_status ADD VALUE 'paused' AFTER 'running';\nCOMMIT;\nUPDATE workflow_runs SET status = 'paused';\n")]
    [InlineData("-- stepwise:up\nALTER TYPE run_status ADD VALUE 'paused' AFTER 'running';\nUPDATE workflow_runs SET note = 'resumed';\n")]
    [InlineData("-- stepwise:up\nALTER TYPE run_status ADD VALUE 'paused' AFTER 'running';\nCREATE FUNCTION pause(bigint) RETURNS void LANGUAGE plpgsql AS $$ BEGIN UPDATE workflow_runs SET status = 'paused' WHERE id = $1; END $$;\n")]
    public void Passes_a_value_used_after_its_transaction_commits_other_literals_and_function_bodies(string sql)
    {
        LintAssert.Passes<EnumValueWithoutPosition>(sql);
    }

    [Fact]
    public void PostgreSQL_17_allows_values_of_a_type_created_in_the_same_transaction()
    {
        const string sql = "-- stepwise:up\nCREATE TYPE run_status AS ENUM ('running');\nALTER TYPE run_status ADD VALUE 'paused' AFTER 'running';\nINSERT INTO runs (status) VALUES ('paused');\n";

        LintAssert.Passes<EnumValueWithoutPosition>(sql, new LintOptions { PostgresVersion = 17 });
        LintAssert.Flags<EnumValueWithoutPosition>(sql, new LintOptions { PostgresVersion = 15 });
    }

    [Fact]
    public void Before_PostgreSQL_12_adding_a_value_in_a_transaction_is_an_error()
    {
        var finding = LintAssert.Flags<EnumValueWithoutPosition>("-- stepwise:up\nALTER TYPE run_status ADD VALUE 'paused' AFTER 'running';\n", new LintOptions { PostgresVersion = 11 });

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains("cannot run inside a transaction block before PostgreSQL 12", finding.Message);
    }
}
