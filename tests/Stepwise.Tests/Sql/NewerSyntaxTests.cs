using Stepwise.Sql;

namespace Stepwise.Tests.Sql;

/// <summary>Syntax a PostgreSQL after 15 accepts is refused by Stepwise's parser with a hint naming that version, not as a typo.</summary>
public class NewerSyntaxTests
{
    [Theory]
    [InlineData("SELECT a FROM (SELECT 1 AS a);", "PostgreSQL 16 and later take a subquery in FROM without an alias")]
    [InlineData("ALTER TABLE t ADD CONSTRAINT t_a_not_null NOT NULL a;", "PostgreSQL 18 names NOT NULL constraints")]
    [InlineData("CREATE TABLE t (a int, CONSTRAINT t_a_not_null NOT NULL a);", "PostgreSQL 18 names NOT NULL constraints")]
    [InlineData("CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * 2) VIRTUAL);", "virtual generated columns are PostgreSQL 18's")]
    public void Newer_syntax_gets_a_hint_naming_the_postgresql_that_added_it(string sql, string hint)
    {
        var error = Assert.Single(SqlParser.Parse(sql, "m.sql").Errors);

        Assert.Contains(hint, error.Hint);
        Assert.Contains("Stepwise reads SQL with PostgreSQL 15's parser", error.Hint);
    }

    [Theory]
    [InlineData("SELEC 1;")]
    [InlineData("ALTER TABLE t ADD COLUMN a int NOT NOT NULL;")]
    public void A_typo_gets_no_such_hint(string sql)
    {
        var error = Assert.Single(SqlParser.Parse(sql, "m.sql").Errors);

        Assert.True(error.Hint is null || !error.Hint.Contains("PostgreSQL 1", StringComparison.Ordinal), error.Hint);
    }
}
