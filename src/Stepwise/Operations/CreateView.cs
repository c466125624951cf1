namespace Stepwise.Operations;

/// <summary>
/// <c>create_view</c> and <c>replace_view</c> (Stepwise additions): a view from a query; replacing keeps the
/// previous definition so that rollback restores it.
/// </summary>
/// <param name="Replace">True for <c>replace_view</c>.</param>
public sealed record CreateView(string Name, string Definition, bool Replace = false) : Operation
{
    /// <inheritdoc />
    public override string Kind => Replace ? "replace_view" : "create_view";
}
