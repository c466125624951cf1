namespace Stepwise.IntegrationTests.Operations;

/// <summary><c>create_index</c> through start, rollback and complete.</summary>
[Collection(OperationsCollection.Name)]
public class CreateIndexTests(PostgresFixture fixture)
{
    [Fact]
    public async Task Built_in_operator_classes_written_unqualified_are_found_as_postgresql_finds_them()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - create_table: { name: docs, columns: [{ name: id, type: bigint, pk: true }, { name: body, type: tsvector, nullable: true }] }
              - create_index: { name: users_email_prefix_idx, table: users, columns: { email: { opclass: text_pattern_ops } } }
              - create_index: { name: users_id_score_idx, table: users, columns: [{ column: id, opclass: { name: int8_ops } }, { column: score, opclass: pg_catalog.int4_ops, sort: DESC }] }
              - create_index: { name: docs_body_idx, table: docs, method: gist, columns: { body: { opclass: { name: tsvector_ops, params: [siglen=100] } } } }
            """);

        await op.HoldsAsync("""
            SELECT array_agg(n.nspname || '.' || c.opcname ORDER BY c.opcname) = ARRAY['pg_catalog.int4_ops', 'pg_catalog.int8_ops', 'pg_catalog.text_pattern_ops', 'pg_catalog.tsvector_ops']
            FROM pg_index i CROSS JOIN LATERAL unnest(i.indclass) AS k(opclass) JOIN pg_opclass c ON c.oid = k.opclass JOIN pg_namespace n ON n.oid = c.opcnamespace
            WHERE i.indexrelid IN ('users_email_prefix_idx'::regclass, 'users_id_score_idx'::regclass, 'docs_body_idx'::regclass)
            """);
        await op.HoldsAsync("SELECT pg_get_indexdef('docs_body_idx'::regclass) LIKE '%tsvector_ops (siglen=''100'')%'");
        await op.HoldsAsync("SELECT bool_and(indisvalid) FROM pg_index WHERE indrelid IN ('users'::regclass, 'docs'::regclass)");

        await op.RollbackAsync();
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT to_regclass('users_email_prefix_idx') IS NOT NULL AND to_regclass('docs_body_idx') IS NOT NULL");
    }

    [Fact]
    public async Task A_partial_unique_index_with_include_and_storage_parameters_is_enforced_from_start()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - create_index: { name: users_nick_idx, table: users, unique: true, columns: [nickname], include: [email], storage_parameters: fillfactor=70, predicate: nickname IS NOT NULL }
            """);

        await op.ExecuteAsync("UPDATE users SET nickname = 'ann' WHERE id = 1");
        await op.RefusedAsync("UPDATE users SET nickname = 'ann' WHERE id = 2", "23505");
        await op.HoldsAsync("SELECT reloptions = ARRAY['fillfactor=70'] FROM pg_class WHERE oid = 'users_nick_idx'::regclass");
        await op.ExecuteAsync("UPDATE users SET nickname = NULL WHERE id = 1");

        await op.RollbackAsync();
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT indisunique AND indnkeyatts = 1 AND indnatts = 2 FROM pg_index WHERE indexrelid = 'users_nick_idx'::regclass");
    }
}
