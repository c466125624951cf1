using System.Text.RegularExpressions;
using Stepwise.Catalog;
using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Operations;

/// <summary>
/// A type change old and new code both live through (<c>alter_column</c> with <c>type</c>): a copy of the column in the
/// new type, kept in sync by one trigger that looks at which version wrote the row (a session whose search path holds
/// the new version schema writes the copy, and <c>down</c> computes the old column; any other writes the old column,
/// and <c>up</c> computes the copy); a batched backfill of the copy; its NOT NULL, default, comment, indexes, unique
/// constraints and foreign key carried over (indexes built concurrently, constraints NOT VALID then validated). The
/// new version's view reads the copy under the column's name. Complete drops the old column and renames the copy
/// (no rewrite), renames what was carried to the old names and adds the old check constraints back (NOT VALID, then
/// validated). Rollback drops the copy and the trigger.
/// </summary>
internal static partial class ColumnCopy
{
    public static void Plan(PlanBuilder plan, AlterColumn change, TableModel table, ColumnModel current)
    {
        var type = change.Type!;
        var target = $"{table.QualifiedName}.{current.Name}";
        Refuse(plan, change, table, current);
        var name = Quote.Ident(table.Schema, table.Name);
        var copy = PlanBuilder.HelperName("new", current.Name);
        var quotedCopy = Quote.Ident(copy);
        var column = Quote.Ident(current.Name);
        var up = change.Up ?? $"CAST({column} AS {type})";
        var down = change.Down ?? $"CAST({Quote.Ident(change.Name ?? current.Name)} AS {current.Type})";
        var notNull = change.Nullable is { } nullable ? !nullable : current.NotNull;
        var defaultValue = change.Default ? change.DefaultValue : current.Default;
        var comment = change.Comment ? change.CommentValue : current.Comment;

        plan.Start(Steps.Sql($"copy of {target} in the new type {type} (nullable until complete)", $"ALTER TABLE {name} ADD COLUMN {quotedCopy} {type}"),
            Steps.Sql($"drop the copy of {target}", $"ALTER TABLE {name} DROP COLUMN IF EXISTS {quotedCopy}"));
        if (defaultValue is not null)
        {
            plan.Start(Steps.Sql($"default of the copy of {target}", $"ALTER TABLE {name} ALTER COLUMN {quotedCopy} SET DEFAULT {defaultValue}"));
        }
        if (comment is not null)
        {
            plan.Start(Steps.Sql($"comment on the copy of {target}", $"COMMENT ON COLUMN {name}.{quotedCopy} IS {Quote.Literal(comment)}"));
        }
        SyncTrigger(plan, table, current, change.Name ?? current.Name, copy, type, up, down);

        var validations = new List<Step>();
        Step? setNotNull = null, dropNotNullCheck = null;
        if (notNull)
        {
            var (add, validate, set, drop) = ColumnRecipes.NotNullSteps(table, copy);
            plan.Start(add);
            validations.Add(validate);
            (setNotNull, dropNotNullCheck) = (set, drop);
        }
        ColumnRecipes.Backfill(plan, table, copy, up);
        if (notNull)
        {
            ColumnRecipes.NoNulls(plan, table, copy);
        }

        // What the old column has, carried to the copy under helper names, and renamed to the old names once the old column is dropped.
        var afterDrop = new List<Step>();
        foreach (var fk in table.Constraints.Where(k => k.Type == "foreign key" && k.Columns is [var only] && only == current.Name))
        {
            var helper = PlanBuilder.HelperName("fk", table.Name, copy);
            validations.Add(ColumnRecipes.NotValid(plan, table, helper, ForeignKeyOn(fk.Definition, copy), undo: false));
            afterDrop.Add(Steps.Sql($"foreign key {fk.Name} on {target} again", $"ALTER TABLE {name} RENAME CONSTRAINT {Quote.Ident(helper)} TO {Quote.Ident(fk.Name)}"));
        }
        if (change.References is { } reference)
        {
            validations.Add(ColumnRecipes.NotValid(plan, table, reference.Name, ColumnRecipes.ForeignKey(copy, reference), undo: false));
        }
        foreach (var validation in validations)
        {
            plan.Start(validation);
        }
        foreach (var index in plan.Schema.Indexes.Where(i => i.Schema == table.Schema && i.Table == table.Name && IndexColumns(i.Definition).Contains(current.Name)))
        {
            var helper = PlanBuilder.HelperName("ix", index.Name);
            plan.Start(Steps.Sql($"index {index.Name} on the copy of {target} (concurrently)", IndexOn(index.Definition, current.Name, copy, helper)),
                Steps.Sql($"drop index {helper}", $"DROP INDEX CONCURRENTLY IF EXISTS {Quote.Ident(table.Schema, helper)}"));
            afterDrop.Add(index.Constraint is { } constraint
                ? Steps.Sql($"unique constraint {constraint} on {target} again", $"ALTER TABLE {name} ADD CONSTRAINT {Quote.Ident(constraint)} UNIQUE USING INDEX {Quote.Ident(helper)}")
                : Steps.Sql($"index {index.Name} on {target} again", $"ALTER INDEX {Quote.Ident(table.Schema, helper)} RENAME TO {Quote.Ident(index.Name)}"));
        }
        if (change.Unique is { } unique)
        {
            ColumnRecipes.Unique(plan, table, unique.Name, [copy], attachAtComplete: true);
        }

        if (setNotNull is not null)
        {
            plan.Complete(setNotNull);
            plan.Complete(dropNotNullCheck!);
        }
        var dropTrigger = PlanBuilder.HelperName("sync", table.Name, current.Name);
        plan.Complete(Steps.Sql($"drop the sync trigger of {target}", $"DROP TRIGGER IF EXISTS {Quote.Ident(dropTrigger)} ON {name}"));
        plan.Complete(Steps.Sql($"drop the sync function of {target}", $"DROP FUNCTION IF EXISTS {Quote.Ident(table.Schema, dropTrigger)}()"));
        plan.Complete(Steps.Sql($"drop the old {target} (the copy takes its place: no rewrite)", $"ALTER TABLE {name} DROP COLUMN IF EXISTS {column}"));
        foreach (var step in afterDrop)
        {
            plan.Complete(step);
        }
        // Check constraints on the old column go with it; added back on the column under its final name, NOT VALID then validated.
        var checks = table.Constraints.Where(k => k.Type == "check" && Mentions(k.Definition, current.Name)).Select(k => (k.Name, k.Definition)).ToList();
        if (change.Check is { } check)
        {
            checks.Add((check.Name, ColumnRecipes.Check(check)));
        }
        foreach (var (checkName, definition) in checks)
        {
            plan.Version.AfterRenames(Steps.Sql($"check {checkName} on {target}", $"ALTER TABLE {name} ADD CONSTRAINT {Quote.Ident(checkName)} {definition} NOT VALID"));
            plan.Version.AfterRenames(Steps.Sql($"validate {checkName}", $"ALTER TABLE {name} VALIDATE CONSTRAINT {Quote.Ident(checkName)}"));
        }

        plan.Version.ReadFrom(table, current.Name, copy);
        plan.Added(table, new ColumnModel(copy, type, false, defaultValue, null, null, null, comment));
    }

    /// <summary>What a column copy cannot carry, refused before anything runs.</summary>
    private static void Refuse(PlanBuilder plan, AlterColumn change, TableModel table, ColumnModel current)
    {
        var target = $"{table.QualifiedName}.{current.Name}";
        void No(string why, string hint) => throw new PlanningException($"alter_column cannot change the type of {target}: {why}", change.Position, hint);
        if (table.Kind != "table" || table.PartitionOf is not null)
        {
            No("it belongs to a partitioned table (indexes cannot be built concurrently on one)", "change the type with an sql operation in a maintenance window");
        }
        if (current.Identity is not null || current.Generated is not null)
        {
            No("it is an identity or generated column", "add a new column with add_column and up, then drop_column the old one in a later migration");
        }
        if (table.Constraints.Any(k => k.Type is "primary key" or "exclusion" && (k.Columns?.Contains(current.Name) ?? Mentions(k.Definition, current.Name))))
        {
            No("it is part of the primary key or an exclusion constraint", "change key types with an sql operation in a maintenance window");
        }
        if (table.Constraints.Any(k => k.Type == "foreign key" && k.Columns is { Count: > 1 } columns && columns.Contains(current.Name)))
        {
            No("it is part of a foreign key of several columns", "drop that foreign key first (drop_constraint), and create it again after complete");
        }
        if (table.Constraints.Any(k => k.Type == "unique" && k.Deferrable && (k.Columns?.Contains(current.Name) ?? false)))
        {
            No("a deferrable unique constraint covers it", "drop it first, and create it again after complete");
        }
        var referencing = plan.Schema.Tables.SelectMany(t => t.Constraints.Where(k => k.Type == "foreign key" && References(k.Definition, table, current.Name)).Select(k => $"{t.QualifiedName}.{k.Name}")).ToList();
        if (referencing.Count > 0)
        {
            No($"foreign keys reference it ({string.Join(", ", referencing)})", "change the referencing columns first, or drop those foreign keys and create them again after complete");
        }
        foreach (var index in plan.Schema.Indexes.Where(i => i.Schema == table.Schema && i.Table == table.Name))
        {
            if (Mentions(index.Definition, current.Name) && !IndexColumns(index.Definition).Contains(current.Name))
            {
                No($"index {index.Name} uses it in an expression or predicate", "drop that index first (drop_index), and create it again after complete");
            }
            if (IndexColumns(index.Definition).Contains(current.Name) && index.Constraint is { } constraint && table.Constraints.FirstOrDefault(k => k.Name == constraint)?.Type != "unique")
            {
                No($"index {index.Name} backs constraint {constraint}", "drop that constraint first, and create it again after complete");
            }
        }
        // Objects PostgreSQL would not let complete drop the old column under.
        var dependents = plan.Schema.Views.Where(v => Mentions(v.Definition, current.Name) && plan.Schema.Dependencies.Any(d => d.Object.EndsWith($" {v.Schema}.{v.Name}", StringComparison.Ordinal) && d.On == $"table {table.QualifiedName}"))
            .Select(v => $"view {v.Schema}.{v.Name}")
            .Concat(plan.Schema.Policies.Where(p => p.Schema == table.Schema && p.Table == table.Name && (Mentions(p.Using, current.Name) || Mentions(p.WithCheck, current.Name))).Select(p => $"policy {p.Name}"))
            .ToList();
        if (dependents.Count > 0)
        {
            No($"{string.Join(", ", dependents)} use{(dependents.Count == 1 ? "s" : "")} it, and complete could not drop the old column under {(dependents.Count == 1 ? "it" : "them")}",
                "drop or change them first (replace_view, an sql operation), and create them again after complete");
        }
        if (change.Name is not null && table.Constraints.Any(k => k.Type == "check" && Mentions(k.Definition, current.Name)))
        {
            No("it is renamed too, and a check constraint names it (the check is added back after complete under the old name)",
                "rename the column in a migration of its own (rename_column)");
        }
    }

    /// <summary>
    /// The trigger keeping the column and its copy in sync, by which version wrote the row: a session whose search path
    /// holds the new version schema writes through its view (the copy), so the old column is computed with
    /// <paramref name="down"/>; every other session (old code, on the base table or the previous version's views; the
    /// backfill) writes the old column, and the copy is computed with <paramref name="up"/>. Bare names in the
    /// expressions are the row's columns, the changed column meaning its old value in up and its new one in down (there
    /// under <paramref name="newName"/>, its name in the new version).
    /// </summary>
    private static void SyncTrigger(PlanBuilder plan, TableModel table, ColumnModel current, string newName, string copy, string type, string up, string down)
    {
        var name = Quote.Ident(table.Schema, table.Name);
        var target = $"{table.QualifiedName}.{current.Name}";
        var trigger = PlanBuilder.HelperName("sync", table.Name, current.Name);
        var function = Quote.Ident(table.Schema, trigger);
        var others = table.Columns.Where(c => c.Name != current.Name).Select(c => $"        {Quote.Ident(c.Name)} {c.Type} := NEW.{Quote.Ident(c.Name)};\n").ToList();
        var oldVariables = string.Concat(others) + $"        {Quote.Ident(current.Name)} {current.Type} := NEW.{Quote.Ident(current.Name)};\n";
        var newVariables = string.Concat(others) + $"        {Quote.Ident(newName)} {type} := NEW.{Quote.Ident(copy)};\n";
        var versionSchema = plan.VersionSchemaOf(table.Schema);
        plan.Start(Steps.Sql($"sync function for {target} and its copy (by the writer's version)",
                $"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $stepwise$\n#variable_conflict use_column\nBEGIN\n"
                + $"    IF {Quote.Literal(versionSchema)} = ANY (current_schemas(false)) THEN\n"
                + $"    DECLARE\n{newVariables}    BEGIN\n        NEW.{Quote.Ident(current.Name)} := ({down});\n    END;\n"
                + $"    ELSE\n    DECLARE\n{oldVariables}    BEGIN\n        NEW.{Quote.Ident(copy)} := ({up});\n    END;\n"
                + "    END IF;\n    RETURN NEW;\nEND\n$stepwise$"),
            Steps.Sql($"drop the sync function of {target}", $"DROP FUNCTION IF EXISTS {function}()"));
        // Not for the backfill's own UPDATE of the copy (its batch's transaction names the table, at trigger depth 0): it sets
        // the copy to up itself, and the trigger computed up a second time, in PL/pgSQL, for every row.
        var backfill = $"pg_trigger_depth() > 0 OR current_setting({Quote.Literal(BackfillSpec.FillingSetting)}, true) IS DISTINCT FROM {Quote.Literal(table.QualifiedName)}";
        plan.Start(Steps.Sql($"sync trigger on {target}", $"CREATE TRIGGER {Quote.Ident(trigger)} BEFORE INSERT OR UPDATE ON {name} FOR EACH ROW WHEN ({backfill}) EXECUTE FUNCTION {function}()"),
            Steps.Sql($"drop the sync trigger of {target}", $"DROP TRIGGER IF EXISTS {Quote.Ident(trigger)} ON {name}"));
    }

    /// <summary>A one-column foreign key's definition (<c>FOREIGN KEY (c) REFERENCES ...</c>, as PostgreSQL prints it) on <paramref name="column"/> instead.</summary>
    private static string ForeignKeyOn(string definition, string column)
    {
        var close = definition.IndexOf(") REFERENCES ", StringComparison.Ordinal);
        return $"FOREIGN KEY ({Quote.Ident(column)}{definition[close..]}";
    }

    /// <summary>An index's definition (as <c>pg_get_indexdef</c> prints it) built CONCURRENTLY as <paramref name="helper"/> on <paramref name="copy"/> instead of <paramref name="column"/>.</summary>
    private static string IndexOn(string definition, string column, string copy, string helper)
    {
        var match = IndexHead().Match(definition);
        var rest = match.Groups["rest"].Value;
        var usingAt = rest.IndexOf(" USING ", StringComparison.Ordinal);
        var columns = rest[usingAt..];
        var quoted = Regex.Escape(Quote.Ident(column));
        columns = Regex.Replace(columns, SimpleIdentifier().IsMatch(column) ? $"{quoted}|(?<![\\w\"]){Regex.Escape(column)}(?![\\w\"])" : quoted, Quote.Ident(copy).Replace("$", "$$", StringComparison.Ordinal));
        return $"CREATE {match.Groups["unique"].Value}INDEX CONCURRENTLY {Quote.Ident(helper)} ON {rest[..usingAt]}{columns}";
    }

    /// <summary>The plain columns (key and INCLUDE) of an index definition; expression columns are not listed.</summary>
    private static HashSet<string> IndexColumns(string definition)
    {
        var parsed = SqlParser.Parse(definition);
        if (parsed.Statements is not [{ Tree: { Index: not null } tree }])
        {
            return [];
        }
        return [.. tree.Root.Nodes("indexParams").Concat(tree.Root.Nodes("indexIncludingParams")).Select(e => e.String("name")).OfType<string>()];
    }

    /// <summary>
    /// True when the SQL text (a constraint or index definition, a view's query, a policy's expression) refers to
    /// <paramref name="column"/> by name anywhere (a column reference or a plain index column).
    /// </summary>
    private static bool Mentions(string? definition, string column)
    {
        if (definition is null)
        {
            return false;
        }
        var trimmed = definition.TrimStart();
        var sql = trimmed.StartsWith("CREATE", StringComparison.Ordinal) || trimmed.StartsWith("SELECT", StringComparison.Ordinal) || trimmed.StartsWith("WITH", StringComparison.Ordinal)
            ? definition
            : trimmed.StartsWith("CHECK", StringComparison.Ordinal) || trimmed.StartsWith("FOREIGN", StringComparison.Ordinal) || trimmed.StartsWith("UNIQUE", StringComparison.Ordinal)
                || trimmed.StartsWith("PRIMARY", StringComparison.Ordinal) || trimmed.StartsWith("EXCLUDE", StringComparison.Ordinal)
                ? $"ALTER TABLE t ADD CONSTRAINT c {definition}"
                : $"SELECT {definition}";
        var parsed = SqlParser.Parse(sql);
        return parsed.Statements is [{ Tree: { } tree }]
            && tree.Root.Descendants().Any(n => (n.Kind == "ColumnRef" && n.Names("fields") is [.., var last] && last == column)
                || (n.Kind == "IndexElem" && n.String("name") == column)
                || (n.Kind == "Constraint" && n.Names("keys").Contains(column)));
    }

    /// <summary>True when a foreign key's definition references <paramref name="column"/> of <paramref name="table"/>.</summary>
    private static bool References(string definition, TableModel table, string column)
    {
        var parsed = SqlParser.Parse($"ALTER TABLE t ADD CONSTRAINT c {definition}");
        if (parsed.Statements is not [{ Tree: { } tree }])
        {
            return false;
        }
        return tree.Root.Descendants().Any(n => n.Kind == "Constraint" && n.Node("pktable", "RangeVar") is { IsMissing: false } pk
            && pk.String("relname") == table.Name && (pk.String("schemaname") ?? "public") == table.Schema && n.Names("pk_attrs").Contains(column));
    }

    [GeneratedRegex("^CREATE (?<unique>UNIQUE )?INDEX (?:\"(?:[^\"]|\"\")*\"|\\S+) ON (?<rest>.*)$", RegexOptions.Singleline)]
    private static partial Regex IndexHead();

    [GeneratedRegex("^[a-z_][a-z0-9_$]*$")]
    private static partial Regex SimpleIdentifier();
}
