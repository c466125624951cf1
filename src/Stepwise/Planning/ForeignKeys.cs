using Npgsql;
using Stepwise.Connections;
using Stepwise.Sql;

namespace Stepwise.Planning;

/// <summary>A foreign key as a database has it.</summary>
/// <param name="Table">The referencing table.</param>
/// <param name="Name">The constraint's name.</param>
/// <param name="Columns">The referencing columns.</param>
/// <param name="Referenced">The referenced table.</param>
public sealed record ForeignKey(RelationName Table, string Name, IReadOnlyList<string> Columns, RelationName Referenced);

/// <summary>
/// The foreign keys of a database, so that locks on tables a statement does not name can be named: dropping a foreign
/// key (by DROP CONSTRAINT, DROP TABLE, DROP COLUMN of one of its columns) or changing a column's type takes ACCESS EXCLUSIVE
/// on the referenced table too (its triggers there are dropped or made again), and validating one takes ROW SHARE there.
/// Names written without a schema are taken to be in <c>public</c>, as the linter does.
/// </summary>
public sealed class ForeignKeys
{
    private readonly ILookup<RelationName, ForeignKey> _byTable;

    /// <summary>The given foreign keys.</summary>
    public ForeignKeys(IEnumerable<ForeignKey> keys) => _byTable = keys.ToLookup(k => Normalize(k.Table));

    /// <summary>None known.</summary>
    public static ForeignKeys None { get; } = new([]);

    /// <summary>The foreign keys of <paramref name="table"/>.</summary>
    public IEnumerable<ForeignKey> Of(RelationName table) => _byTable[Normalize(table)];

    /// <summary>Reads every foreign key outside the system schemas of <paramref name="connectionString"/>'s database.</summary>
    public static async Task<ForeignKeys> LoadAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        await using var connection = DataSources.Connection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT tn.nspname, t.relname, c.conname,
                   ARRAY(SELECT a.attname::text FROM unnest(c.conkey) k JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k),
                   rn.nspname, r.relname
            FROM pg_constraint c
            JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
            JOIN pg_class r ON r.oid = c.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
            WHERE c.contype = 'f' AND tn.nspname NOT IN ('pg_catalog', 'information_schema')
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var keys = new List<ForeignKey>();
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new ForeignKey(new RelationName(reader.GetString(0), reader.GetString(1)), reader.GetString(2),
                reader.GetFieldValue<string[]>(3), new RelationName(reader.GetString(4), reader.GetString(5))));
        }
        return new ForeignKeys(keys);
    }

    private static RelationName Normalize(RelationName relation) => relation with { Schema = relation.Schema ?? "public" };

    /// <summary>
    /// Adds to <paramref name="locks"/> what <paramref name="tree"/> takes on the tables its foreign keys reference. A referenced
    /// table is named as the database has it (<c>public.orgs</c>), except that a table in <c>public</c> is named without a schema
    /// when the statement names its own table so.
    /// </summary>
    internal void AddReferencedLocks(LockSet locks, StatementTree tree)
    {
        var root = tree.Root;
        switch (root.Kind)
        {
            case "AlterTableStmt" when tree.Target is { } table:
                foreach (var command in tree.AlterTableCommands)
                {
                    switch (command.Subtype)
                    {
                        case "AT_DropConstraint":
                            Add(locks, table, LockLevel.AccessExclusive, k => k.Name == command.Name,
                                k => $"ALTER TABLE ... DROP CONSTRAINT {k.Name} (foreign key to this table: its triggers here are dropped)");
                            break;
                        case "AT_ValidateConstraint":
                            Add(locks, table, LockLevel.RowShare, k => k.Name == command.Name,
                                k => $"ALTER TABLE ... VALIDATE CONSTRAINT {k.Name} (foreign key to this table: rows are checked against it)");
                            break;
                        case "AT_DropColumn":
                            Add(locks, table, LockLevel.AccessExclusive, k => command.Name is { } column && k.Columns.Contains(column),
                                k => $"ALTER TABLE ... DROP COLUMN {command.Name} (drops foreign key {k.Name} to this table)");
                            break;
                        case "AT_AlterColumnType":
                            Add(locks, table, LockLevel.AccessExclusive, k => command.Name is { } column && k.Columns.Contains(column),
                                k => $"ALTER TABLE ... ALTER COLUMN {command.Name} TYPE (rebuilds foreign key {k.Name} to this table)");
                            break;
                    }
                }
                break;
            case "DropStmt" when root.String("removeType") == "OBJECT_TABLE":
                foreach (var names in root.Nodes("objects").Select(o => o.Names("items")).Where(n => n.Count > 0))
                {
                    var dropped = new RelationName(names.Count >= 2 ? names[^2] : null, names[^1]);
                    Add(locks, dropped, LockLevel.AccessExclusive, _ => true, k => $"DROP TABLE {dropped} (drops its foreign key {k.Name} to this table)");
                }
                break;
        }
    }

    private void Add(LockSet locks, RelationName table, LockLevel level, Func<ForeignKey, bool> which, Func<ForeignKey, string> reason)
    {
        foreach (var key in Of(table).Where(which))
        {
            var referenced = table.Schema is null && key.Referenced.Schema == "public" ? key.Referenced with { Schema = null } : key.Referenced;
            if (Normalize(referenced) != Normalize(table))
            {
                locks.Add(level, referenced, reason(key));
            }
        }
    }
}
