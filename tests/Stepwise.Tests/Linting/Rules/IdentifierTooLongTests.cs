using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class IdentifierTooLongTests
{
    // 68 bytes: PostgreSQL keeps the first 63.
    private const string Long = "workflow_runs_organization_id_created_at_status_partial_index_for_ui";
    private const string Cut = "workflow_runs_organization_id_created_at_status_partial_index_f";

    [Theory]
    [InlineData($"CREATE TABLE {Long} (id bigint);", "table")]
    [InlineData($"CREATE TABLE t ({Long} bigint);", "column")]
    [InlineData($"CREATE TABLE t (a int CONSTRAINT {Long} CHECK (a > 0));", "constraint")]
    [InlineData($"CREATE TABLE t (a int, CONSTRAINT {Long} UNIQUE (a));", "constraint")]
    [InlineData($"CREATE INDEX CONCURRENTLY {Long} ON t (a);", "index")]
    [InlineData($"ALTER TABLE t ADD COLUMN {Long} text;", "column")]
    [InlineData($"ALTER TABLE t ADD CONSTRAINT {Long} CHECK (a > 0) NOT VALID;", "constraint")]
    [InlineData($"ALTER TABLE t RENAME COLUMN a TO {Long};", "new column")]
    [InlineData($"ALTER INDEX i RENAME TO {Long};", "new index")]
    [InlineData($"CREATE MATERIALIZED VIEW {Long} AS SELECT 1;", "materialized view")]
    public void Flags_names_that_postgresql_cuts_short(string sql, string what)
    {
        var finding = LintAssert.Flags<IdentifierTooLong>(sql);

        Assert.Equal(LintSeverity.Warning, finding.Severity);
        Assert.Contains($"the {what} name \"{Long}\" is 68 bytes, so PostgreSQL creates it as \"{Cut}\"", finding.Message);
    }

    [Fact]
    public void Unquoted_names_fold_to_lower_case_and_quoted_ones_keep_their_case()
    {
        var unquoted = LintAssert.Flags<IdentifierTooLong>($"CREATE TABLE {Long.ToUpperInvariant()} (id bigint);");
        var quoted = LintAssert.Flags<IdentifierTooLong>($"CREATE TABLE \"{Long.ToUpperInvariant()}\" (id bigint);");

        Assert.Contains($"\"{Long}\"", unquoted.Message);
        Assert.Contains($"\"{Cut.ToUpperInvariant()}\"", quoted.Message);
    }

    [Fact]
    public void Counts_utf8_bytes_and_never_splits_a_character()
    {
        var name = new string('é', 40); // 80 bytes; 31 characters (62 bytes) are kept

        var finding = LintAssert.Flags<IdentifierTooLong>($"CREATE TABLE t ({name} text);");

        Assert.Contains($"\"{name}\" is 80 bytes, so PostgreSQL creates it as \"{new string('é', 31)}\"", finding.Message);
    }

    [Fact]
    public void Lists_every_long_name_of_a_statement_in_one_finding()
    {
        var finding = LintAssert.Flags<IdentifierTooLong>($"CREATE TABLE {Long} ({Long}_x bigint);");

        Assert.Contains("the table name", finding.Message);
        Assert.Contains("the column name", finding.Message);
    }

    [Theory]
    [InlineData("CREATE TABLE workflow_runs (organization_id bigint);")]
    [InlineData($"CREATE TABLE t (a int); SELECT '{Long}' AS label FROM t;")]
    [InlineData($"ALTER TABLE t ADD COLUMN note text DEFAULT '{Long}';")]
    [InlineData($"SELECT a AS {Long} FROM t;")]
    [InlineData($"ALTER TABLE {Long} ADD COLUMN note text;")]
    [InlineData("CREATE TABLE t (abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc bigint);")]
    public void Passes_short_names_strings_aliases_and_references_to_existing_objects(string sql)
    {
        LintAssert.Passes<IdentifierTooLong>(sql);
    }
}
