using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class DropDatabaseTests
{
    [Theory]
    [InlineData("DROP DATABASE analytics;", "it fails while any other session, an application instance included, is connected to it")]
    [InlineData("DROP DATABASE IF EXISTS analytics;", "it fails while any other session")]
    [InlineData("DROP DATABASE analytics WITH (FORCE);", "WITH (FORCE) terminates every session connected to it, application instances included")]
    public void Flags_dropping_a_database(string sql, string how)
    {
        var finding = LintAssert.Flags<DropDatabase>(sql);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains("DROP DATABASE analytics deletes the whole database, every table and its rows", finding.Message);
        Assert.Contains(how, finding.Message);
    }

    [Theory]
    [InlineData("CREATE DATABASE scratch;\nDROP DATABASE scratch;")]
    [InlineData("DROP SCHEMA analytics;")]
    [InlineData("DROP TABLE analytics;")]
    public void Passes_databases_created_in_the_file_and_look_alikes(string sql)
    {
        LintAssert.Passes<DropDatabase>(sql);
    }
}
