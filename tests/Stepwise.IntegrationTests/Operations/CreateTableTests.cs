namespace Stepwise.IntegrationTests.Operations;

/// <summary><c>create_table</c> through start, rollback and complete.</summary>
[Collection(OperationsCollection.Name)]
public class CreateTableTests(PostgresFixture fixture)
{
    [Fact]
    public async Task A_table_with_keys_checks_identity_and_a_foreign_key_exists_from_start_and_rollback_drops_it()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - create_table:
                  name: projects
                  comment: work
                  columns:
                    - { name: id, type: bigint, pk: true, generated: { identity: { user_specified_values: BY DEFAULT } } }
                    - { name: team_id, type: bigint, references: { name: projects_team_fkey, table: teams, column: id, on_delete: CASCADE } }
                    - { name: slug, type: "varchar(40)", unique: true, check: { name: slug_not_empty, constraint: "slug <> ''" } }
                    - { name: budget, type: "numeric(10,2)", nullable: true }
                    - { name: note, type: text, nullable: true, comment: free text }
            """);

        await op.ExecuteAsync("INSERT INTO projects (team_id, slug) VALUES (1, 'alpha')");
        await op.HoldsAsync("SELECT id = 1 FROM projects WHERE slug = 'alpha'");
        await op.RefusedAsync("INSERT INTO projects (team_id, slug) VALUES (1, '')", "23514");
        await op.RefusedAsync("INSERT INTO projects (team_id, slug) VALUES (99, 'beta')", "23503");
        await op.RefusedAsync("INSERT INTO projects (slug) VALUES ('gamma')", "23502");
        await op.HoldsAsync("SELECT format_type(atttypid, atttypmod) = 'numeric(10,2)' FROM pg_attribute WHERE attrelid = 'projects'::regclass AND attname = 'budget'");
        await op.HoldsAsync("SELECT obj_description('projects'::regclass) = 'work'");

        await op.RollbackAsync();
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT count(*) = 4 FROM pg_constraint WHERE conrelid = 'projects'::regclass AND contype IN ('p', 'f', 'u', 'c')");
        await op.ExecuteAsync("INSERT INTO projects (team_id, slug) VALUES (2, 'delta')");
        await op.ExecuteAsync("DELETE FROM teams WHERE id = 2");
        await op.HoldsAsync("SELECT NOT EXISTS (SELECT 1 FROM projects WHERE slug = 'delta')");
    }

    [Fact]
    public async Task An_exclusion_constraint_and_index_parameters_of_table_constraints_hold_from_start()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - create_table:
                  name: loans
                  columns: [{ name: id, type: serial }, { name: book, type: text, nullable: true }, { name: reader, type: text }, { name: phone, type: text }]
                  constraints:
                    - { name: loans_pk, type: primary_key, columns: [id], index_parameters: { storage_parameters: fillfactor=90 } }
                    - { name: loans_phone_key, type: unique, columns: [phone], index_parameters: { include_columns: [reader], tablespace: pg_default } }
                    - { name: loans_one_per_book, type: exclude, exclude: { index_method: btree, elements: book WITH =, predicate: book IS NOT NULL } }
            """);

        await op.ExecuteAsync("INSERT INTO loans (book, reader, phone) VALUES ('Emma', 'ann', '1'), (NULL, 'bob', '2'), (NULL, 'cy', '3')");
        await op.RefusedAsync("INSERT INTO loans (book, reader, phone) VALUES ('Emma', 'dee', '4')", "23P01");
        await op.HoldsAsync("SELECT pg_get_indexdef('loans_phone_key'::regclass) LIKE '%(phone) INCLUDE (reader)' AND pg_get_indexdef('loans_pk'::regclass) LIKE '%fillfactor%90%'");

        await op.RollbackAsync();
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT contype = 'x' FROM pg_constraint WHERE conname = 'loans_one_per_book'");
    }
}
