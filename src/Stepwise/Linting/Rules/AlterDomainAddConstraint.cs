using Stepwise.Planning;

namespace Stepwise.Linting.Rules;

/// <summary>ALTER DOMAIN ADD CONSTRAINT without NOT VALID scans every column of the domain, blocking writes to each table.</summary>
public sealed class AlterDomainAddConstraint : LintRule
{
    /// <inheritdoc />
    public override string Id => "alter-domain-add-constraint";

    /// <inheritdoc />
    public override string Title => "Add domain constraints NOT VALID";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.Share;

    /// <inheritdoc />
    public override bool ScalesWithTableSize => true;

    /// <inheritdoc />
    public override LockedWork Work => LockedWork.Scan;

    /// <inheritdoc />
    public override string Why =>
        "ALTER DOMAIN ... ADD CONSTRAINT checks the new constraint against every value of the domain already stored: PostgreSQL " +
        "finds every table with a column of that domain, takes SHARE on each, which blocks its writes, and scans it before " +
        "returning; inside a transaction those locks stay until it commits. The statement names none of those tables, so how " +
        "much it touches is easy to miss.";

    /// <inheritdoc />
    public override string Fix =>
        "Add the constraint NOT VALID: values written from then on are checked, stored ones are not. Run ALTER DOMAIN ... " +
        "VALIDATE CONSTRAINT later, in its own transaction and at a quiet time: on PostgreSQL 15 validation still holds SHARE " +
        "on each table while it scans it, but no longer together with the rest of the migration.";

    /// <inheritdoc />
    public override string FixExample =>
        "ALTER DOMAIN positive_amount ADD CONSTRAINT positive_amount_check CHECK (VALUE > 0) NOT VALID;\n" +
        "-- later, in its own transaction:\n" +
        "ALTER DOMAIN positive_amount VALIDATE CONSTRAINT positive_amount_check;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        var root = statement.Tree.Root;
        // Subtype C is ADD CONSTRAINT; a domain can only have CHECK constraints added this way on PostgreSQL 15.
        if (root.Kind != "AlterDomainStmt" || root.String("subtype") != "C" || root.Node("def") is not { Kind: "Constraint" } constraint
            || constraint.String("contype") != "CONSTR_CHECK" || constraint.Bool("skip_validation"))
        {
            return;
        }
        var domain = string.Join('.', root.Names("typeName"));
        var clause = constraint.String("conname") is { } name ? $"ADD CONSTRAINT {name} CHECK" : "ADD CHECK";
        context.Report(statement,
            $"ALTER DOMAIN {domain} {clause} without NOT VALID scans every column of type {domain} in every table, holding SHARE on each " +
            $"of those tables: writes to them are blocked {HeldLocks.Until(statement, "the scan ends")}");
    }
}
