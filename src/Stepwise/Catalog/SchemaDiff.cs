namespace Stepwise.Catalog;

/// <summary>How an object differs between two models.</summary>
public enum ChangeKind
{
    /// <summary>Only in the second model.</summary>
    Added,

    /// <summary>Only in the first model.</summary>
    Removed,

    /// <summary>In both, different.</summary>
    Changed,
}

/// <summary>One difference, named precisely: <c>changed column public.workflow_runs.organization_id: nullable → not null</c>.</summary>
/// <param name="Kind">Added, removed or changed.</param>
/// <param name="ObjectType">schema, extension, table, column, constraint, index, view, sequence, enum, domain, domain constraint, type, function, trigger, policy.</param>
/// <param name="Name">The qualified name.</param>
/// <param name="Detail">For a change: what changed, old → new.</param>
public sealed record SchemaChange(ChangeKind Kind, string ObjectType, string Name, string? Detail = null)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{Kind.ToString().ToLowerInvariant()} {ObjectType} {Name}{(Detail is null ? "" : ": " + Detail)}";
}

/// <summary>Compares two schema models object by object.</summary>
public static class SchemaDiff
{
    /// <summary>Every difference between <paramref name="from"/> and <paramref name="to"/>, in a stable order.</summary>
    public static IReadOnlyList<SchemaChange> Compare(SchemaModel from, SchemaModel to)
    {
        var changes = new List<SchemaChange>();
        Keyed(changes, "schema", from.Schemas, to.Schemas, s => s.Name, (a, b) => Field("comment", a.Comment, b.Comment));
        Keyed(changes, "extension", from.Extensions, to.Extensions, e => e.Name, (a, b) => [.. Field("version", a.Version, b.Version), .. Field("schema", a.Schema, b.Schema)]);
        foreach (var (a, b) in Keyed(changes, "table", from.Tables, to.Tables, t => t.QualifiedName, TableFields))
        {
            Keyed(changes, "column", a.Columns, b.Columns, c => $"{a.QualifiedName}.{c.Name}", ColumnFields);
            Keyed(changes, "constraint", a.Constraints, b.Constraints, c => $"{a.QualifiedName}.{c.Name}", ConstraintFields);
        }
        Keyed(changes, "index", from.Indexes, to.Indexes, i => $"{i.Schema}.{i.Name}",
            (a, b) => [.. Field("definition", a.Definition, b.Definition), .. Field("valid", Flag(a.Valid, "valid", "INVALID"), Flag(b.Valid, "valid", "INVALID")),
                .. Field("comment", a.Comment, b.Comment)]);
        Keyed(changes, "view", from.Views, to.Views, v => $"{v.Schema}.{v.Name}",
            (a, b) => [.. Field("kind", Flag(a.Materialized, "materialized", "view"), Flag(b.Materialized, "materialized", "view")), .. Field("definition", a.Definition, b.Definition),
                .. Field("comment", a.Comment, b.Comment)]);
        Keyed(changes, "sequence", from.Sequences, to.Sequences, s => $"{s.Schema}.{s.Name}",
            (a, b) => [.. Field("type", a.Type, b.Type), .. Field("increment", a.Increment, b.Increment), .. Field("min", a.Min, b.Min), .. Field("max", a.Max, b.Max),
                .. Field("start", a.Start, b.Start), .. Field("cache", a.Cache, b.Cache), .. Field("cycle", a.Cycle, b.Cycle), .. Field("owned by", a.OwnedBy, b.OwnedBy),
                .. Field("comment", a.Comment, b.Comment)]);
        Keyed(changes, "enum", from.Enums, to.Enums, e => $"{e.Schema}.{e.Name}",
            (a, b) => [.. Field("labels", string.Join(", ", a.Labels), string.Join(", ", b.Labels)), .. Field("comment", a.Comment, b.Comment)]);
        foreach (var (a, b) in Keyed(changes, "domain", from.Domains, to.Domains, d => $"{d.Schema}.{d.Name}",
            (a, b) => [.. Field("type", a.Type, b.Type), .. Field("nullability", Flag(a.NotNull, "not null", "nullable"), Flag(b.NotNull, "not null", "nullable")),
                .. Field("default", a.Default, b.Default), .. Field("collation", a.Collation, b.Collation), .. Field("comment", a.Comment, b.Comment)]))
        {
            Keyed(changes, "domain constraint", a.Constraints, b.Constraints, c => $"{a.Schema}.{a.Name}.{c.Name}", ConstraintFields);
        }
        Keyed(changes, "type", from.CompositeTypes, to.CompositeTypes, t => $"{t.Schema}.{t.Name}",
            (a, b) => [.. Field("attributes", Attributes(a), Attributes(b)), .. Field("comment", a.Comment, b.Comment)]);
        Keyed(changes, "function", from.Functions, to.Functions, f => $"{f.Schema}.{f.Signature}",
            (a, b) => [.. Field("kind", a.Kind, b.Kind), .. Field("returns", a.Returns, b.Returns), .. Field("language", a.Language, b.Language),
                .. Field("volatility", a.Volatility, b.Volatility), .. Field("security definer", a.SecurityDefiner, b.SecurityDefiner),
                .. Field("body (md5)", a.BodyHash, b.BodyHash), .. Field("comment", a.Comment, b.Comment)]);
        Keyed(changes, "trigger", from.Triggers, to.Triggers, t => $"{t.Schema}.{t.Table}.{t.Name}",
            (a, b) => [.. Field("definition", a.Definition, b.Definition), .. Field("enabled", Flag(a.Enabled, "enabled", "disabled"), Flag(b.Enabled, "enabled", "disabled")),
                .. Field("comment", a.Comment, b.Comment)]);
        Keyed(changes, "policy", from.Policies, to.Policies, p => $"{p.Schema}.{p.Table}.{p.Name}",
            (a, b) => [.. Field("command", a.Command, b.Command), .. Field("kind", Flag(a.Permissive, "permissive", "restrictive"), Flag(b.Permissive, "permissive", "restrictive")),
                .. Field("roles", string.Join(", ", a.Roles), string.Join(", ", b.Roles)), .. Field("using", a.Using, b.Using), .. Field("with check", a.WithCheck, b.WithCheck)]);
        return changes;
    }

    internal static string Attributes(CompositeTypeModel type) =>
        string.Join(", ", type.Attributes.Select(a => $"{a.Name} {a.Type}{(a.Collation is null ? "" : $" COLLATE {a.Collation}")}"));

    private static IEnumerable<string> TableFields(TableModel a, TableModel b) =>
    [
        .. Field("kind", a.Kind, b.Kind),
        .. Field("partition key", a.PartitionKey, b.PartitionKey),
        .. Field("partition of", a.PartitionOf, b.PartitionOf),
        .. Field("partition bound", a.PartitionBound, b.PartitionBound),
        .. Field("persistence", Flag(a.Unlogged, "unlogged", "logged"), Flag(b.Unlogged, "unlogged", "logged")),
        .. Field("row security", Flag(a.RowSecurity, "on", "off"), Flag(b.RowSecurity, "on", "off")),
        .. Field("forced row security", Flag(a.ForceRowSecurity, "on", "off"), Flag(b.ForceRowSecurity, "on", "off")),
        .. Field("replica identity", a.ReplicaIdentityClause, b.ReplicaIdentityClause),
        .. Field("comment", a.Comment, b.Comment),
    ];

    private static IEnumerable<string> ColumnFields(ColumnModel a, ColumnModel b) =>
    [
        .. Field("type", a.Type, b.Type),
        .. (a.NotNull == b.NotNull ? [] : new[] { $"{Flag(a.NotNull, "not null", "nullable")} → {Flag(b.NotNull, "not null", "nullable")}" }),
        .. Field("default", a.Default, b.Default),
        .. Field("identity", a.Identity, b.Identity),
        .. Field("generated", a.Generated, b.Generated),
        .. Field("collation", a.Collation, b.Collation),
        .. Field("comment", a.Comment, b.Comment),
    ];

    private static IEnumerable<string> ConstraintFields(ConstraintModel a, ConstraintModel b) =>
    [
        .. Field("definition", a.Definition, b.Definition),
        .. (a.Validated == b.Validated ? [] : new[] { $"{Flag(a.Validated, "validated", "not valid")} → {Flag(b.Validated, "validated", "not valid")}" }),
        .. Field("deferrable", a.Deferrable, b.Deferrable),
        .. Field("initially deferred", a.InitiallyDeferred, b.InitiallyDeferred),
        .. Field("comment", a.Comment, b.Comment),
    ];

    /// <summary>Adds added/removed/changed entries for two keyed lists; returns the pairs present in both.</summary>
    private static List<(T From, T To)> Keyed<T>(List<SchemaChange> changes, string type, IReadOnlyList<T> from, IReadOnlyList<T> to,
        Func<T, string> key, Func<T, T, IEnumerable<string>> fields)
    {
        var before = from.ToDictionary(key, StringComparer.Ordinal);
        var after = to.ToDictionary(key, StringComparer.Ordinal);
        var both = new List<(T, T)>();
        foreach (var name in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            var inFrom = before.TryGetValue(name, out var a);
            var inTo = after.TryGetValue(name, out var b);
            if (!inTo)
            {
                changes.Add(new SchemaChange(ChangeKind.Removed, type, name));
            }
            else if (!inFrom)
            {
                changes.Add(new SchemaChange(ChangeKind.Added, type, name));
            }
            else
            {
                foreach (var detail in fields(a!, b!))
                {
                    changes.Add(new SchemaChange(ChangeKind.Changed, type, name, detail));
                }
                both.Add((a!, b!));
            }
        }
        return both;
    }

    private static IEnumerable<string> Field<TValue>(string name, TValue a, TValue b) =>
        EqualityComparer<TValue>.Default.Equals(a, b) ? []
        : a is string x && b is string y && (x.Contains('\n', StringComparison.Ordinal) || y.Contains('\n', StringComparison.Ordinal))
            ? [$"{name} {FirstDifference(x, y)}"]
            : [$"{name} {Show(a)} → {Show(b)}"];

    /// <summary>
    /// Where two texts of several lines (a view's definition) first differ, line against line, each shown from a little
    /// before the first character that differs: both in full would print a few kilobytes per view (lemmy's verify printed
    /// 9,000 lines for 15 views).
    /// </summary>
    private static string FirstDifference(string a, string b)
    {
        var (x, y) = (a.Split('\n'), b.Split('\n'));
        var line = 0;
        while (line < x.Length && line < y.Length && x[line] == y[line])
        {
            line++;
        }
        var (p, q) = (line < x.Length ? x[line].Trim() : null, line < y.Length ? y[line].Trim() : null);
        var from = p is null || q is null ? 0 : Math.Max(0, CommonPrefix(p, q) - 40);
        string At(string? text) => text is null ? "(end)" : $"\"{(from > 0 ? "…" : "")}{Window(text[Math.Min(from, text.Length)..])}\"";
        static string Window(string s) => s.Length > 100 ? s[..100] + "…" : s;
        static int CommonPrefix(string s, string t)
        {
            var i = 0;
            while (i < s.Length && i < t.Length && s[i] == t[i])
            {
                i++;
            }
            return i;
        }
        return $"differs from line {line + 1}: {At(p)} → {At(q)} ({x.Length} → {y.Length} lines)";
    }

    private static string Show<TValue>(TValue value) => value is null ? "(none)" : value is bool flag ? (flag ? "yes" : "no") : value.ToString()!;

    private static string Flag(bool value, string whenTrue, string whenFalse) => value ? whenTrue : whenFalse;
}
