using Stepwise.Planning;
using Stepwise.Verification;
using Stepwise.Testing;

namespace Stepwise.IntegrationTests.Verification;

public class VerifierTests
{
    private sealed class Dir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("stepwise-verify-").FullName;

        public Dir Write(string name, string content)
        {
            File.WriteAllText(System.IO.Path.Combine(Path, name), content);
            return this;
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    [Fact]
    public async Task A_down_section_that_forgets_an_index_is_caught_and_locks_are_measured()
    {
        using var dir = new Dir()
            .Write("1_runs.sql", "-- stepwise:up\nCREATE TABLE runs (id bigint PRIMARY KEY, state text, n int);\n-- stepwise:down\nDROP TABLE runs;\n")
            .Write("2_index.sql", "-- stepwise:up\nCREATE INDEX runs_state ON runs (state);\nALTER TABLE runs ALTER COLUMN n TYPE bigint;\n-- stepwise:down\nALTER TABLE runs ALTER COLUMN n TYPE int;\n")
            .Write("3_concurrent.sql", "-- stepwise:up\nCREATE INDEX CONCURRENTLY runs_n ON runs (n);\n-- stepwise:down\nDROP INDEX CONCURRENTLY runs_n;\n");

        var report = await Verifier.VerifyAsync(dir.Path);

        Assert.Equal([("2_index.sql", "down"), ("2_index.sql", "reapply")], report.Problems.Select(p => (p.File, p.Step)));
        Assert.Contains("added index public.runs_state", report.Problems[0].Message);
        Assert.Contains("\"runs_state\" already exists", report.Problems[1].Message);
        var index = report.Locks.Single(l => l.File == "2_index.sql" && l.Line == 2);
        Assert.Equal(LockLevel.Share, index.Measured["public.runs"]);
        Assert.False(index.Disagrees);
        var alter = report.Locks.Single(l => l.File == "2_index.sql" && l.Line == 3);
        Assert.Equal(["public.runs"], alter.Rewritten);
        Assert.Equal(LockLevel.AccessExclusive, alter.Measured["public.runs"]);
        Assert.DoesNotContain(report.Locks, l => l.File == "3_concurrent.sql"); // never reached: verification stops where the database stops matching
    }

    [Fact]
    public async Task A_lock_an_earlier_statement_of_the_transaction_took_is_reported_as_already_held_not_as_none()
    {
        // atuin's 20260127000000: dropping a table that references users takes ACCESS EXCLUSIVE on users, so the next
        // statement's DROP COLUMN on users adds nothing; it used to read "no table locks".
        using var dir = new Dir()
            .Write("1_users.sql", "-- stepwise:up\nCREATE TABLE users (id bigint PRIMARY KEY, verified_at timestamptz);\nCREATE TABLE tokens (id bigint, user_id bigint REFERENCES users);\n")
            .Write("2_drop.sql", "-- stepwise:up\nDROP TABLE tokens;\nALTER TABLE users DROP COLUMN verified_at;\n");

        var report = await Verifier.VerifyAsync(dir.Path);

        Assert.Empty(report.Problems);
        var drop = report.Locks.Single(l => l.File == "2_drop.sql" && l.Line == 2);
        Assert.Equal(LockLevel.AccessExclusive, drop.Measured["public.users"]);
        Assert.Empty(drop.AlreadyHeld);
        var dropColumn = report.Locks.Single(l => l.File == "2_drop.sql" && l.Line == 3);
        Assert.DoesNotContain("public.users", dropColumn.Measured.Keys);
        Assert.Equal(LockLevel.AccessExclusive, dropColumn.AlreadyHeld["public.users"]);
    }

    [Fact]
    public async Task A_migration_that_commits_itself_is_a_problem_named_by_place_not_a_crash()
    {
        // nakama's split for CockroachDB, left in: measuring it used to end the measuring transaction and crash verify.
        using var dir = new Dir()
            .Write("1_users.sql", "-- stepwise:up\nCREATE TABLE users (id int, role int);\nCOMMIT;\nBEGIN;\nUPDATE users SET role = 1;\n-- stepwise:down\nDROP TABLE users;\n");

        var report = await Verifier.VerifyAsync(dir.Path);

        var problem = Assert.Single(report.Problems);
        Assert.Equal(("1_users.sql", "apply"), (problem.File, problem.Step));
        Assert.Contains("1_users.sql:3:1: nothing was applied: 2 statement(s) control transactions, which Stepwise does itself: COMMIT in a migration", problem.Message);
    }

    [Fact]
    public async Task Every_run_of_the_executor_is_reported_in_order_with_the_measured_locks_on_the_first_apply()
    {
        using var dir = new Dir()
            .Write("1_runs.sql", "-- stepwise:up\nCREATE TABLE runs (id bigint PRIMARY KEY, state text);\n-- stepwise:down\nDROP TABLE runs;\n")
            .Write("2_plain.sql", "-- stepwise:up\nCREATE INDEX runs_state ON runs (state);\n-- stepwise:down\nDROP INDEX runs_state;\n")
            .Write("3_note.yaml", "operations:\n  - add_column:\n      table: runs\n      column: { name: note, type: text, nullable: true }\n");

        var report = await Verifier.VerifyAsync(dir.Path);

        Assert.Empty(report.Problems);
        Assert.Equal(
            [("1_runs.sql", "up"), ("1_runs.sql", "down"), ("1_runs.sql", "up"), ("2_plain.sql", "up"), ("2_plain.sql", "down"), ("2_plain.sql", "up"),
             ("3_note.yaml", "start"), ("3_note.yaml", "rollback"), ("3_note.yaml", "start"), ("3_note.yaml", "complete")],
            report.Runs.Select(r => (r.Migration.FileName, r.PhaseName)));
        var (first, again) = (report.Runs[3], report.Runs[5]);
        var index = Assert.Single(first.Steps).Group!.Single(s => s.Kind == StepKind.Sql);
        Assert.Equal(LockLevel.Share, report.LockOf(first, index)!.Measured["public.runs"]);
        Assert.Null(report.LockOf(again, Assert.Single(again.Steps).Group!.Single(s => s.Kind == StepKind.Sql))); // measured once, on the first apply
        Assert.Null(report.LockOf(report.Runs[4], report.Runs[4].Steps[0]));
        Assert.All(report.Runs.Skip(6).Take(3), r => Assert.NotEmpty(r.Steps)); // complete of a nullable column has nothing to do
    }

    [Fact]
    public async Task Create_index_takes_share_and_create_index_concurrently_share_update_exclusive()
    {
        using var dir = new Dir()
            .Write("1_runs.sql", "-- stepwise:up\nCREATE TABLE runs (id bigint PRIMARY KEY, state text, n int);\n-- stepwise:down\nDROP TABLE runs;\n")
            .Write("2_plain.sql", "-- stepwise:up\nCREATE INDEX runs_state ON runs (state);\n-- stepwise:down\nDROP INDEX runs_state;\n")
            .Write("3_concurrent.sql", "-- stepwise:up\nCREATE INDEX CONCURRENTLY runs_n ON runs (n);\nALTER TABLE runs ADD COLUMN m int;\n" +
                "-- stepwise:down\nALTER TABLE runs DROP COLUMN m;\nDROP INDEX CONCURRENTLY runs_n;\n");

        var report = await Verifier.VerifyAsync(dir.Path);

        Assert.Empty(report.Problems);
        // The statement after the concurrent build is measured on the database as the build left it.
        Assert.Equal(LockLevel.AccessExclusive, report.Locks.Single(l => l.File == "3_concurrent.sql" && l.Line == 3).Measured["public.runs"]);
        Assert.Equal(LockLevel.Share, report.Locks.Single(l => l.File == "2_plain.sql").Measured["public.runs"]);
        var concurrent = report.Locks.Single(l => l.File == "3_concurrent.sql" && l.Line == 2);
        Assert.Equal(LockLevel.ShareUpdateExclusive, concurrent.Measured["public.runs"]);
        Assert.False(concurrent.Disagrees);
        Assert.Empty(concurrent.Rewritten);
    }

    [Fact]
    public async Task A_migration_that_does_not_apply_from_scratch_is_the_first_thing_reported()
    {
        using var dir = new Dir()
            .Write("1_a.sql", "-- stepwise:up\nALTER TABLE created_by_hand ADD COLUMN x int;\n");

        var report = await Verifier.VerifyAsync(dir.Path);

        var problem = Assert.Single(report.Problems);
        Assert.Equal("apply", problem.Step);
        Assert.Contains("does not apply from scratch", problem.Message);
        Assert.Contains("created_by_hand", problem.Message);
    }

    [Fact]
    public async Task A_clean_directory_verifies_and_lists_migrations_without_down_sections()
    {
        using var dir = new Dir()
            .Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);\n-- stepwise:down\nDROP TABLE a;\n")
            .Write("2_b.sql", "-- stepwise:up\nALTER TABLE a ADD COLUMN b text;\n");

        var report = await Verifier.VerifyAsync(dir.Path);

        Assert.Empty(report.Problems);
        Assert.Equal(["2_b.sql"], report.NotReversible);
        Assert.Equal(2, report.Migrations);
    }
}

public class VerifyCommandTests
{
    [Fact]
    public async Task Verify_exits_1_naming_the_migration_and_step_and_0_when_clean()
    {
        var dir = Directory.CreateTempSubdirectory("stepwise-verify-cli-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "1_a.sql"), "-- stepwise:up\nCREATE TABLE a (id int);\nCREATE INDEX a_id ON a (id);\n-- stepwise:down\nDROP INDEX a_id;\n");
            var none = new Dictionary<string, string>();
            var (bad, badOut, badError) = await CliInvocation.RunAsync(["verify", "--dir", dir], none, dir);
            File.WriteAllText(Path.Combine(dir, "1_a.sql"), "-- stepwise:up\nCREATE TABLE a (id int);\nCREATE INDEX a_id ON a (id);\n-- stepwise:down\nDROP TABLE a;\n");
            var (good, goodOut, goodError) = await CliInvocation.RunAsync(["verify", "--dir", dir], none, dir);
            var stdout = badOut + goodOut;
            var stderr = badError + goodError;

            Assert.Equal(1, bad);
            Assert.Contains("1_a.sql (down): after up and down the schema differs from before up: added table public.a", stderr);
            // The step table of the first apply, its lock column measured: line 2, the statement, its lock.
            Assert.Matches(@"\b2 +CREATE TABLE a \(id int\) +migration +ACCESS EXCLUSIVE on public\.a", stdout);
            Assert.Equal(0, good);
            Assert.Contains("2 problem(s): 1 applied from scratch, 0 round-tripped\n", stdout); // the last one: nothing later left unchecked
            Assert.Contains("verified: 1 applied from scratch, 1 round-tripped\n", stdout);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
