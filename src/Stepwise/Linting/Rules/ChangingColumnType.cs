using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>ALTER COLUMN ... TYPE rewrites the table and its indexes under ACCESS EXCLUSIVE, except for a few binary-compatible widenings.</summary>
public sealed class ChangingColumnType : LintRule
{
    /// <summary>Time zones with a fixed offset of zero: with one of them as the session TimeZone, timestamp and timestamptz convert without a rewrite.</summary>
    private static readonly HashSet<string> s_utcZones = new(StringComparer.OrdinalIgnoreCase)
    {
        "UTC", "Etc/UTC", "UCT", "Etc/UCT", "GMT", "Etc/GMT", "GMT0", "Etc/GMT0", "GMT+0", "GMT-0", "Etc/GMT+0", "Etc/GMT-0",
        "Greenwich", "Etc/Greenwich", "Universal", "Etc/Universal", "Zulu", "Etc/Zulu", "UTC0", "0",
    };

    private enum Change
    {
        NoRewrite,
        NoRewriteInUtc,
        Rewrite,
    }

    /// <inheritdoc />
    public override string Id => "changing-column-type";

    /// <inheritdoc />
    public override string Title => "Changing a column's type rewrites the table";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.AccessExclusive;

    /// <inheritdoc />
    public override string Why =>
        "ALTER COLUMN ... TYPE converts every value: PostgreSQL rewrites the whole table and rebuilds all its indexes while holding ACCESS "
        + "EXCLUSIVE, so every read and write of the table waits until it is done, minutes or hours on a big table. A few changes are "
        + "binary-compatible and skip the rewrite: varchar(n) to a longer varchar, to varchar or to text; text to varchar without a limit; "
        + "numeric(p,s) to a larger precision with the same scale, or to numeric; varbit(n) to a longer varbit or to varbit; cidr to inet; and "
        + "timestamp to timestamptz (or back) when the session TimeZone is UTC, which still rebuilds the column's indexes. The new type also "
        + "reaches the old application version, which keeps running while a migration applies and may fail to read or write it. This rule "
        + "does not drop to info on small tables: the old version breaks whatever the size.";

    /// <inheritdoc />
    public override string Fix =>
        "Expand and contract: add a column of the new type, keep it in step with the old one (a trigger, or the application writing both), "
        + "backfill it in batches, move readers to it, and drop the old column once no deployed version uses it. To tighten a limit, add a "
        + "CHECK constraint NOT VALID and VALIDATE it separately instead. For timestamp to timestamptz, SET timezone = 'UTC' first.";

    /// <inheritdoc />
    public override string FixExample =>
        "ALTER TABLE workflow_runs ADD COLUMN state_v2 bigint;\n"
        + "-- a trigger keeps state_v2 = state on every write; then, batch by batch:\n"
        + "UPDATE workflow_runs SET state_v2 = state WHERE id BETWEEN 1 AND 10000;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        // ALTER FOREIGN TABLE stores nothing to rewrite; ALTER TYPE ... ALTER ATTRIBUTE is no table.
        if (statement.Tree.Root.String("objtype") != "OBJECT_TABLE" || statement.Tree.Target is not { } table || context.IsCreatedInFile(table))
        {
            return;
        }
        foreach (var command in statement.Tree.AlterTableCommands.Where(c => c.Subtype == "AT_AlterColumnType"))
        {
            if (command.Name is { } column && ColumnType.OfColumn(command.Definition) is { } to)
            {
                Check(statement, context, table, column, to, command.Definition);
            }
        }
    }

    private static void Check(LintStatement statement, LintContext context, RelationName table, string column, ColumnType to, SqlNode definition)
    {
        var history = ColumnHistory.Of(context, table, column);
        var from = history?.Type;
        var plainUsing = IsPlainColumn(definition.Node("raw_default"), column, to);
        var what = $"ALTER TABLE ... ALTER COLUMN {column} TYPE {to}{(plainUsing ? "" : " USING ...")}{(from is null ? "" : $" (from {from})")}";
        var level = HeldLocks.On(statement.Tree, table);
        var blocked = HeldLocks.Blocked(level, table);
        var rewrite = $"rewrites {table} and rebuilds its indexes under {level.ToSql()}: {blocked} are blocked {HeldLocks.Until(statement, "the rewrite ends")}";
        var rebuild = $"every index on {column} is rebuilt under {level.ToSql()}: {blocked} are blocked {HeldLocks.Until(statement, "the rebuild ends")}";
        // A column this file added is unknown to the version deployed before it.
        var oldVersions = history is { AddedInFile: true } ? "" : "; old application instances still running while the migration applies may not handle the new type";

        if (!plainUsing)
        {
            context.Report(statement, $"{what} {rewrite}: USING computes every value anew{oldVersions}", table);
            return;
        }
        if (from is null)
        {
            if (OldTypesWithoutRewrite(to) is { } hint)
            {
                context.Report(statement,
                    $"{what}: Stepwise could not see the old type of {column} (no CREATE TABLE or ADD COLUMN of it earlier in this file); "
                    + $"unless the old type is {hint}, this {rewrite}{oldVersions}",
                    table, LintSeverity.Warning);
            }
            else
            {
                context.Report(statement,
                    $"{what} {rewrite}{oldVersions}. Stepwise could not see the old type of {column}, but no change to {to} is one that skips "
                    + "the rewrite (those widen varchar, numeric or varbit, or go from varchar to text, cidr to inet, timestamp to timestamptz)",
                    table);
            }
            return;
        }
        switch (Classify(from, to))
        {
            case Change.Rewrite:
                context.Report(statement, $"{what} {rewrite}{oldVersions}", table);
                break;
            case Change.NoRewriteInUtc when SessionIsUtc(statement, context):
                context.Report(statement,
                    $"{what} needs no table rewrite because the session TimeZone is UTC, but {rebuild}",
                    table, LintSeverity.Info);
                break;
            case Change.NoRewriteInUtc:
                context.Report(statement,
                    $"{what} {rewrite}, unless the session TimeZone is UTC, which Stepwise cannot see (SET timezone = 'UTC' earlier in the file shows it); "
                    + $"either way every index on {column} is rebuilt{oldVersions}",
                    table, LintSeverity.Warning);
                break;
            case Change.NoRewrite when !definition.Node("collClause", "CollateClause").IsMissing:
                context.Report(statement,
                    $"{what} COLLATE ... needs no table rewrite, but if the collation changes {rebuild}",
                    table, LintSeverity.Warning);
                break;
        }
    }

    /// <summary>Whether <paramref name="from"/> to <paramref name="to"/> rewrites the table (PostgreSQL 15, checked against relfilenode).</summary>
    private static Change Classify(ColumnType from, ColumnType to)
    {
        if (from.Equals(to))
        {
            return Change.NoRewrite;
        }
        // Arrays always go through an element-by-element conversion, even varchar[] to text[].
        if (!from.IsBuiltIn || !to.IsBuiltIn || from.IsArray || to.IsArray)
        {
            return Change.Rewrite;
        }
        var unlimited = to.Modifiers.Count == 0;
        return (from.Name, to.Name) switch
        {
            ("varchar" or "text", "text") => Change.NoRewrite,
            ("varchar" or "text", "varchar") when unlimited => Change.NoRewrite,
            ("varchar", "varchar") or ("varbit", "varbit") when from.IntModifier(0) <= to.IntModifier(0) => Change.NoRewrite,
            ("varbit", "varbit") when unlimited => Change.NoRewrite,
            ("numeric", "numeric") when unlimited => Change.NoRewrite,
            ("numeric", "numeric") when from.IntModifier(0) <= to.IntModifier(0) && Scale(from) == Scale(to) => Change.NoRewrite,
            ("cidr", "inet") => Change.NoRewrite,
            // A precision below the maximum (6) rounds every value: a rewrite whatever the time zone.
            ("timestamp", "timestamptz") or ("timestamptz", "timestamp") when unlimited || to.IntModifier(0) >= 6 => Change.NoRewriteInUtc,
            _ => Change.Rewrite,
        };
    }

    /// <summary>Without the old type: the old types from which a change to <paramref name="to"/> skips the rewrite, in words; null when there are none.</summary>
    private static string? OldTypesWithoutRewrite(ColumnType to)
    {
        if (!to.IsBuiltIn || to.IsArray)
        {
            return null;
        }
        var limit = to.IntModifier(0);
        return to.Name switch
        {
            "text" => "varchar or text",
            "varchar" => limit is null ? "varchar or text" : $"varchar of at most {limit} characters",
            "numeric" => limit is null ? "numeric" : $"numeric with a precision of at most {limit} and a scale of {Scale(to)}",
            "varbit" => limit is null ? "varbit" : $"varbit of at most {limit} bits",
            "inet" => "cidr",
            "timestamptz" when limit is null or >= 6 => "timestamp and the session TimeZone is UTC",
            "timestamp" when limit is null or >= 6 => "timestamptz and the session TimeZone is UTC",
            _ => null,
        };
    }

    /// <summary>numeric(p) means numeric(p,0).</summary>
    private static int? Scale(ColumnType numeric) => numeric.Modifiers.Count switch
    {
        0 => null,
        1 => 0,
        _ => numeric.IntModifier(1),
    };

    /// <summary>True when USING is absent or just the column (cast to the new type): PostgreSQL then converts as it would without USING.</summary>
    private static bool IsPlainColumn(SqlNode expression, string column, ColumnType to) => expression.IsMissing || expression.Kind switch
    {
        "ColumnRef" => expression.Names("fields") is [var name] && name == column,
        "TypeCast" => to.Equals(ColumnType.From(expression.Node("typeName", "TypeName"))) && IsPlainColumn(expression.Node("arg"), column, to),
        _ => false,
    };

    /// <summary>True when an earlier statement set the session TimeZone to UTC and nothing reset it since.</summary>
    private static bool SessionIsUtc(LintStatement statement, LintContext context)
    {
        var utc = false;
        foreach (var earlier in context.EarlierOfKind("VariableSetStmt"))
        {
            var set = earlier.Tree.Root;
            if (set.Kind != "VariableSetStmt" || (set.String("name") is { } name && name != "timezone"))
            {
                continue;
            }
            // SET LOCAL ends with its transaction.
            if (set.Bool("is_local") && earlier.TransactionGroup != statement.TransactionGroup)
            {
                continue;
            }
            utc = set.String("kind") == "VAR_SET_VALUE" && set.Nodes("args").FirstOrDefault() is { Kind: "A_Const" } value && s_utcZones.Contains(ZoneText(value));
        }
        return utc;
    }

    private static string ZoneText(SqlNode constant) =>
        constant.Node("sval", "String") is { IsMissing: false } text ? text.String("sval") ?? ""
        : constant.Node("ival", "Integer") is { IsMissing: false } number ? number.Int("ival").ToString(System.Globalization.CultureInfo.InvariantCulture)
        : "";
}
