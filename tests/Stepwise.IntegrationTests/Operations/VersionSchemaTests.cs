using Npgsql;
using Stepwise.Catalog;
using Stepwise.Execution;
using Stepwise.Execution.Backfill;
using Stepwise.IntegrationTests.Backfill;
using Stepwise.IntegrationTests.Execution;
using Stepwise.Operations;

namespace Stepwise.IntegrationTests.Operations;

/// <summary>
/// Renames, type changes and drops through start, rollback and complete: old code on the tables (as before any version
/// schema existed) and new code on its version schema (<c>Search Path=public_2_op,public</c>) read and write at once and
/// see each other's rows; rollback leaves the catalog exactly as before, helpers and version schemas included.
/// </summary>
[Collection(OperationsCollection.Name)]
public class VersionSchemaTests(PostgresFixture fixture)
{
    private const string NewVersion = "public_2_op";

    [Fact]
    public async Task Rename_column_lets_old_and_new_code_write_under_their_own_names_and_renames_at_complete()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - rename_column: { table: users, from: nickname, to: handle }
            """);

        await op.ExecuteAsync("INSERT INTO users (id, email, nickname) VALUES (5001, 'old@example.com', 'olde')");
        Assert.Equal(5002L, await NewScalarAsync<long>(op, "INSERT INTO users (id, email, handle) VALUES (5002, 'new@example.com', 'newe') RETURNING id"));
        Assert.Equal("olde", await NewScalarAsync<string>(op, "SELECT handle FROM users WHERE id = 5001"));
        await op.HoldsAsync("SELECT nickname = 'newe' FROM users WHERE id = 5002");
        // ON CONFLICT through the view, on the table's primary key; the table's default (score 0) for a column left out.
        Assert.Equal("again", await NewScalarAsync<string>(op,
            "INSERT INTO users (id, email, handle) VALUES (5002, 'x@example.com', 'x') ON CONFLICT (id) DO UPDATE SET handle = 'again' RETURNING handle"));
        Assert.Equal(0, await NewScalarAsync<int>(op, "SELECT score FROM users WHERE id = 5002"));
        await NewExecuteAsync(op, "UPDATE users SET handle = 'changed' WHERE id = 5001; DELETE FROM users WHERE id = 5002");
        await op.HoldsAsync("SELECT nickname = 'changed' FROM users WHERE id = 5001 AND NOT EXISTS (SELECT 1 FROM users WHERE id = 5002)");
        Assert.Equal([NewVersion], (await op.Workspace.Migrator().VersionSchemasAsync()).Select(v => v.Name));

        await op.RollbackAsync();
        await op.HoldsAsync($"SELECT NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = '{NewVersion}')");
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT handle = 'changed' FROM users WHERE id = 5001");
        Assert.Equal("changed", await NewScalarAsync<string>(op, "SELECT handle FROM users WHERE id = 5001"));
        Assert.Equal([new VersionSchemaInfo(NewVersion, "2_op")], await op.Workspace.Migrator().VersionSchemasAsync());
        Assert.DoesNotContain((await CatalogReader.ReadAsync(op.Workspace.ConnectionString)).Schemas, s => s.Name == NewVersion);
    }

    [Fact]
    public async Task Rename_table_is_seen_by_the_new_version_at_start_and_made_at_complete()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - rename_table: { from: teams, to: squads }
            """);

        await op.ExecuteAsync("INSERT INTO teams VALUES (11, 'old team')");
        await NewExecuteAsync(op, "INSERT INTO squads VALUES (12, 'new team')");
        Assert.Equal(12L, await NewScalarAsync<long>(op, "SELECT count(*) FROM squads"));
        await op.HoldsAsync("SELECT count(*) = 12 FROM teams");

        await op.RollbackAsync();
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT to_regclass('public.teams') IS NULL AND count(*) = 12 FROM squads");
        Assert.Equal(12L, await NewScalarAsync<long>(op, "SELECT count(*) FROM squads"));
    }

    [Fact]
    public async Task Drop_column_and_table_are_hidden_from_the_new_version_and_kept_for_the_old_until_complete()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - drop_column: { table: users, column: nickname, down: "'from new'" }
              - drop_table: { name: legacy }
            """);

        await NewExecuteAsync(op, "INSERT INTO users (id, email) VALUES (5001, 'new@example.com')");
        await op.HoldsAsync("SELECT nickname = 'from new' FROM users WHERE id = 5001");
        Assert.Equal("42703", (await Assert.ThrowsAsync<PostgresException>(() => NewScalarAsync<string>(op, "SELECT nickname FROM users LIMIT 1"))).SqlState);
        // legacy is not in the version schema: the name falls through to public, where old code still has it.
        await op.HoldsAsync($"SELECT to_regclass('{NewVersion}.legacy') IS NULL AND to_regclass('public.legacy') IS NOT NULL");

        await op.RollbackAsync();
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT to_regclass('public.legacy') IS NULL");
        await op.HoldsAsync("SELECT NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'nickname' AND NOT attisdropped)");
    }

    [Fact]
    public async Task Alter_column_type_keeps_both_versions_in_sync_and_swaps_without_a_rewrite_at_complete()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - alter_column: { table: users, column: score, type: bigint }
            """);

        // The backfill converted every existing row; old code writes integers, new code bigints, and each sees the other's.
        await op.HoldsAsync("SELECT count(*) = 0 FROM users WHERE _stepwise_new_score IS DISTINCT FROM score::bigint");
        await op.ExecuteAsync("INSERT INTO users (id, email, score) VALUES (5001, 'old@example.com', 7)");
        await NewExecuteAsync(op, "INSERT INTO users (id, email, score) VALUES (5002, 'new@example.com', 8)");
        Assert.Equal("bigint", await NewScalarAsync<string>(op, "SELECT pg_typeof(score)::text FROM users WHERE id = 5001"));
        Assert.Equal(7L, await NewScalarAsync<long>(op, "SELECT score FROM users WHERE id = 5001"));
        await op.HoldsAsync("SELECT score = 8 AND pg_typeof(score) = 'integer'::regtype FROM users WHERE id = 5002");
        await NewExecuteAsync(op, "UPDATE users SET score = 80 WHERE id = 5002");
        await op.ExecuteAsync("UPDATE users SET score = 70 WHERE id = 5001");
        Assert.Equal(70L, await NewScalarAsync<long>(op, "SELECT score FROM users WHERE id = 5001"));
        await op.HoldsAsync("SELECT score = 80 FROM users WHERE id = 5002");
        // The default (0) and the check (score >= 0) still apply to the old column; the new version gets the default too.
        Assert.Equal(0L, await NewScalarAsync<long>(op, "INSERT INTO users (id, email) VALUES (5003, 'd@example.com') RETURNING score"));
        await op.RefusedAsync("INSERT INTO users (id, email, score) VALUES (5004, 'n@example.com', -1)", "23514");

        await op.RollbackAsync();
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT format_type(atttypid, atttypmod) = 'bigint' FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'score'");
        await op.HoldsAsync("SELECT pg_get_expr(adbin, adrelid) = '0' FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE a.attrelid = 'users'::regclass AND a.attname = 'score'");
        await op.HoldsAsync("SELECT convalidated FROM pg_constraint WHERE conname = 'users_score_check'");
        await op.RefusedAsync("INSERT INTO users (id, email, score) VALUES (5005, 'n@example.com', -1)", "23514");
        await op.HoldsAsync("SELECT score = 70 FROM users WHERE id = 5001");
        Assert.Equal(80L, await NewScalarAsync<long>(op, "SELECT score FROM users WHERE id = 5002"));
    }

    [Fact]
    public async Task Alter_column_type_with_default_not_null_comment_unique_and_check_at_once_fixes_rows_for_the_new_version_only()
    {
        // pgroll's example 35 in our own table: every alter_column field at once on a column old code leaves NULL.
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - alter_column:
                  table: users
                  column: nickname
                  type: varchar(64)
                  default: "'unknown'"
                  nullable: false
                  comment: the name shown to others
                  unique: { name: users_nickname_unique }
                  check: { name: users_nickname_length, constraint: length(nickname) > 3 }
                  up: CASE WHEN nickname IS NULL OR length(nickname) <= 3 THEN 'placeholder-' || id ELSE nickname END
                  down: nickname
            """);

        Assert.Equal("placeholder-7", await NewScalarAsync<string>(op, "SELECT nickname FROM users WHERE id = 7"));
        await op.HoldsAsync("SELECT nickname IS NULL FROM users WHERE id = 7");
        await op.ExecuteAsync("INSERT INTO users (id, email) VALUES (5001, 'old@example.com')");
        Assert.Equal("placeholder-5001", await NewScalarAsync<string>(op, "SELECT nickname FROM users WHERE id = 5001"));
        Assert.Equal("unknown", await NewScalarAsync<string>(op, "INSERT INTO users (id, email) VALUES (5002, 'new@example.com') RETURNING nickname"));
        await NewExecuteAsync(op, "UPDATE users SET nickname = 'newname' WHERE id = 5002");
        await op.HoldsAsync("SELECT nickname = 'newname' FROM users WHERE id = 5002");

        await op.RollbackAsync();
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT format_type(atttypid, atttypmod) = 'character varying(64)' AND attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'nickname'");
        await op.HoldsAsync("SELECT col_description('users'::regclass, attnum) = 'the name shown to others' FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'nickname'");
        await op.HoldsAsync("SELECT count(*) = 2 FROM pg_constraint WHERE conrelid = 'users'::regclass AND conname IN ('users_nickname_unique', 'users_nickname_length') AND convalidated");
        await op.HoldsAsync("SELECT nickname = 'placeholder-7' FROM users WHERE id = 7");
        await op.RefusedAsync("INSERT INTO users (id, email, nickname) VALUES (5003, 'a@example.com', 'abc')", "23514");
        await op.RefusedAsync("INSERT INTO users (id, email, nickname) VALUES (5004, 'b@example.com', 'placeholder-7')", "23505");
        await op.HoldsAsync("SELECT nickname = 'newname' FROM users WHERE id = 5002");
    }

    [Fact]
    public async Task Alter_column_type_and_name_at_once_converts_both_ways_under_each_versions_name()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - alter_column: { table: users, column: nickname, type: varchar(40), name: handle, up: "left(nickname, 40)" }
            """);

        await op.ExecuteAsync("INSERT INTO users (id, email, nickname) VALUES (5001, 'old@example.com', repeat('x', 50))");
        await NewExecuteAsync(op, "INSERT INTO users (id, email, handle) VALUES (5002, 'new@example.com', 'short')");
        Assert.Equal(new string('x', 40), await NewScalarAsync<string>(op, "SELECT handle FROM users WHERE id = 5001"));
        await op.HoldsAsync("SELECT nickname = 'short' FROM users WHERE id = 5002");

        await op.RollbackAsync();
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT format_type(atttypid, atttypmod) = 'character varying(40)' FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'handle'");
    }

    [Fact]
    public async Task Alter_column_type_of_a_foreign_key_column_carries_the_key_and_its_index()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_base.sql", OperationPhases.Base + "ALTER TABLE teams ALTER COLUMN id TYPE integer;\nALTER TABLE users ADD CONSTRAINT users_team_fkey FOREIGN KEY (team_id) REFERENCES teams (id);\n")
            .Write("2_op.yaml", "operations:\n  - alter_column: { table: users, column: team_id, type: integer }\n").WriteSum();
        await ws.Migrator().ApplyAsync(new ApplyRequest { ToVersion = 1 });
        var before = await CatalogReader.ReadWithHelpersAsync(ws.ConnectionString);

        await ws.Migrator().ApplyAsync(new ApplyRequest());
        Assert.Equal("23503", (await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(ws, NewVersion, "INSERT INTO users (id, email, team_id) VALUES (5001, 'x@example.com', 99)"))).SqlState);
        await ExecuteAsync(ws, NewVersion, "INSERT INTO users (id, email, team_id) VALUES (5001, 'x@example.com', 3)");
        Assert.Equal(3, await ws.ScalarAsync<long>("SELECT team_id FROM users WHERE id = 5001"));
        await ws.Migrator().RollbackAsync();
        Assert.Equal([], SchemaDiff.Compare(before, await CatalogReader.ReadWithHelpersAsync(ws.ConnectionString)).Select(c => c.ToString()));

        await ws.Migrator().ApplyAsync(new ApplyRequest { Complete = true });

        var after = await CatalogReader.ReadAsync(ws.ConnectionString);
        var users = after.Tables.Single(t => t.Name == "users");
        Assert.Equal("integer", users.Columns.Single(c => c.Name == "team_id").Type);
        Assert.Equal("FOREIGN KEY (team_id) REFERENCES teams(id)", users.Constraints.Single(k => k.Name == "users_team_fkey").Definition);
        Assert.True(users.Constraints.Single(k => k.Name == "users_team_fkey").Validated);
        Assert.Equal("CREATE INDEX users_team_idx ON public.users USING btree (team_id)", after.Indexes.Single(i => i.Name == "users_team_idx").Definition);
        // The copy took the column's place at the end of the row: SELECT * lists it last from now on.
        Assert.Equal(["id", "email", "nickname", "score", "team_id"], users.Columns.Select(c => c.Name));
    }

    [Fact]
    public async Task A_type_change_whose_backfill_fails_resumes_after_the_last_batch_once_the_data_is_fixed()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_base.sql", OperationPhases.Base + "UPDATE users SET nickname = (id * 10)::text;\nUPDATE users SET nickname = 'ten' WHERE id = 2990;\n")
            .Write("2_op.yaml", "operations:\n  - alter_column: { table: users, column: nickname, type: integer }\n").WriteSum();
        await ws.Migrator().ApplyAsync(new ApplyRequest { ToVersion = 1 });

        await Assert.ThrowsAsync<MigrationFailedException>(() => ws.Migrator(o => o.Backfill = new() { InitialBatchSize = 100, MinBatchSize = 100, MaxBatchSize = 100 })
            .ApplyAsync(new ApplyRequest()));
        var stopped = (await ws.Migrator().StatusAsync()).Entries.Single(e => e.Version == 2);
        Assert.Equal(MigrationState.InProgress, stopped.State);
        var filled = await ws.ScalarAsync<long>("SELECT count(_stepwise_new_nickname) FROM users");
        // The batches before the bad row committed, the failing one did not: the copy walks the heap in ranges of pages,
        // six passes each, whose first pass is a batch (100 rows, 5/16 of the range), so the bad row's range, and the
        // passes after it, are left.
        Assert.InRange(filled, 2000, 2989);
        await ws.ExecuteAsync("UPDATE users SET nickname = '10' WHERE id = 2990"); // as old code would: the trigger converts it
        await ws.Migrator().ApplyAsync(new ApplyRequest());

        Assert.Equal(MigrationState.Started, (await ws.Migrator().StatusAsync()).Entries.Single(e => e.Version == 2).State);
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM users WHERE _stepwise_new_nickname IS DISTINCT FROM nickname::integer"));
        await ws.Migrator().CompleteAsync();
        Assert.Equal(10, await ws.ScalarAsync<int>("SELECT nickname FROM users WHERE id = 2990"));
        Assert.Equal(29890, await ws.ScalarAsync<int>("SELECT nickname FROM users WHERE id = 2989"));
    }

    [Fact]
    public async Task A_type_change_copy_walks_the_heap_and_ends_exact_while_old_and_new_code_insert_twice_as_fast_as_it()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_base.sql", """
                -- stepwise:up
                CREATE TABLE readings (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, sensor int NOT NULL, value integer NOT NULL);
                INSERT INTO readings (sensor, value) SELECT g % 40, g FROM generate_series(1, 4000) g;
                """)
            .Write("2_op.yaml", "operations:\n  - alter_column: { table: readings, column: value, type: bigint }\n").WriteSum();
        await ws.Migrator().ApplyAsync(new ApplyRequest { ToVersion = 1 });
        using var stop = new CancellationTokenSource();
        long inserted = 0, insertedByNew = 0;
        // Three old clients insert and rewrite old rows (the sync trigger fills the copy); once the version schema is
        // there, a new client inserts through it (the trigger fills the old column).
        var writers = Enumerable.Range(0, 4).Select(i => Task.Run(async () =>
        {
            var isNew = i == 3;
            while (isNew && !stop.IsCancellationRequested && !await ws.ScalarAsync<bool>($"SELECT to_regclass('{NewVersion}.readings') IS NOT NULL"))
            {
                await Task.Delay(20);
            }
            await using var connection = isNew ? Connect(ws, NewVersion) : new NpgsqlConnection(ws.ConnectionString);
            await connection.OpenAsync();
            for (var next = 40_000_000L; !stop.IsCancellationRequested; next += 200)
            {
                await using var write = new NpgsqlCommand(isNew
                    ? $"INSERT INTO readings (id, sensor, value) SELECT {next} + g, g % 40, g FROM generate_series(1, 200) g"
                    : $"INSERT INTO readings (sensor, value) SELECT g % 40, g FROM generate_series(1, 200) g; UPDATE readings SET value = value + 1 WHERE id BETWEEN {1 + Random.Shared.Next(3950)} AND {50 + Random.Shared.Next(3950)}", connection);
                try
                {
                    await write.ExecuteNonQueryAsync();
                    Interlocked.Add(ref isNew ? ref insertedByNew : ref inserted, 200);
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DeadlockDetected)
                {
                    // an old client's rewrite and a batch locked the same rows in other orders: the client's transaction was the one given up
                }
            }
        })).ToList();
        await BackfillTable.WaitUntilAsync(() => Interlocked.Read(ref inserted) >= 2_000, "the old clients got going");
        // What the old clients had inserted at the backfill's first and last batch (the start's other steps run before it).
        long insertedAtFirst = -1, rowsAtFirst = 0, insertedAtLast = 0, rowsAtLast = 0;
        var backfill = new BackfillOptions
        {
            InitialBatchSize = 200, MinBatchSize = 200, MaxBatchSize = 200, MaxRowsPerSecond = 1_000,
            OnProgress = p =>
            {
                if (insertedAtFirst < 0)
                {
                    (insertedAtFirst, rowsAtFirst) = (Interlocked.Read(ref inserted), p.RowsDone);
                }
                (insertedAtLast, rowsAtLast) = (Interlocked.Read(ref inserted), p.RowsDone);
            },
        };

        await ws.Migrator(o => o.Backfill = backfill).ApplyAsync(new ApplyRequest()).WaitAsync(TimeSpan.FromMinutes(2));
        await BackfillTable.WaitUntilAsync(() => Interlocked.Read(ref insertedByNew) >= 1_000, "the new client wrote through the version schema");
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        var backfilled = await ws.ScalarAsync<long>("SELECT rows_done FROM stepwise.backfills WHERE version = 2");
        Assert.Equal("heap", await ws.ScalarAsync<string>("SELECT walk FROM stepwise.backfills WHERE version = 2"));
        Assert.Equal(rowsAtLast, backfilled);
        // Only rows there at its first batch (the base's and what the clients had inserted, a statement each in flight at most).
        Assert.InRange(backfilled, 1, 4_000 + insertedAtFirst + 3 * 200);
        Assert.True(insertedAtLast - insertedAtFirst >= 2 * (rowsAtLast - rowsAtFirst),
            $"{insertedAtLast - insertedAtFirst} rows inserted while {rowsAtLast - rowsAtFirst} were backfilled");
        Assert.True(await ws.ScalarAsync<long>("SELECT count(*) FROM readings WHERE id >= 40000000") >= 1_000, "the new version wrote rows");
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM readings WHERE _stepwise_new_value IS DISTINCT FROM value::bigint"));
        await ws.Migrator().CompleteAsync();
        Assert.Equal("bigint", await ws.ScalarAsync<string>("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'readings'::regclass AND attname = 'value'"));
    }

    [Fact]
    public async Task The_copys_backfill_computes_up_once_per_row_and_old_writers_still_get_it_from_the_sync_trigger()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        // up counts its calls: once per row by the backfill's update; the sync trigger would have called it a second time.
        ws.Write("1_base.sql", """
                -- stepwise:up
                CREATE SEQUENCE up_calls;
                CREATE TABLE readings (id bigint PRIMARY KEY, sensor int NOT NULL, value integer NOT NULL);
                INSERT INTO readings SELECT g, g % 40, g FROM generate_series(1, 3000) g;
                """)
            .Write("2_op.yaml", """
                operations:
                  - alter_column: { table: readings, column: value, type: bigint, up: "value::bigint + 0 * nextval('up_calls')", down: "value::integer" }
                """).WriteSum();
        await ws.Migrator().ApplyAsync(new ApplyRequest { ToVersion = 1 });

        await ws.Migrator(o => o.Backfill = new BackfillOptions { InitialBatchSize = 500, MinBatchSize = 500, MaxBatchSize = 500 }).ApplyAsync(new ApplyRequest());

        Assert.Equal(3_000L, await ws.ScalarAsync<long>("SELECT last_value FROM up_calls"));
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM readings WHERE _stepwise_new_value IS DISTINCT FROM value::bigint"));
        // An old writer's update, and one in a transaction that names the table as a backfill's would but is not one
        // (a trigger's own update, at depth 1), still go through the trigger.
        await ws.ExecuteAsync("UPDATE readings SET value = value + 1 WHERE id <= 10");
        await ws.ExecuteAsync("""
            CREATE TABLE pokes (id bigint);
            CREATE FUNCTION poke() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN UPDATE readings SET value = value + 1 WHERE id = NEW.id; RETURN NEW; END$$;
            CREATE TRIGGER poke AFTER INSERT ON pokes FOR EACH ROW EXECUTE FUNCTION poke();
            BEGIN;
            SELECT set_config('stepwise.backfilling', 'public.readings', true);
            INSERT INTO pokes VALUES (20);
            COMMIT;
            """);
        Assert.Equal(3_011L, await ws.ScalarAsync<long>("SELECT last_value FROM up_calls"));
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM readings WHERE _stepwise_new_value IS DISTINCT FROM value::bigint"));
    }

    [Fact]
    public async Task The_next_migrations_complete_drops_the_previous_version_schema()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_base.sql", OperationPhases.Base)
            .Write("2_op.yaml", "operations:\n  - rename_column: { table: users, from: nickname, to: handle }\n")
            .Write("3_next.yaml", "operations:\n  - rename_column: { table: users, from: handle, to: alias }\n").WriteSum();
        await ws.Migrator().ApplyAsync(new ApplyRequest { Complete = true, ToVersion = 2 });
        await ws.Migrator().ApplyAsync(new ApplyRequest());

        Assert.Equal([NewVersion, "public_3_next"], (await ws.Migrator().VersionSchemasAsync()).Select(v => v.Name));
        await ExecuteAsync(ws, NewVersion, "INSERT INTO users (id, email, handle) VALUES (5001, 'a@example.com', 'previous')");
        Assert.Equal("previous", await ScalarAsync<string>(ws, "public_3_next", "SELECT alias FROM users WHERE id = 5001"));
        await ws.Migrator().CompleteAsync();

        Assert.Equal(["public_3_next"], (await ws.Migrator().VersionSchemasAsync()).Select(v => v.Name));
        Assert.Equal("previous", await ws.ScalarAsync<string>("SELECT alias FROM users WHERE id = 5001"));
    }

    [Fact]
    public async Task Dry_run_and_status_show_the_version_schema()
    {
        await using var op = await OperationPhases.StartAsync(fixture, "operations:\n  - rename_column: { table: users, from: nickname, to: handle }\n");

        var (_, output, _) = await op.Workspace.RunCliAsync("status", "--format", "json");
        var schema = Assert.Single(System.Text.Json.JsonDocument.Parse(output).RootElement.GetProperty("versionSchemas").EnumerateArray());
        Assert.Equal((NewVersion, "2_op"), (schema.GetProperty("name").GetString(), schema.GetProperty("migration").GetString()));
        await op.Workspace.Migrator().RollbackAsync();
        var (_, dry, _) = await op.Workspace.RunCliAsync("apply", "--dry-run", "--format", "json");
        Assert.Contains(Strings(System.Text.Json.JsonDocument.Parse(dry).RootElement), t => t.StartsWith(
            $"CREATE VIEW \"{NewVersion}\".\"users\" WITH (security_invoker = true) AS SELECT \"id\", \"email\", \"team_id\", \"nickname\" AS \"handle\"", StringComparison.Ordinal));
    }

    private static IEnumerable<string> Strings(System.Text.Json.JsonElement e) => e.ValueKind switch
    {
        System.Text.Json.JsonValueKind.String => [e.GetString()!],
        System.Text.Json.JsonValueKind.Object => e.EnumerateObject().SelectMany(p => Strings(p.Value)),
        System.Text.Json.JsonValueKind.Array => e.EnumerateArray().SelectMany(Strings),
        _ => [],
    };

    private static Task<T> NewScalarAsync<T>(OperationPhases op, string sql) => ScalarAsync<T>(op.Workspace, NewVersion, sql);

    private static Task NewExecuteAsync(OperationPhases op, string sql) => ExecuteAsync(op.Workspace, NewVersion, sql);

    /// <summary>A connection as the application of <paramref name="version"/> opens it: <c>Search Path=version,public</c>.</summary>
    private static NpgsqlConnection Connect(MigrationWorkspace ws, string version) =>
        new(new NpgsqlConnectionStringBuilder(ws.ConnectionString) { SearchPath = $"{version},public", Pooling = false }.ConnectionString);

    private static async Task<T> ScalarAsync<T>(MigrationWorkspace ws, string version, string sql)
    {
        await using var connection = Connect(ws, version);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(MigrationWorkspace ws, string version, string sql)
    {
        await using var connection = Connect(ws, version);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
