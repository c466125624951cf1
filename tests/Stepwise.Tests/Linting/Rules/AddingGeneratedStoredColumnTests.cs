using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class AddingGeneratedStoredColumnTests
{
    [Theory]
    [InlineData("ALTER TABLE orders ADD COLUMN total_cents bigint GENERATED ALWAYS AS (quantity * price_cents) STORED;", "until the rewrite ends")]
    [InlineData("ALTER TABLE orders ADD COLUMN note text, ADD COLUMN total_cents bigint NOT NULL GENERATED ALWAYS AS (quantity * price_cents) STORED;", "until the rewrite ends")]
    [InlineData("BEGIN;\nALTER TABLE orders ADD COLUMN total_cents bigint GENERATED ALWAYS AS (quantity * price_cents) STORED;\nCOMMIT;", "until the transaction commits")]
    public void Flags_a_stored_generated_column_on_an_existing_table(string sql, string until)
    {
        var finding = LintAssert.Flags<AddingGeneratedStoredColumn>(sql);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains("ALTER TABLE ... ADD COLUMN total_cents bigint GENERATED ALWAYS AS (...) STORED computes the value for every existing row", finding.Message);
        Assert.Contains($"so it rewrites orders under ACCESS EXCLUSIVE: reads and writes of orders are blocked {until}", finding.Message);
        Assert.Contains("BEFORE INSERT OR UPDATE", finding.Fix);
    }

    [Theory]
    [InlineData("ALTER TABLE orders ADD COLUMN total_cents bigint;")]
    [InlineData("ALTER TABLE orders ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;")]
    [InlineData("CREATE TABLE orders (quantity int, price_cents int, total_cents bigint GENERATED ALWAYS AS (quantity * price_cents) STORED);")]
    [InlineData("CREATE TABLE orders (quantity int, price_cents int);\nALTER TABLE orders ADD COLUMN total_cents bigint GENERATED ALWAYS AS (quantity * price_cents) STORED;")]
    public void Passes_plain_columns_and_tables_created_in_the_same_file(string sql)
    {
        LintAssert.Passes<AddingGeneratedStoredColumn>(sql);
    }
}
