using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>
/// A constraint an ALTER TABLE adds: by ADD CONSTRAINT, or as a column constraint of ADD COLUMN
/// (then <see cref="NewColumn"/> is the column's <c>ColumnDef</c>). <see cref="Command"/> is the
/// sub-command's position in the statement.
/// </summary>
internal readonly record struct AddedConstraint(ConstraintDefinition Definition, SqlNode NewColumn, int Command)
{
    /// <summary>True for a column constraint of ADD COLUMN.</summary>
    public bool OnNewColumn => !NewColumn.IsMissing;

    /// <summary>
    /// True when the new column has a DEFAULT or a generation expression: then its existing rows get a
    /// value, and PostgreSQL checks them against the column's foreign key (without one they are all
    /// NULL and it skips the check).
    /// </summary>
    public bool NewColumnHasValues =>
        NewColumn.Nodes("constraints").Any(c => c.String("contype") is "CONSTR_DEFAULT" or "CONSTR_GENERATED");

    /// <summary>The clause as written, for messages: <c>ADD CONSTRAINT fk FOREIGN KEY</c>, <c>ADD COLUMN org_id ... REFERENCES</c>.</summary>
    public string Clause
    {
        get
        {
            if (OnNewColumn)
            {
                var keyword = Definition.Type == "CONSTR_FOREIGN" ? "REFERENCES" : Keyword(Definition.Type);
                return $"ADD COLUMN {NewColumn.String("colname")} ... {keyword}";
            }
            return Definition.Name is { } name ? $"ADD CONSTRAINT {name} {Keyword(Definition.Type)}" : $"ADD {Keyword(Definition.Type)}";
        }
    }

    private static string Keyword(string type) => type switch
    {
        "CONSTR_FOREIGN" => "FOREIGN KEY",
        "CONSTR_CHECK" => "CHECK",
        "CONSTR_PRIMARY" => "PRIMARY KEY",
        "CONSTR_UNIQUE" => "UNIQUE",
        "CONSTR_EXCLUSION" => "EXCLUDE",
        _ => type.StartsWith("CONSTR_", StringComparison.Ordinal) ? type[7..] : type,
    };
}

/// <summary>The constraints an ALTER TABLE statement adds to a table.</summary>
internal static class AddedConstraints
{
    /// <summary>
    /// In sub-command order. Only ALTER TABLE on a table: a foreign table's constraints are never
    /// checked against its rows, and other relation kinds cannot have these constraints.
    /// </summary>
    public static IEnumerable<AddedConstraint> In(StatementTree tree)
    {
        if (tree.Root.String("objtype") != "OBJECT_TABLE")
        {
            yield break;
        }
        var commands = tree.AlterTableCommands;
        for (var i = 0; i < commands.Count; i++)
        {
            var command = commands[i];
            var definition = command.Definition;
            if (command.Subtype == "AT_AddConstraint" && definition.Kind == "Constraint")
            {
                yield return new AddedConstraint(new ConstraintDefinition(definition), default, i);
            }
            else if (command.Subtype == "AT_AddColumn" && definition.Kind == "ColumnDef")
            {
                foreach (var constraint in definition.Nodes("constraints").Where(c => c.Kind == "Constraint"))
                {
                    yield return new AddedConstraint(new ConstraintDefinition(constraint), definition, i);
                }
            }
        }
    }

    /// <summary>
    /// Reports each constraint of <paramref name="type"/> added to an existing table that builds its index
    /// while ALTER TABLE holds the table lock (primary key and unique without USING INDEX, exclusion).
    /// </summary>
    public static void ReportIndexBuilds(LintStatement statement, LintContext context, string type)
    {
        if (statement.Tree.Target is not { } table || context.IsCreatedInFile(table))
        {
            return;
        }
        foreach (var added in In(statement.Tree).Where(a => a.Definition.Type == type && a.Definition.UsingIndex is null))
        {
            var method = type == "CONSTR_EXCLUSION" ? $"{added.Definition.Node.String("access_method") ?? "btree"} index" : "unique index";
            var tableLock = HeldLocks.On(statement.Tree, table);
            context.Report(statement,
                $"ALTER TABLE {table} {added.Clause} builds a {method} over every row of {table} under {tableLock.ToSql()}: " +
                $"{HeldLocks.Blocked(tableLock, table)} are blocked {HeldLocks.Until(statement, "the build ends")}", table);
        }
    }
}
