using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Npgsql;
using Stepwise.Catalog;
using Stepwise.Connections;
using Stepwise.Diagnostics;
using Stepwise.Embedded;
using Stepwise.Execution;
using Stepwise.Migrations;
using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Verification;

/// <summary>One thing <see cref="Verifier"/> found wrong.</summary>
/// <param name="File">The migration.</param>
/// <param name="Step">apply, down, reapply.</param>
/// <param name="Message">What went wrong, with the schema differences when there are some.</param>
public sealed record VerifyProblem(string File, string Step, string Message);

/// <summary>The locks one statement really took on the throwaway database, beside the linter's static answer.</summary>
/// <param name="File">The migration.</param>
/// <param name="Line">The statement's line.</param>
/// <param name="Statement">The command tag.</param>
/// <param name="Measured">Relation → strongest lock mode held before commit (from pg_locks).</param>
/// <param name="Rewritten">Tables whose storage was rewritten (relfilenode changed).</param>
/// <param name="Static">Relation → lock the parse tree says it takes.</param>
/// <param name="Disagrees">True when measured and static differ on a relation the statement names.</param>
public sealed record LockMeasurement(string File, int Line, string Statement, IReadOnlyDictionary<string, LockLevel> Measured,
    IReadOnlyList<string> Rewritten, IReadOnlyDictionary<string, LockLevel> Static, bool Disagrees)
{
    /// <summary>The statement's column (with <see cref="Line"/>, which statement of the file it is).</summary>
    public int Column { get; init; }

    /// <summary>
    /// Relation → lock mode an earlier statement of the same transaction already held, at least as strong as the one this
    /// statement takes on it (by the parse tree): it took nothing new there, but run on its own it would wait for that lock.
    /// </summary>
    public IReadOnlyDictionary<string, LockLevel> AlreadyHeld { get; init; } = new Dictionary<string, LockLevel>();
}

/// <summary>What <see cref="Verifier.VerifyAsync"/> found.</summary>
/// <param name="Migrations">How many versioned migrations the directory holds.</param>
/// <param name="Problems">Everything that failed (empty when the directory verifies).</param>
/// <param name="Locks">The measured lock report, statement by statement.</param>
/// <param name="NotReversible">Migrations applied without a down section, so not round-tripped (not a failure).</param>
public sealed record VerifyReport(int Migrations, IReadOnlyList<VerifyProblem> Problems, IReadOnlyList<LockMeasurement> Locks, IReadOnlyList<string> NotReversible)
{
    /// <summary>How many migrations applied from scratch (operation migrations: started and completed).</summary>
    public int Applied { get; init; }

    /// <summary>How many were taken back and applied again: SQL migrations through their down section, operation migrations through rollback.</summary>
    public int RoundTripped { get; init; }

    /// <summary>The 1-based position of the migration where verification stopped (later ones build on it and were not checked); null when it went through all.</summary>
    public int? StoppedAt { get; init; }

    /// <summary>
    /// Every run the executor made on the throwaway database, in order, as <c>apply</c>, <c>rollback</c> and <c>complete</c>
    /// report them: a SQL migration's up, down and up again; an operation migration's start, rollback, start and complete.
    /// </summary>
    public IReadOnlyList<MigrationRun> Runs { get; init; } = [];

    /// <summary>
    /// The locks <paramref name="step"/> (a SQL statement of <paramref name="run"/>) was measured taking: statements are
    /// measured on their migration's first apply; null for any other run or step.
    /// </summary>
    public LockMeasurement? LockOf(MigrationRun run, Step step)
    {
        if (step.Statement is not { } statement || run.Section?.Direction != SectionDirection.Up
            || !ReferenceEquals(Runs.FirstOrDefault(r => r.Migration.FileName == run.Migration.FileName), run))
        {
            return null;
        }
        return Locks.FirstOrDefault(l => l.File == run.Migration.FileName && l.Line == statement.Span.StartLine && l.Column == statement.Span.StartColumn);
    }
}

/// <summary>
/// Replays a directory on a throwaway PostgreSQL: every migration must apply from an empty database;
/// every migration with a down section must round-trip (up → down → up), the catalog after down equal
/// to the one before up and the catalog after the second up equal to the first; assertions run as part
/// of apply. Each statement that runs in a transaction is also run once in a rolled-back transaction to
/// measure the locks it really takes (pg_locks) and whether it rewrites a table (relfilenode); one that
/// cannot (CONCURRENTLY) is measured while the migration itself runs it, held back by an old snapshot
/// until its locks have been seen.
/// </summary>
public static class Verifier
{
    /// <summary>Verifies <paramref name="directory"/>.</summary>
    /// <param name="directory">The migration directory.</param>
    /// <param name="logger">Receives the migrator's progress.</param>
    /// <param name="server">Options for the TempPostgres started when <paramref name="devUrl"/> is null.</param>
    /// <param name="devUrl">A server to create the throwaway databases on instead of starting a TempPostgres.</param>
    /// <param name="setup">SQL run on the empty database before the first migration (what the history assumes but does not create).</param>
    /// <param name="cancellationToken">Stops the verification.</param>
    /// <exception cref="MigrationRefusedException">The directory has errors, or the setup SQL fails.</exception>
    public static async Task<VerifyReport> VerifyAsync(string directory, ILogger? logger = null, TempPostgresOptions? server = null, string? devUrl = null,
        ReplaySetup? setup = null, CancellationToken cancellationToken = default)
    {
        const string stateSchema = "stepwise";
        var files = MigrationDirectory.Load(directory);
        if (files.HasErrors)
        {
            throw new MigrationRefusedException($"the migration directory {directory} has errors", [.. files.Problems.Where(p => p.Severity == Severity.Error)]);
        }
        await using var postgres = await ScratchDatabase.CreateAsync(devUrl, server, setup, cancellationToken);
        var problems = new List<VerifyProblem>();
        var locks = new List<LockMeasurement>();
        var notReversible = new List<string>();
        var runs = new List<MigrationRun>();
        Migration? probing = null; // the migration whose first apply is being measured statement by statement
        var migrator = new Migrator(new MigratorOptions
        {
            Database = postgres.ConnectionString, Directory = directory, StateSchema = stateSchema, Logger = logger,
            StatementProbe = (statement, pid, ct) => probing is null ? Task.FromResult<IAsyncDisposable?>(null) : ProbeAsync(postgres.ConnectionString, probing, statement, pid, locks, ct),
        });

        SchemaModel? current = null;
        var (applied, roundTripped, position) = (0, 0, 0);
        int? stoppedAt = null;
        foreach (var migration in files.Versioned)
        {
            position++;
            // Every failure below stops here: later migrations build on this one.
            stoppedAt = position;
            // The schema before this migration is the one the previous step ended with.
            var before = current ?? await CatalogReader.ReadAsync(postgres.ConnectionString, stateSchema, cancellationToken);
            if (migration.IsOperationMigration)
            {
                var (completed, started, rolledBack) = await VerifyOperationsAsync(migrator, migration, postgres.ConnectionString, problems, runs, cancellationToken);
                applied += started ? 1 : 0;
                roundTripped += rolledBack ? 1 : 0;
                if (completed is null)
                {
                    break;
                }
                current = completed;
                stoppedAt = null;
                continue;
            }
            if (migration.Up!.RunsInTransaction)
            {
                locks.AddRange(await MeasureAsync(postgres.ConnectionString, migration, cancellationToken));
            }
            try
            {
                probing = migration.Up.RunsInTransaction ? null : migration;
                runs.AddRange((await migrator.ApplyAsync(new ApplyRequest { ToVersion = migration.Version }, cancellationToken)).Runs);
            }
            catch (MigrationFailedException ex)
            {
                problems.Add(new VerifyProblem(migration.FileName, "apply", $"does not apply from scratch: {ex.File}:{ex.Line}:{ex.Column}: {ex.Message}"));
                break; // later migrations build on this one
            }
            catch (MigrationRefusedException ex) when (ex.Problems.Count > 0)
            {
                // Refused before it ran (a COMMIT of its own, say): the same problem apply would give, with its first place.
                var first = ex.Problems[0];
                problems.Add(new VerifyProblem(migration.FileName, "apply", $"does not apply from scratch: {first.File}:{first.Line}:{first.Column}: {ex.Message}: {first.Message}"));
                break;
            }
            finally
            {
                probing = null;
            }
            applied++;
            var afterUp = current = await CatalogReader.ReadAsync(postgres.ConnectionString, stateSchema, cancellationToken);
            if (migration.Down is null)
            {
                notReversible.Add(migration.FileName);
                stoppedAt = null;
                continue;
            }
            try
            {
                runs.AddRange((await migrator.RollbackAsync(steps: 1, cancellationToken: cancellationToken)).Runs);
            }
            catch (MigrationFailedException ex)
            {
                problems.Add(new VerifyProblem(migration.FileName, "down", $"the down section fails: {ex.File}:{ex.Line}:{ex.Column}: {ex.Message}"));
                break;
            }
            var afterDown = await CatalogReader.ReadAsync(postgres.ConnectionString, stateSchema, cancellationToken);
            var leftovers = SchemaDiff.Compare(before, afterDown);
            if (leftovers.Count > 0)
            {
                problems.Add(new VerifyProblem(migration.FileName, "down",
                    "after up and down the schema differs from before up: " + string.Join("; ", leftovers)));
            }
            try
            {
                runs.AddRange((await migrator.ApplyAsync(new ApplyRequest { ToVersion = migration.Version }, cancellationToken)).Runs);
            }
            catch (MigrationFailedException ex)
            {
                problems.Add(new VerifyProblem(migration.FileName, "reapply", $"applying it again after its down section fails: {ex.File}:{ex.Line}:{ex.Column}: {ex.Message}"));
                break; // the database no longer matches the directory: later checks would only repeat this
            }
            roundTripped++;
            stoppedAt = null;
            var again = current = await CatalogReader.ReadAsync(postgres.ConnectionString, stateSchema, cancellationToken);
            var drift = SchemaDiff.Compare(afterUp, again);
            if (drift.Count > 0)
            {
                problems.Add(new VerifyProblem(migration.FileName, "reapply", "applying again after down gives a different schema: " + string.Join("; ", drift)));
            }
        }
        return new VerifyReport(files.Versioned.Count, problems, locks, notReversible) { Applied = applied, RoundTripped = roundTripped, StoppedAt = stoppedAt, Runs = runs };
    }

    /// <summary>
    /// An operation migration: start, rollback (the catalog must equal the one before start), start again, then
    /// complete. Returns the catalog after complete (null when a step failed, recorded in <paramref name="problems"/>), whether
    /// it applied (started) and whether the round trip (rollback, start again) got through.
    /// </summary>
    private static async Task<(SchemaModel? Completed, bool Applied, bool RoundTripped)> VerifyOperationsAsync(Migrator migrator, Migration migration, string database, List<VerifyProblem> problems,
        List<MigrationRun> runs, CancellationToken cancellationToken)
    {
        const string stateSchema = "stepwise";
        var step = "start";
        try
        {
            // With helper objects: a fill trigger or NOT VALID check that rollback forgot is exactly what to catch.
            var before = await CatalogReader.ReadWithHelpersAsync(database, stateSchema, cancellationToken);
            runs.AddRange((await migrator.ApplyAsync(new ApplyRequest { ToVersion = migration.Version }, cancellationToken)).Runs);
            step = "rollback";
            runs.AddRange((await migrator.RollbackAsync(steps: 1, cancellationToken: cancellationToken)).Runs);
            var afterRollback = await CatalogReader.ReadWithHelpersAsync(database, stateSchema, cancellationToken);
            var leftovers = SchemaDiff.Compare(before, afterRollback);
            if (leftovers.Count > 0)
            {
                problems.Add(new VerifyProblem(migration.FileName, "rollback", "after start and rollback the schema differs from before start: " + string.Join("; ", leftovers)));
            }
            step = "complete";
            runs.AddRange((await migrator.ApplyAsync(new ApplyRequest { ToVersion = migration.Version, Complete = true }, cancellationToken)).Runs);
            return (await CatalogReader.ReadAsync(database, stateSchema, cancellationToken), true, true);
        }
        catch (Exception ex) when (ex is MigrationFailedException or MigrationRefusedException)
        {
            var where = ex is MigrationFailedException failed ? $"{failed.File}:{failed.Line}:{failed.Column}: " : "";
            problems.Add(new VerifyProblem(migration.FileName, step, $"{(step == "start" ? "does not start from scratch" : $"{step} fails")}: {where}{ex.Message}"));
            return (null, step != "start", step == "complete");
        }
    }

    /// <summary>Runs the up section statement by statement in one transaction that is rolled back, reading this backend's locks after each.</summary>
    private static Task<List<LockMeasurement>> MeasureAsync(string connectionString, Migration migration, CancellationToken cancellationToken) =>
        MeasureAsync(connectionString, migration, migration.Up!.Statements, cancellationToken);

    /// <summary>Runs <paramref name="statements"/> in one transaction that is rolled back, reading this backend's locks after each.</summary>
    private static async Task<List<LockMeasurement>> MeasureAsync(string connectionString, Migration migration, IEnumerable<SqlStatement> statements, CancellationToken cancellationToken)
    {
        var found = new List<LockMeasurement>();
        await using var connection = DataSources.Connection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var statement in statements)
        {
            if (statement.Tree?.TransactionControl is not null)
            {
                break; // a COMMIT would end the measuring transaction; apply refuses it, with its place
            }
            var filenodes = await FileNodesAsync(connection, tx, cancellationToken);
            var held = await LocksAsync(connection, tx, connection.ProcessID, cancellationToken);
            try
            {
                await using var run = new NpgsqlCommand(statement.Text, connection, tx);
                await run.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException)
            {
                break; // apply will report it, with its place
            }
            var after = await LocksAsync(connection, tx, connection.ProcessID, cancellationToken);
            // Locks are held to the end of the transaction: what this statement added is the difference.
            var measured = after.Where(kv => !held.TryGetValue(kv.Key, out var level) || level < kv.Value).ToDictionary(kv => kv.Key, kv => kv.Value);
            var rewritten = (await FileNodesAsync(connection, tx, cancellationToken))
                .Where(kv => filenodes.TryGetValue(kv.Key, out var node) && node != kv.Value).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
            var expected = Expected(statement);
            var disagrees = expected.Any(kv => Disagrees(kv.Key, kv.Value, held, after));
            var alreadyHeld = expected.Where(kv => !measured.ContainsKey(kv.Key) && held.TryGetValue(kv.Key, out var level) && level >= kv.Value)
                .ToDictionary(kv => kv.Key, kv => held[kv.Key]);
            found.Add(new LockMeasurement(migration.FileName, statement.Span.StartLine, statement.CommandTag, measured, rewritten, expected, disagrees)
            {
                Column = statement.Span.StartColumn, AlreadyHeld = alreadyHeld,
            });
        }
        await tx.RollbackAsync(cancellationToken);
        return found;
    }

    /// <summary>
    /// Measures one statement of a statement-by-statement migration just before the migrator runs it, on the
    /// database as the earlier statements left it. One that can run in a transaction is run once more in a
    /// rolled-back transaction first. One that cannot (CREATE INDEX CONCURRENTLY, ...) is measured as it runs:
    /// a transaction holding an older snapshot makes it wait (concurrent index builds and drops wait for older
    /// snapshots to end) while a third session reads the locks it holds; then that transaction ends and the
    /// statement finishes. What this returns is disposed when the statement is done.
    /// </summary>
    private static async Task<IAsyncDisposable?> ProbeAsync(string database, Migration migration, SqlStatement statement, int pid, List<LockMeasurement> found,
        CancellationToken cancellationToken)
    {
        if (statement.Tree?.RunsOutsideTransaction != true)
        {
            Keep(found, await MeasureAsync(database, migration, [statement], cancellationToken));
            return null;
        }
        var unpooled = new NpgsqlConnectionStringBuilder(database) { Pooling = false }.ConnectionString;
        var holder = DataSources.Connection(unpooled);
        var watcher = DataSources.Connection(unpooled);
        await holder.OpenAsync(cancellationToken);
        await watcher.OpenAsync(cancellationToken);
        var filenodes = await FileNodesAsync(watcher, null, cancellationToken);
        await using (var snapshot = new NpgsqlCommand("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1", holder))
        {
            await snapshot.ExecuteNonQueryAsync(cancellationToken);
        }
        var done = new StrongBox<bool>();
        var seen = WatchAsync(watcher, holder, pid, done, cancellationToken);
        return new Finish(async () =>
        {
            try
            {
                Volatile.Write(ref done.Value, true);
                var locks = await seen;
                var rewritten = (await FileNodesAsync(watcher, null, cancellationToken))
                    .Where(kv => filenodes.TryGetValue(kv.Key, out var node) && node != kv.Value).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
                var expected = Expected(statement);
                var disagrees = locks.Count > 0 && expected.Any(kv => locks.TryGetValue(kv.Key, out var real) && real != kv.Value);
                Keep(found, [new LockMeasurement(migration.FileName, statement.Span.StartLine, statement.CommandTag, locks, rewritten, expected, disagrees) { Column = statement.Span.StartColumn }]);
            }
            finally
            {
                await holder.DisposeAsync();
                await watcher.DisposeAsync();
            }
        });
    }

    /// <summary>
    /// Polls the locks of <paramref name="pid"/> until it holds some, the statement is done (it did not wait,
    /// as VACUUM does not) or about two seconds pass; then ends the holder's snapshot.
    /// </summary>
    private static async Task<Dictionary<string, LockLevel>> WatchAsync(NpgsqlConnection watcher, NpgsqlConnection holder, int pid, StrongBox<bool> done,
        CancellationToken cancellationToken)
    {
        var seen = new Dictionary<string, LockLevel>(StringComparer.Ordinal);
        try
        {
            for (var polls = 0; polls < 100 && seen.Count == 0 && !Volatile.Read(ref done.Value); polls++)
            {
                foreach (var (relation, level) in await LocksAsync(watcher, null, pid, cancellationToken))
                {
                    seen[relation] = seen.TryGetValue(relation, out var had) && had > level ? had : level;
                }
                if (seen.Count == 0)
                {
                    await Task.Delay(20, cancellationToken);
                }
            }
        }
        finally
        {
            await using var end = new NpgsqlCommand("COMMIT", holder);
            await end.ExecuteNonQueryAsync(CancellationToken.None);
        }
        return seen;
    }

    /// <summary>
    /// Adds the measurements of a statement the migrator is about to run, replacing those of an earlier attempt at it (the
    /// probe runs before every attempt, and a statement that hit lock_timeout is tried again): one per statement.
    /// </summary>
    internal static void Keep(List<LockMeasurement> found, IReadOnlyList<LockMeasurement> measured)
    {
        found.RemoveAll(old => measured.Any(m => m.File == old.File && m.Line == old.Line && m.Column == old.Column));
        found.AddRange(measured);
    }

    private sealed class Finish(Func<Task> finish) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await finish();
    }

    private static Dictionary<string, LockLevel> Expected(SqlStatement statement) => statement.Tree is { } tree
        ? StatementLocks.For(tree).GroupBy(l => l.Relation.Qualified).ToDictionary(g => g.Key, g => g.Max(l => l.Level))
        : [];

    /// <summary>
    /// Whether the lock held on <paramref name="relation"/> after the statement differs from the static answer.
    /// Not knowable when an earlier statement of the transaction already holds at least that lock, or when
    /// the relation is gone (dropped) or was never there to lock.
    /// </summary>
    private static bool Disagrees(string relation, LockLevel expected, Dictionary<string, LockLevel> before, Dictionary<string, LockLevel> after)
    {
        var had = before.GetValueOrDefault(relation);
        if (!after.TryGetValue(relation, out var has) || had >= expected)
        {
            return false;
        }
        return has != expected;
    }


    /// <summary>The strongest lock the session <paramref name="pid"/> holds on each relation.</summary>
    private static async Task<Dictionary<string, LockLevel>> LocksAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, int pid, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT n.nspname || '.' || c.relname, l.mode
            FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE l.pid = $1 AND l.locktype = 'relation' AND l.granted
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND c.relkind IN ('r', 'p', 'm', 'v', 'S', 'i', 'I')
            """, connection, tx);
        command.Parameters.AddWithValue(pid);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var locks = new Dictionary<string, LockLevel>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var level = Level(reader.GetString(1));
            var name = reader.GetString(0);
            locks[name] = locks.TryGetValue(name, out var existing) && existing > level ? existing : level;
        }
        return locks;
    }

    private static async Task<Dictionary<string, uint>> FileNodesAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT n.nspname || '.' || c.relname, c.relfilenode::bigint
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
            """, connection, tx);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var nodes = new Dictionary<string, uint>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            nodes[reader.GetString(0)] = (uint)reader.GetInt64(1);
        }
        return nodes;
    }

    private static LockLevel Level(string mode) => mode switch
    {
        "AccessShareLock" => LockLevel.AccessShare,
        "RowShareLock" => LockLevel.RowShare,
        "RowExclusiveLock" => LockLevel.RowExclusive,
        "ShareUpdateExclusiveLock" => LockLevel.ShareUpdateExclusive,
        "ShareLock" => LockLevel.Share,
        "ShareRowExclusiveLock" => LockLevel.ShareRowExclusive,
        "ExclusiveLock" => LockLevel.Exclusive,
        "AccessExclusiveLock" => LockLevel.AccessExclusive,
        _ => LockLevel.None,
    };
}
