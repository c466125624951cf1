using System.Text;

namespace Stepwise.Sql;

/// <summary>PostgreSQL-style command tags (<c>CREATE INDEX</c>, <c>ALTER TABLE</c>) for parse-tree nodes.</summary>
internal static class CommandTags
{
    private static readonly Dictionary<string, string> s_fixed = new()
    {
        ["CreateStmt"] = "CREATE TABLE",
        ["IndexStmt"] = "CREATE INDEX",
        ["ViewStmt"] = "CREATE VIEW",
        ["CreateSeqStmt"] = "CREATE SEQUENCE",
        ["AlterSeqStmt"] = "ALTER SEQUENCE",
        ["CreateFunctionStmt"] = "CREATE FUNCTION",
        ["AlterFunctionStmt"] = "ALTER FUNCTION",
        ["CreateTrigStmt"] = "CREATE TRIGGER",
        ["CreateSchemaStmt"] = "CREATE SCHEMA",
        ["CreateExtensionStmt"] = "CREATE EXTENSION",
        ["CreateEnumStmt"] = "CREATE TYPE",
        ["CompositeTypeStmt"] = "CREATE TYPE",
        ["CreateDomainStmt"] = "CREATE DOMAIN",
        ["AlterDomainStmt"] = "ALTER DOMAIN",
        ["AlterEnumStmt"] = "ALTER TYPE",
        ["CreateTableAsStmt"] = "CREATE TABLE AS",
        ["RefreshMatViewStmt"] = "REFRESH MATERIALIZED VIEW",
        ["CreatePolicyStmt"] = "CREATE POLICY",
        ["AlterPolicyStmt"] = "ALTER POLICY",
        ["CreateRoleStmt"] = "CREATE ROLE",
        ["GrantStmt"] = "GRANT",
        ["GrantRoleStmt"] = "GRANT",
        ["CommentStmt"] = "COMMENT",
        ["SelectStmt"] = "SELECT",
        ["InsertStmt"] = "INSERT",
        ["UpdateStmt"] = "UPDATE",
        ["DeleteStmt"] = "DELETE",
        ["MergeStmt"] = "MERGE",
        ["TruncateStmt"] = "TRUNCATE TABLE",
        ["CopyStmt"] = "COPY",
        ["DoStmt"] = "DO",
        ["CallStmt"] = "CALL",
        ["LockStmt"] = "LOCK TABLE",
        ["VacuumStmt"] = "VACUUM",
        ["ClusterStmt"] = "CLUSTER",
        ["ReindexStmt"] = "REINDEX",
        ["ExplainStmt"] = "EXPLAIN",
        ["VariableShowStmt"] = "SHOW",
        ["RuleStmt"] = "CREATE RULE",
        ["CreatedbStmt"] = "CREATE DATABASE",
        ["DropdbStmt"] = "DROP DATABASE",
        ["AlterObjectSchemaStmt"] = "ALTER OBJECT SCHEMA",
        ["AlterOwnerStmt"] = "ALTER OWNER",
        ["DefineStmt"] = "CREATE",
        ["NotifyStmt"] = "NOTIFY",
        ["ListenStmt"] = "LISTEN",
    };

    internal static string For(SqlNode node)
    {
        switch (node.Kind)
        {
            case "DropStmt":
                return "DROP " + ObjectWord(node.String("removeType"));
            case "AlterTableStmt":
                return "ALTER " + ObjectWord(node.String("objtype"));
            case "RenameStmt":
                return "ALTER " + ObjectWord(node.String("renameType"));
            case "VariableSetStmt":
                return node.String("kind") is "VAR_RESET" or "VAR_RESET_ALL" ? "RESET" : "SET";
            case "TransactionStmt":
                return (node.String("kind") ?? "TRANS_STMT_BEGIN") switch
                {
                    "TRANS_STMT_BEGIN" => "BEGIN",
                    "TRANS_STMT_START" => "START TRANSACTION",
                    "TRANS_STMT_COMMIT" => "COMMIT",
                    "TRANS_STMT_ROLLBACK" => "ROLLBACK",
                    "TRANS_STMT_SAVEPOINT" => "SAVEPOINT",
                    "TRANS_STMT_RELEASE" => "RELEASE",
                    "TRANS_STMT_ROLLBACK_TO" => "ROLLBACK",
                    "TRANS_STMT_PREPARE" => "PREPARE TRANSACTION",
                    "TRANS_STMT_COMMIT_PREPARED" => "COMMIT PREPARED",
                    "TRANS_STMT_ROLLBACK_PREPARED" => "ROLLBACK PREPARED",
                    var other => other,
                };
            case "CreateTableAsStmt" when node.String("objtype") == "OBJECT_MATVIEW":
                return "CREATE MATERIALIZED VIEW";
            case "VacuumStmt" when !node.Bool("is_vacuumcmd"):
                return "ANALYZE";
            case "ViewStmt" when node.Bool("replace"):
                return "CREATE OR REPLACE VIEW";
        }
        return s_fixed.TryGetValue(node.Kind, out var tag) ? tag : FromKind(node.Kind);
    }

    /// <summary><c>OBJECT_MATVIEW</c> → <c>MATERIALIZED VIEW</c>, <c>OBJECT_TABLE</c> → <c>TABLE</c>.</summary>
    internal static string ObjectWord(string? objectType) => objectType switch
    {
        null => "TABLE",
        "OBJECT_MATVIEW" => "MATERIALIZED VIEW",
        "OBJECT_FOREIGN_TABLE" => "FOREIGN TABLE",
        "OBJECT_TABCONSTRAINT" => "CONSTRAINT",
        "OBJECT_COLUMN" => "COLUMN",
        _ => objectType.StartsWith("OBJECT_", StringComparison.Ordinal) ? objectType[7..].Replace('_', ' ') : objectType,
    };

    /// <summary>Fallback: <c>CreateEventTrigStmt</c> → <c>CREATE EVENT TRIG</c>.</summary>
    private static string FromKind(string kind)
    {
        var name = kind.EndsWith("Stmt", StringComparison.Ordinal) ? kind[..^4] : kind;
        var sb = new StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]) && !char.IsUpper(name[i - 1]))
            {
                sb.Append(' ');
            }
            sb.Append(char.ToUpperInvariant(name[i]));
        }
        return sb.ToString();
    }
}
