namespace Stepwise.Tests.Cli;

public class GlobalOptionsTests
{
    [Fact]
    public async Task Help_documents_the_exit_codes()
    {
        using var cli = new CliRunner();

        var (code, output, _) = await cli.Run("--help");

        Assert.Equal(0, code);
        Assert.Contains("Exit codes:", output);
        Assert.Contains("2  bad usage or bad input files", output);
        Assert.Contains("--database", output);
        Assert.Contains("parse", output);
        Assert.Contains("demo", output);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("parse")]
    [InlineData("parse", "x.sql", "--format", "yaml")]
    [InlineData("--no-such-option", "parse", "x.sql")]
    public async Task Bad_usage_exits_2(params string[] args)
    {
        using var cli = new CliRunner();

        var (code, _, error) = await cli.Run(args);

        Assert.Equal(2, code);
        Assert.Contains("stepwise:", error);
    }

    [Theory]
    [InlineData("{\n  \"locks\": { \"maxLockWait\": \"soon\" }\n}\n", "stepwise.json:2:14: \"maxLockWait\" must be a duration above zero")]
    [InlineData("{\n  \"locks\": { \"retries\": 10 }\n}\n", "stepwise.json:2:14: unknown lock setting \"retries\"")]
    [InlineData("{\n  \"locks\": { \"cancelAutovacuum\": \"no\" }\n}\n", "stepwise.json:2:14: \"cancelAutovacuum\" must be true or false")]
    [InlineData("{\n  \"instances\": { \"clients\": [\"a-{version}-{version}\"] }\n}\n", "stepwise.json:2:18: \"clients\": client pattern 'a-{version}-{version}' has {version} more than once")]
    [InlineData("{\n  \"instances\": { \"clients\": \"billing-*\" }\n}\n", "stepwise.json:2:18: \"clients\" must be a list of application_name patterns")]
    [InlineData("{\n  \"instances\": { \"role\": \"app\" }\n}\n", "stepwise.json:2:18: unknown instances setting \"role\"; known: schema, clients, versionRole, versionRoleMemberOf")]
    [InlineData("{\n  \"instances\": []\n}\n", "stepwise.json:2:3: \"instances\" must be an object")]
    public async Task A_bad_lock_or_instances_setting_in_the_config_file_is_reported_with_position(string config, string message)
    {
        using var cli = new CliRunner();
        cli.Write("stepwise.json", config);
        var file = cli.Write("a.sql", "SELECT 1;");

        var (code, _, error) = await cli.Run("parse", file);

        Assert.Equal(2, code);
        Assert.Contains(message, error);
    }

    [Fact]
    public async Task Unknown_setting_in_config_file_is_reported_with_position()
    {
        using var cli = new CliRunner();
        cli.Write("stepwise.json", "{\n  \"dir\": \"db\",\n  \"databse\": \"x\"\n}\n");
        var file = cli.Write("a.sql", "SELECT 1;");

        var (code, _, error) = await cli.Run("parse", file);

        Assert.Equal(2, code);
        Assert.Contains("stepwise.json:3:3: unknown setting \"databse\"", error);
    }

    [Fact]
    public async Task Malformed_config_json_names_line_and_column()
    {
        using var cli = new CliRunner();
        cli.Write("custom.json", "{\n  \"dir\": \n}");
        var file = cli.Write("a.sql", "SELECT 1;");

        var (code, _, error) = await cli.Run("parse", file, "--config", "custom.json");

        Assert.Equal(2, code);
        Assert.Matches(@"custom\.json:3:\d+: not valid JSON", error);
    }
}

public class PasswordTests
{
    [Theory]
    [InlineData("postgres://app:hunter2@db.internal:5432/orders")]
    [InlineData("Host=db.internal;Username=app;Password=hunter2;Database=orders")]
    public async Task Verbose_settings_show_the_database_without_its_password(string database)
    {
        using var cli = new CliRunner();
        var file = cli.Write("a.sql", "SELECT 1;");

        var (code, output, error) = await cli.Run("parse", file, "--verbose", "-d", database);

        Assert.Equal(0, code);
        Assert.Contains("database: ", error);
        Assert.Contains("db.internal", error);
        Assert.DoesNotContain("hunter2", output + error);
    }

    [Fact]
    public async Task Database_from_environment_is_used_and_scrubbed()
    {
        using var cli = new CliRunner();
        cli.Env("DATABASE_URL", "postgres://app:hunter2@fallback/x").Env("STEPWISE_DATABASE_URL", "postgres://app:hunter2@preferred/x");
        var file = cli.Write("a.sql", "SELECT 1;");

        var (_, output, error) = await cli.Run("parse", file, "--verbose");

        Assert.Contains("Host=preferred", error);
        Assert.DoesNotContain("hunter2", output + error);
    }

    [Fact]
    public async Task Malformed_database_is_bad_input_and_hides_the_password()
    {
        using var cli = new CliRunner();
        var file = cli.Write("a.sql", "SELECT 1;");

        var (code, output, error) = await cli.Run("parse", file, "--verbose", "-d", "Hots=x;Password=hunter2");

        Assert.Equal(2, code);
        Assert.Contains("--database: not a PostgreSQL URL", error);
        Assert.DoesNotContain("hunter2", output + error);
    }
}
