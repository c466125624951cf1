using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>
/// A column that ALTER TABLE ... ADD COLUMN adds to a table that existed before the file: the
/// table has rows and running applications, unlike one created earlier in the same file.
/// </summary>
internal readonly struct AddedColumn
{
    private AddedColumn(RelationName table, SqlNode definition)
    {
        Table = table;
        Definition = definition;
    }

    /// <summary>The table the column is added to.</summary>
    public RelationName Table { get; }

    /// <summary>The <c>ColumnDef</c> node.</summary>
    public SqlNode Definition { get; }

    /// <summary>The column's name.</summary>
    public string Name => Definition.String("colname") ?? "?";

    /// <summary>The column's type as written.</summary>
    public ColumnType? Type => ColumnType.OfColumn(Definition);

    /// <summary>
    /// The DEFAULT expression, or a missing node when there is none. <c>DEFAULT NULL</c> counts as
    /// none: PostgreSQL stores no default for it.
    /// </summary>
    public SqlNode Default
    {
        get
        {
            var expression = Constraint("CONSTR_DEFAULT").Node("raw_expr");
            return expression.Kind == "A_Const" && expression.Bool("isnull") ? default : expression;
        }
    }

    /// <summary><c>GENERATED ALWAYS AS (...) STORED</c>.</summary>
    public bool IsGenerated => !Constraint("CONSTR_GENERATED").IsMissing;

    /// <summary><c>GENERATED ... AS IDENTITY</c>.</summary>
    public bool IsIdentity => !Constraint("CONSTR_IDENTITY").IsMissing;

    /// <summary>NOT NULL.</summary>
    public bool IsNotNull => !Constraint("CONSTR_NOTNULL").IsMissing;

    /// <summary>PRIMARY KEY, which implies NOT NULL.</summary>
    public bool IsPrimaryKey => !Constraint("CONSTR_PRIMARY").IsMissing;

    /// <summary>"ALTER TABLE ... ADD COLUMN name type", for messages.</summary>
    public override string ToString() => $"ALTER TABLE ... ADD COLUMN {Name} {Type}";

    /// <summary>The columns <paramref name="statement"/> adds to tables not created earlier in the file; none for any other statement.</summary>
    public static IEnumerable<AddedColumn> In(LintStatement statement, LintContext context)
    {
        // ALTER FOREIGN TABLE adds no storage, and ALTER TYPE ... ADD ATTRIBUTE is no table at all.
        if (statement.Tree.Root.String("objtype") != "OBJECT_TABLE" || statement.Tree.Target is not { } table || context.IsCreatedInFile(table))
        {
            return [];
        }
        return statement.Tree.AlterTableCommands.Where(c => c.Subtype == "AT_AddColumn").Select(c => new AddedColumn(table, c.Definition));
    }

    private SqlNode Constraint(string type) => Definition.Nodes("constraints").FirstOrDefault(c => c.String("contype") == type);
}
