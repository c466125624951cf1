namespace Stepwise.Operations;

/// <summary>
/// <c>alter_column</c> for the changes that need no new column: nullability (with <see cref="Up"/> to fill
/// NULLs), check, foreign key, unique, default, comment. Type changes and renames are refused until
/// versioned schemas exist.
/// </summary>
/// <param name="Nullable">Null when unchanged.</param>
/// <param name="Default">Set when the file has a <c>default</c> field; <see cref="DefaultValue"/> null then drops the default.</param>
/// <param name="Comment">Set when the file has a <c>comment</c> field; <see cref="CommentValue"/> null then removes it.</param>
public sealed record AlterColumn(string Table, string Column, bool? Nullable = null, CheckConstraint? Check = null, ForeignKeyReference? References = null,
    UniqueConstraint? Unique = null, bool Default = false, string? DefaultValue = null, bool Comment = false, string? CommentValue = null, string? Up = null) : Operation
{
    /// <inheritdoc />
    public override string Kind => "alter_column";
}

/// <summary>A unique constraint added by <c>alter_column</c> (pgroll's <c>unique: {name}</c>).</summary>
public sealed record UniqueConstraint(string Name);
