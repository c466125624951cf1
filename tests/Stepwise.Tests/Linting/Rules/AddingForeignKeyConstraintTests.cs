using Stepwise.Linting;
using Stepwise.Linting.Rules;
using Stepwise.Sql;

namespace Stepwise.Tests.Linting.Rules;

public class AddingForeignKeyConstraintTests
{
    [Theory]
    [InlineData("ALTER TABLE workflow_runs ADD CONSTRAINT runs_org_fk FOREIGN KEY (organization_id) REFERENCES organizations (id);",
        "ALTER TABLE workflow_runs ADD CONSTRAINT runs_org_fk FOREIGN KEY ... REFERENCES organizations without NOT VALID")]
    [InlineData("ALTER TABLE workflow_runs ADD FOREIGN KEY (organization_id) REFERENCES organizations;",
        "ALTER TABLE workflow_runs ADD FOREIGN KEY ... REFERENCES organizations without NOT VALID")]
    [InlineData("DO $$ BEGIN ALTER TABLE ONLY workflow_runs ADD CONSTRAINT runs_org_fk FOREIGN KEY (organization_id) REFERENCES organizations; END $$;",
        "ALTER TABLE workflow_runs ADD CONSTRAINT runs_org_fk FOREIGN KEY ... REFERENCES organizations without NOT VALID")]
    public void Flags_foreign_keys_validated_while_writes_to_both_tables_wait(string sql, string clause)
    {
        var finding = LintAssert.Flags<AddingForeignKeyConstraint>(sql);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains(clause, finding.Message);
        Assert.Contains("checks every row of workflow_runs against organizations while holding SHARE ROW EXCLUSIVE on workflow_runs and SHARE ROW EXCLUSIVE on organizations: " +
            "writes to workflow_runs and writes to organizations are blocked", finding.Message);
        Assert.Contains("NOT VALID", finding.Fix);
        Assert.Contains("VALIDATE CONSTRAINT", finding.Fix);
    }

    [Theory]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN organization_id bigint DEFAULT 1 REFERENCES organizations (id);")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN organization_id bigint DEFAULT NULL CONSTRAINT runs_org_fk REFERENCES organizations;")]
    public void Flags_a_new_column_whose_default_gives_rows_a_value_to_check(string sql)
    {
        var finding = LintAssert.Flags<AddingForeignKeyConstraint>(sql);

        Assert.Contains("ADD COLUMN organization_id ... REFERENCES organizations on a column with a DEFAULT checks every row of workflow_runs", finding.Message);
        // ADD COLUMN itself takes ACCESS EXCLUSIVE, so the check blocks reads of the table as well.
        Assert.Contains("while holding ACCESS EXCLUSIVE on workflow_runs and SHARE ROW EXCLUSIVE on organizations: reads and writes of workflow_runs and writes to organizations", finding.Message);
    }

    [Fact]
    public void A_self_reference_names_the_table_once()
    {
        var finding = LintAssert.Flags<AddingForeignKeyConstraint>("ALTER TABLE app.nodes ADD CONSTRAINT nodes_parent_fk FOREIGN KEY (parent_id) REFERENCES app.nodes (id);");

        Assert.Contains("while holding SHARE ROW EXCLUSIVE on app.nodes: writes to app.nodes are blocked until the check ends", finding.Message);
    }

    [Fact]
    public void In_a_migration_the_locks_are_held_until_commit()
    {
        var finding = LintAssert.Flags<AddingForeignKeyConstraint>("-- stepwise:up\nALTER TABLE runs ADD FOREIGN KEY (org_id) REFERENCES orgs;\n");

        Assert.Contains("are blocked until the transaction commits", finding.Message);
    }

    [Fact]
    public void With_a_database_the_referencing_table_decides()
    {
        var options = new LintOptions { TableSizes = new Dictionary<RelationName, TableSize> { [new("public", "small")] = new(10, 8192), [new("public", "orgs")] = new(9_000_000, 1L << 30) } };

        var finding = LintAssert.Flags<AddingForeignKeyConstraint>("ALTER TABLE small ADD FOREIGN KEY (org_id) REFERENCES orgs;", options);

        Assert.Equal(LintSeverity.Info, finding.Severity);
    }

    [Theory]
    [InlineData("ALTER TABLE workflow_runs ADD CONSTRAINT runs_org_fk FOREIGN KEY (organization_id) REFERENCES organizations (id) NOT VALID;")]
    [InlineData("ALTER TABLE workflow_runs VALIDATE CONSTRAINT runs_org_fk;")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN organization_id bigint REFERENCES organizations (id);")]
    [InlineData("CREATE TABLE runs (id bigint, org_id bigint REFERENCES organizations);")]
    [InlineData("CREATE TABLE runs (id bigint, org_id bigint); ALTER TABLE runs ADD FOREIGN KEY (org_id) REFERENCES organizations;")]
    [InlineData("CREATE TABLE app.runs (id bigint); ALTER TABLE app.runs ADD COLUMN org_id bigint DEFAULT 1 REFERENCES organizations;")]
    [InlineData("ALTER FOREIGN TABLE remote_runs ADD COLUMN org_id bigint DEFAULT 1;")]
    [InlineData("ALTER TABLE workflow_runs ADD CONSTRAINT runs_positive CHECK (attempts > 0);")]
    public void Passes_not_valid_keys_all_null_new_columns_new_tables_and_look_alikes(string sql)
    {
        LintAssert.Passes<AddingForeignKeyConstraint>(sql);
    }

    [Fact]
    public void A_referenced_table_created_in_the_file_does_not_exempt_the_existing_one_that_is_scanned()
    {
        LintAssert.Flags<AddingForeignKeyConstraint>("CREATE TABLE orgs (id bigint PRIMARY KEY); ALTER TABLE runs ADD FOREIGN KEY (org_id) REFERENCES orgs;");
    }
}
