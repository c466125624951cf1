using Stepwise.Sql;

namespace Stepwise.Linting;

/// <summary>A statement as a rule sees it: its tree and where it runs.</summary>
public sealed class LintStatement
{
    internal LintStatement(int index, StatementTree tree, string text, int line, int column, int endLine, bool inTransaction, int transactionGroup, bool embedded, int anchorLine,
        bool inFunctionBody = false)
    {
        InFunctionBody = inFunctionBody;
        AnchorLine = anchorLine;
        Index = index;
        Tree = tree;
        Text = text;
        Line = line;
        Column = column;
        EndLine = endLine;
        InTransaction = inTransaction;
        TransactionGroup = transactionGroup;
        Embedded = embedded;
    }

    /// <summary>0-based position among the file's linted statements.</summary>
    public int Index { get; }

    /// <summary>The parse tree.</summary>
    public StatementTree Tree { get; }

    /// <summary>The statement's text.</summary>
    public string Text { get; }

    /// <summary>1-based line where it starts.</summary>
    public int Line { get; }

    /// <summary>1-based column where it starts.</summary>
    public int Column { get; }

    /// <summary>1-based line where it ends.</summary>
    public int EndLine { get; }

    /// <summary>True when it runs inside a transaction block (a transactional migration, BEGIN ... COMMIT, or a DO block).</summary>
    public bool InTransaction { get; }

    /// <summary>Statements with the same number run in the same transaction; each autocommit statement has its own.</summary>
    public int TransactionGroup { get; }

    /// <summary>True for a statement inside a DO block or PL/pgSQL function body.</summary>
    public bool Embedded { get; }

    /// <summary>
    /// True for a statement of a function body: it runs whenever the function is called, in the caller's
    /// transaction, not when the migration runs.
    /// </summary>
    public bool InFunctionBody { get; }

    /// <summary>The line of the top-level statement (the DO block for an embedded one): where ignores attach.</summary>
    internal int AnchorLine { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Line}: {Tree.CommandTag}";
}
