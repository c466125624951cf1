using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class AddingPrimaryKeyTests
{
    [Theory]
    [InlineData("ALTER TABLE workflow_runs ADD PRIMARY KEY (id);", "ADD PRIMARY KEY")]
    [InlineData("ALTER TABLE workflow_runs ADD CONSTRAINT workflow_runs_pkey PRIMARY KEY (id);", "ADD CONSTRAINT workflow_runs_pkey PRIMARY KEY")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN id bigserial PRIMARY KEY;", "ADD COLUMN id ... PRIMARY KEY")]
    [InlineData("DO $$ BEGIN ALTER TABLE workflow_runs ADD PRIMARY KEY (id); END $$;", "ADD PRIMARY KEY")]
    public void Flags_primary_keys_that_build_their_index_under_access_exclusive(string sql, string clause)
    {
        var finding = LintAssert.Flags<AddingPrimaryKey>(sql);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains($"ALTER TABLE workflow_runs {clause} builds a unique index over every row of workflow_runs under ACCESS EXCLUSIVE: reads and writes of workflow_runs are blocked", finding.Message);
        Assert.Contains("PRIMARY KEY USING INDEX", finding.Fix);
    }

    [Theory]
    [InlineData("ALTER TABLE workflow_runs ADD CONSTRAINT workflow_runs_pkey PRIMARY KEY USING INDEX workflow_runs_id_idx;")]
    [InlineData("CREATE TABLE runs (id bigint PRIMARY KEY);")]
    [InlineData("CREATE TABLE runs (id bigint); ALTER TABLE runs ADD PRIMARY KEY (id);")]
    [InlineData("ALTER TABLE workflow_runs ADD CONSTRAINT runs_key UNIQUE (id);")]
    [InlineData("CREATE UNIQUE INDEX CONCURRENTLY workflow_runs_id_idx ON workflow_runs (id);")]
    public void Passes_keys_on_existing_indexes_new_tables_and_look_alikes(string sql)
    {
        LintAssert.Passes<AddingPrimaryKey>(sql);
    }
}
