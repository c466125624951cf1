using Stepwise.Connections;

namespace Stepwise.Tests.Connections;

public class DatabaseTargetTests
{
    [Fact]
    public void Url_becomes_a_connection_string_with_options()
    {
        var target = DatabaseTarget.Parse("postgres://app:s%3Acret@db.internal:6432/orders?sslmode=disable&application_name=deploy");

        Assert.Contains("Host=db.internal", target.ConnectionString);
        Assert.Contains("Port=6432", target.ConnectionString);
        Assert.Contains("Database=orders", target.ConnectionString);
        Assert.Contains("Username=app", target.ConnectionString);
        Assert.Equal("s:cret", target.Password);
        Assert.Contains("SSL Mode=Disable", target.ConnectionString);
        Assert.Contains("Application Name=deploy", target.ConnectionString);
    }

    [Fact]
    public void Libpq_keyword_value_form_becomes_a_connection_string()
    {
        var target = DatabaseTarget.Parse("host=/var/run/postgresql port = 6432 dbname='my app' user=deploy password='it\\'s secret' sslmode=disable application_name=deploy");

        Assert.Contains("Host=/var/run/postgresql", target.ConnectionString);
        Assert.Contains("Port=6432", target.ConnectionString);
        Assert.Equal("my app", target.Builder.Database);
        Assert.Contains("Username=deploy", target.ConnectionString);
        Assert.Equal("it's secret", target.Password);
        Assert.Contains("SSL Mode=Disable", target.ConnectionString);
        Assert.Contains("Application Name=deploy", target.ConnectionString);
    }

    [Theory]
    [InlineData("host=db username=app database=orders")] // Npgsql's keywords, libpq's separators
    [InlineData("Host=db;Username=app;Database=orders")]
    public void Npgsql_keywords_work_in_either_form(string value)
    {
        var target = DatabaseTarget.Parse(value);

        Assert.Equal("db", target.Builder.Host);
        Assert.Equal("app", target.Builder.Username);
        Assert.Equal("orders", target.Builder.Database);
    }

    [Fact]
    public void An_unknown_libpq_keyword_is_refused_naming_it_without_the_password()
    {
        var ex = Assert.Throws<FormatException>(() => DatabaseTarget.Parse("host=db dbnme=orders password=hunter2"));

        Assert.Contains("unknown keyword 'dbnme'", ex.Message);
        Assert.DoesNotContain("hunter2", ex.Message);
    }

    [Fact]
    public void ToString_never_shows_the_password()
    {
        var target = DatabaseTarget.Parse("Host=localhost;Username=app;Password=hunter2;Database=x");

        Assert.DoesNotContain("hunter2", target.ToString());
        Assert.Contains("Password=***", target.ToString());
    }

    [Theory]
    [InlineData("connecting to postgres://app:hunter2@db/x failed", "connecting to postgres://app:***@db/x failed")]
    [InlineData("Host=db;Password=hunter2;Database=x", "Host=db;Password=***;Database=x")]
    [InlineData("host=db password='hunter 2' dbname=x", "host=db password=*** dbname=x")]
    public void Redact_hides_passwords_in_free_text(string text, string expected)
    {
        Assert.Equal(expected, DatabaseTarget.Redact(text));
    }

    [Theory]
    [InlineData("postgres://u:p@host/db?nosuchoption=1", "unknown option 'nosuchoption'")]
    [InlineData("Hots=x;Password=hunter2", "not a PostgreSQL URL")]
    public void Malformed_targets_say_why_without_the_password(string value, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => DatabaseTarget.Parse(value));

        Assert.Contains(expected, ex.Message);
        Assert.DoesNotContain("hunter2", ex.Message);
    }
}
