using Stepwise.Linting;
using Stepwise.Linting.Rules;
using Stepwise.Sql;

namespace Stepwise.Tests.Linting.Rules;

public class AddingFieldWithVolatileDefaultTests
{
    [Theory]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN token uuid DEFAULT gen_random_uuid();", "token uuid DEFAULT gen_random_uuid()")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN token text DEFAULT random()::text;", "token text DEFAULT random()")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN token float8 DEFAULT pg_catalog.random();", "token double precision DEFAULT random()")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN seen_at timestamptz DEFAULT clock_timestamp();", "seen_at timestamptz DEFAULT clock_timestamp()")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN seen text DEFAULT timeofday();", "seen text DEFAULT timeofday()")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN n bigint NOT NULL DEFAULT nextval('run_seq');", "n bigint DEFAULT nextval()")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN token uuid DEFAULT public.uuid_generate_v4();", "token uuid DEFAULT public.uuid_generate_v4()")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN token text DEFAULT coalesce(my_token(), md5(random()::text));", "token text DEFAULT random()")]
    [InlineData("DO $$ BEGIN ALTER TABLE workflow_runs ADD COLUMN token uuid DEFAULT gen_random_uuid(); END $$;", "token uuid DEFAULT gen_random_uuid()")]
    public void Flags_a_volatile_default_as_a_rewrite(string sql, string what)
    {
        var finding = LintAssert.Flags<AddingFieldWithVolatileDefault>(sql);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains($"ALTER TABLE ... ADD COLUMN {what} rewrites workflow_runs under ACCESS EXCLUSIVE: reads and writes of workflow_runs are blocked until ", finding.Message);
        Assert.Contains("is volatile, so PostgreSQL computes it for every existing row", finding.Message);
        Assert.Contains("ALTER COLUMN token SET DEFAULT gen_random_uuid()", finding.Fix);
    }

    [Theory]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN seq bigserial;", "ADD COLUMN seq bigserial fills every existing row from a new sequence")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;", "ADD COLUMN seq bigint GENERATED AS IDENTITY fills every existing row from its sequence")]
    public void Flags_serial_and_identity_columns_which_number_every_row(string sql, string what)
    {
        var finding = LintAssert.Flags<AddingFieldWithVolatileDefault>(sql);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains(what, finding.Message);
        Assert.Contains("so it rewrites workflow_runs under ACCESS EXCLUSIVE: reads and writes of workflow_runs are blocked until the rewrite ends", finding.Message);
    }

    [Fact]
    public void In_a_transaction_the_lock_is_held_until_it_commits()
    {
        var finding = LintAssert.Flags<AddingFieldWithVolatileDefault>("-- stepwise:up\nALTER TABLE workflow_runs ADD COLUMN token uuid DEFAULT gen_random_uuid();\n");

        Assert.Contains("reads and writes of workflow_runs are blocked until the transaction commits", finding.Message);
    }

    [Fact]
    public void An_unknown_function_might_be_volatile_and_is_a_warning()
    {
        var finding = LintAssert.Flags<AddingFieldWithVolatileDefault>("ALTER TABLE workflow_runs ADD COLUMN code text DEFAULT app.next_code(now());");

        Assert.Equal(LintSeverity.Warning, finding.Severity);
        Assert.Contains("DEFAULT app.next_code() may rewrite workflow_runs under ACCESS EXCLUSIVE", finding.Message);
        Assert.Contains("Stepwise does not know whether app.next_code() is volatile", finding.Message);
    }

    [Theory]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN created_at timestamptz DEFAULT current_timestamp;")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN due date DEFAULT CURRENT_DATE + 7;")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN expires_at timestamptz DEFAULT now() + interval '1 day';")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN xid bigint DEFAULT txid_current();")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN state text NOT NULL DEFAULT 'pending';")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN meta jsonb DEFAULT '{}'::jsonb;")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN label text DEFAULT lower('X');")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN region text DEFAULT split_part(current_setting('app.region'), '-', 1);")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN note text DEFAULT NULL;")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN note text;")]
    [InlineData("ALTER TABLE workflow_runs ALTER COLUMN token SET DEFAULT gen_random_uuid();")]
    [InlineData("CREATE TABLE workflow_runs (id bigserial, token uuid DEFAULT gen_random_uuid());")]
    public void Passes_defaults_stored_once_and_look_alikes(string sql)
    {
        LintAssert.Passes<AddingFieldWithVolatileDefault>(sql);
    }

    [Fact]
    public void A_table_created_earlier_in_the_file_is_exempt()
    {
        LintAssert.Passes<AddingFieldWithVolatileDefault>(
            "-- stepwise:up\nCREATE TABLE fresh (id int);\nALTER TABLE fresh ADD COLUMN token uuid DEFAULT gen_random_uuid(), ADD COLUMN seq bigserial;\n");
    }

    [Fact]
    public void With_a_database_a_small_table_drops_to_info()
    {
        var options = new LintOptions { TableSizes = new Dictionary<RelationName, TableSize> { [new("public", "small")] = new(100, 8192) } };

        var finding = LintAssert.Flags<AddingFieldWithVolatileDefault>("ALTER TABLE small ADD COLUMN token uuid DEFAULT gen_random_uuid();", options);

        Assert.Equal(LintSeverity.Info, finding.Severity);
    }
}
