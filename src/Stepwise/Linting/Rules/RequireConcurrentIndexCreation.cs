using Stepwise.Planning;

namespace Stepwise.Linting.Rules;

/// <summary>CREATE INDEX without CONCURRENTLY blocks writes for the whole build.</summary>
public sealed class RequireConcurrentIndexCreation : LintRule
{
    /// <inheritdoc />
    public override string Id => "require-concurrent-index-creation";

    /// <inheritdoc />
    public override string Title => "Create indexes concurrently";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.Share;

    /// <inheritdoc />
    public override bool ScalesWithTableSize => true;

    /// <inheritdoc />
    public override LockedWork Work => LockedWork.IndexBuild;

    /// <inheritdoc />
    public override string Why =>
        "CREATE INDEX takes a SHARE lock on the table for the whole build: every INSERT, UPDATE and DELETE waits until the index is built, which on a big table is minutes.";

    /// <inheritdoc />
    public override string Fix => "Build it with CONCURRENTLY (it cannot run in a transaction; Stepwise runs such a migration statement by statement).";

    /// <inheritdoc />
    public override string FixExample => "CREATE INDEX CONCURRENTLY workflow_runs_org_idx ON workflow_runs (organization_id);";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        if (statement.Tree.Index is { Concurrent: false } index && !context.IsCreatedInFile(index.Table))
        {
            context.Report(statement,
                $"CREATE INDEX without CONCURRENTLY takes SHARE on {index.Table}: writes are blocked until the build ends", index.Table);
        }
    }
}
