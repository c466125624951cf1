namespace Stepwise.Linting.Rules;

/// <summary>
/// Statements of a PL/pgSQL function body are linted like DO block statements, but they run when the
/// function is called, not when the migration runs: rules about what a migration does at run time skip them.
/// </summary>
internal static class FunctionBodies
{
    /// <summary>True when <paramref name="statement"/> is inside the body of a CREATE FUNCTION or CREATE PROCEDURE.</summary>
    internal static bool IsInFunctionBody(this LintStatement statement, LintContext context)
    {
        if (!statement.Embedded)
        {
            return false;
        }
        // Embedded statements follow their top-level statement; Earlier[i] is the statement with Index i.
        for (var i = statement.Index - 1; i >= 0; i--)
        {
            if (!context.Earlier[i].Embedded)
            {
                return context.Earlier[i].Tree.Kind == "CreateFunctionStmt";
            }
        }
        return false;
    }
}
