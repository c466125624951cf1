using Stepwise.Sql;

namespace Stepwise.Planning;

/// <summary>
/// ALTER TABLE (and ALTER INDEX, VIEW, MATERIALIZED VIEW, SEQUENCE, FOREIGN TABLE): the lock each
/// sub-command needs, after PostgreSQL 15's <c>AlterTableGetLockLevel</c>. The statement takes the
/// strongest of them, and never less than SHARE UPDATE EXCLUSIVE. Some sub-commands also lock a
/// second table: a foreign key's referenced table, a partition, an inheritance parent.
/// </summary>
internal static class AlterTableLocks
{
    /// <summary>
    /// Storage parameters PostgreSQL changes under SHARE UPDATE EXCLUSIVE (reloptions.c); every other
    /// one, including those an extension defines, needs ACCESS EXCLUSIVE. The <c>toast.</c> prefix does
    /// not matter: PostgreSQL matches the bare name.
    /// </summary>
    private static readonly HashSet<string> s_lightStorageParameters =
    [
        "fillfactor", "parallel_workers", "toast_tuple_target", "vacuum_index_cleanup", "vacuum_truncate",
        "deduplicate_items", "vacuum_cleanup_index_scale_factor", "log_autovacuum_min_duration",
        "autovacuum_enabled", "autovacuum_vacuum_threshold", "autovacuum_vacuum_insert_threshold",
        "autovacuum_analyze_threshold", "autovacuum_vacuum_cost_limit", "autovacuum_freeze_min_age",
        "autovacuum_multixact_freeze_min_age", "autovacuum_freeze_max_age", "autovacuum_multixact_freeze_max_age",
        "autovacuum_freeze_table_age", "autovacuum_multixact_freeze_table_age", "autovacuum_vacuum_cost_delay",
        "autovacuum_vacuum_scale_factor", "autovacuum_vacuum_insert_scale_factor", "autovacuum_analyze_scale_factor",
    ];

    internal static void Add(LockSet locks, StatementTree tree)
    {
        var root = tree.Root;
        var relation = root.Node("relation", "RangeVar");
        // ALTER TYPE ... ADD ATTRIBUTE also parses as ALTER TABLE, but locks no table anyone queries.
        if (relation.IsMissing || root.String("objtype") == "OBJECT_TYPE")
        {
            return;
        }
        var prefix = tree.CommandTag + " ...";
        // Every sub-command needs at least SHARE UPDATE EXCLUSIVE, PostgreSQL's floor for ALTER TABLE.
        foreach (var command in tree.AlterTableCommands)
        {
            var (level, what) = Command(command);
            locks.Add(level, relation, $"{prefix} {what}");
            AddOtherTables(locks, prefix, command);
        }
    }

    private static (LockLevel Level, string What) Command(AlterTableCommand command)
    {
        const LockLevel AccessExclusive = LockLevel.AccessExclusive;
        const LockLevel ShareUpdateExclusive = LockLevel.ShareUpdateExclusive;
        const LockLevel ShareRowExclusive = LockLevel.ShareRowExclusive;
        var definition = command.Definition;
        return command.Subtype switch
        {
            "AT_AddColumn" => (AccessExclusive, "ADD COLUMN"),
            "AT_DropColumn" => (AccessExclusive, "DROP COLUMN (of a foreign key's column: ACCESS EXCLUSIVE on the table it references too)"),
            "AT_ColumnDefault" => (AccessExclusive, definition.IsMissing ? "ALTER COLUMN ... DROP DEFAULT" : "ALTER COLUMN ... SET DEFAULT"),
            "AT_SetNotNull" => (AccessExclusive, "ALTER COLUMN ... SET NOT NULL"),
            "AT_DropNotNull" => (AccessExclusive, "ALTER COLUMN ... DROP NOT NULL"),
            "AT_AlterColumnType" => (AccessExclusive, "ALTER COLUMN ... TYPE (of a foreign key's column: ACCESS EXCLUSIVE on the table it references too)"),
            "AT_DropExpression" => (AccessExclusive, "ALTER COLUMN ... DROP EXPRESSION"),
            "AT_SetStorage" => (AccessExclusive, "ALTER COLUMN ... SET STORAGE"),
            "AT_SetCompression" => (AccessExclusive, "ALTER COLUMN ... SET COMPRESSION"),
            "AT_AddIdentity" => (AccessExclusive, "ALTER COLUMN ... ADD GENERATED AS IDENTITY"),
            "AT_SetIdentity" => (AccessExclusive, "ALTER COLUMN ... SET (identity)"),
            "AT_DropIdentity" => (AccessExclusive, "ALTER COLUMN ... DROP IDENTITY"),
            "AT_AlterColumnGenericOptions" => (AccessExclusive, "ALTER COLUMN ... OPTIONS"),
            "AT_SetStatistics" => (ShareUpdateExclusive, "ALTER COLUMN ... SET STATISTICS"),
            "AT_SetOptions" => (ShareUpdateExclusive, "ALTER COLUMN ... SET (...)"),
            "AT_ResetOptions" => (ShareUpdateExclusive, "ALTER COLUMN ... RESET (...)"),
            "AT_AddConstraint" => AddConstraint(new ConstraintDefinition(definition)),
            "AT_ValidateConstraint" => (ShareUpdateExclusive, "VALIDATE CONSTRAINT (of a foreign key: ROW SHARE on the table it references too)"),
            "AT_AlterConstraint" => (AccessExclusive, "ALTER CONSTRAINT"),
            "AT_DropConstraint" => (AccessExclusive, "DROP CONSTRAINT (of a foreign key: ACCESS EXCLUSIVE on the table it references too)"),
            "AT_SetRelOptions" => (StorageParameters(definition), "SET (" + string.Join(", ", ParameterNames(definition)) + ")"),
            "AT_ResetRelOptions" => (StorageParameters(definition), "RESET (" + string.Join(", ", ParameterNames(definition)) + ")"),
            "AT_ClusterOn" => (ShareUpdateExclusive, "CLUSTER ON"),
            "AT_DropCluster" => (ShareUpdateExclusive, "SET WITHOUT CLUSTER"),
            "AT_SetTableSpace" => (AccessExclusive, "SET TABLESPACE"),
            "AT_SetAccessMethod" => (AccessExclusive, "SET ACCESS METHOD"),
            "AT_SetLogged" => (AccessExclusive, "SET LOGGED"),
            "AT_SetUnLogged" => (AccessExclusive, "SET UNLOGGED"),
            "AT_ChangeOwner" => (AccessExclusive, "OWNER TO"),
            "AT_EnableTrig" or "AT_EnableTrigAll" or "AT_EnableTrigUser" => (ShareRowExclusive, "ENABLE TRIGGER"),
            "AT_EnableAlwaysTrig" => (ShareRowExclusive, "ENABLE ALWAYS TRIGGER"),
            "AT_EnableReplicaTrig" => (ShareRowExclusive, "ENABLE REPLICA TRIGGER"),
            "AT_DisableTrig" or "AT_DisableTrigAll" or "AT_DisableTrigUser" => (ShareRowExclusive, "DISABLE TRIGGER"),
            "AT_EnableRule" => (AccessExclusive, "ENABLE RULE"),
            "AT_EnableAlwaysRule" => (AccessExclusive, "ENABLE ALWAYS RULE"),
            "AT_EnableReplicaRule" => (AccessExclusive, "ENABLE REPLICA RULE"),
            "AT_DisableRule" => (AccessExclusive, "DISABLE RULE"),
            "AT_EnableRowSecurity" => (AccessExclusive, "ENABLE ROW LEVEL SECURITY"),
            "AT_DisableRowSecurity" => (AccessExclusive, "DISABLE ROW LEVEL SECURITY"),
            "AT_ForceRowSecurity" => (AccessExclusive, "FORCE ROW LEVEL SECURITY"),
            "AT_NoForceRowSecurity" => (AccessExclusive, "NO FORCE ROW LEVEL SECURITY"),
            "AT_ReplicaIdentity" => (AccessExclusive, "REPLICA IDENTITY"),
            "AT_AddInherit" => (AccessExclusive, "INHERIT"),
            "AT_DropInherit" => (AccessExclusive, "NO INHERIT"),
            "AT_AddOf" => (AccessExclusive, "OF"),
            "AT_DropOf" => (AccessExclusive, "NOT OF"),
            "AT_GenericOptions" => (AccessExclusive, "OPTIONS"),
            "AT_AttachPartition" => (ShareUpdateExclusive, "ATTACH PARTITION"),
            "AT_DetachPartition" when definition.Bool("concurrent") => (ShareUpdateExclusive, "DETACH PARTITION ... CONCURRENTLY"),
            "AT_DetachPartition" => (AccessExclusive, "DETACH PARTITION"),
            "AT_DetachPartitionFinalize" => (ShareUpdateExclusive, "DETACH PARTITION ... FINALIZE"),
            // Anything newer than PostgreSQL 15 that we do not know: assume the worst.
            var other => (AccessExclusive, other.StartsWith("AT_", StringComparison.Ordinal) ? other[3..] : other),
        };
    }

    private static (LockLevel, string) AddConstraint(ConstraintDefinition constraint)
    {
        var kind = constraint.Type switch
        {
            "CONSTR_FOREIGN" => "FOREIGN KEY",
            "CONSTR_CHECK" => "CHECK",
            "CONSTR_PRIMARY" => "PRIMARY KEY",
            "CONSTR_UNIQUE" => "UNIQUE",
            "CONSTR_EXCLUSION" => "EXCLUDE",
            var other => other.StartsWith("CONSTR_", StringComparison.Ordinal) ? other[7..] : other,
        };
        var what = "ADD CONSTRAINT ... " + kind
            + (constraint.UsingIndex is null ? "" : " USING INDEX")
            + (constraint.SkipValidation ? " NOT VALID" : "");
        // A foreign key adds triggers to both tables: CREATE TRIGGER's level. Everything else is
        // ACCESS EXCLUSIVE, NOT VALID included: NOT VALID only skips the scan.
        return (constraint.Type == "CONSTR_FOREIGN" ? LockLevel.ShareRowExclusive : LockLevel.AccessExclusive, what);
    }

    /// <summary>Locks on tables other than the one altered.</summary>
    private static void AddOtherTables(LockSet locks, string prefix, AlterTableCommand command)
    {
        var definition = command.Definition;
        switch (command.Subtype)
        {
            case "AT_AddConstraint" or "AT_AddColumn":
                // ADD CONSTRAINT ... FOREIGN KEY, or ADD COLUMN ... REFERENCES.
                var what = command.Subtype == "AT_AddColumn" ? "ADD COLUMN ... REFERENCES" : "ADD CONSTRAINT ... FOREIGN KEY";
                IEnumerable<SqlNode> constraints = definition.Kind == "Constraint" ? [definition] : definition.Nodes("constraints");
                foreach (var constraint in constraints)
                {
                    locks.Add(LockLevel.ShareRowExclusive, constraint.Node("pktable", "RangeVar"), $"{prefix} {what} (referenced table)");
                }
                break;
            case "AT_AttachPartition":
                AddPartition(locks, definition, $"{prefix} ATTACH PARTITION (the partition)");
                break;
            case "AT_DetachPartition":
                // CONCURRENTLY: SHARE UPDATE EXCLUSIVE in the first transaction, ACCESS EXCLUSIVE in the second.
                AddPartition(locks, definition, definition.Bool("concurrent")
                    ? $"{prefix} DETACH PARTITION ... CONCURRENTLY (the partition, in its second transaction)"
                    : $"{prefix} DETACH PARTITION (the partition)");
                break;
            case "AT_DetachPartitionFinalize":
                AddPartition(locks, definition, $"{prefix} DETACH PARTITION ... FINALIZE (the partition)");
                break;
            case "AT_AddInherit" when definition.Kind == "RangeVar":
                // Self-exclusive, so two sessions cannot both set the parent's relhassubclass.
                locks.Add(LockLevel.ShareUpdateExclusive, definition, $"{prefix} INHERIT (parent table)");
                break;
            case "AT_DropInherit" when definition.Kind == "RangeVar":
                locks.Add(LockLevel.AccessShare, definition, $"{prefix} NO INHERIT (parent table)");
                break;
        }
    }

    private static void AddPartition(LockSet locks, SqlNode partitionCommand, string reason) =>
        locks.Add(LockLevel.AccessExclusive, partitionCommand.Node("name", "RangeVar"), reason);

    private static LockLevel StorageParameters(SqlNode list)
    {
        var names = ParameterNames(list);
        return names.Count > 0 && names.All(s_lightStorageParameters.Contains) ? LockLevel.ShareUpdateExclusive : LockLevel.AccessExclusive;
    }

    private static List<string> ParameterNames(SqlNode list) =>
        [.. list.Nodes("items").Select(d => d.String("defname")).OfType<string>()];
}
