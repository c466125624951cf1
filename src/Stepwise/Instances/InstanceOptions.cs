namespace Stepwise.Instances;

/// <summary>
/// Application instances as migrations see them: which sessions count as clients of a version (besides registered
/// instances), how <c>complete</c> treats instances still running an older version, and the per-version roles that
/// carry a version's <c>search_path</c> through connection poolers.
/// </summary>
public sealed class InstanceOptions
{
    /// <summary>The schema holding the tables, which version schemas are named after (default <c>public</c>).</summary>
    public string Schema { get; set; } = "public";

    /// <summary>Sessions of clients that do not register themselves, by <c>application_name</c> (see <see cref="ClientPattern"/>).</summary>
    public IList<ClientPattern> Clients { get; } = [];

    /// <summary>Complete even while instances of an older version are alive (they are named in a warning).</summary>
    public bool Force { get; set; }

    /// <summary>
    /// How long complete waits for instances of an older version to stop, with a progress line every few seconds;
    /// null (the default) refuses at once, naming them.
    /// </summary>
    public TimeSpan? Wait { get; set; }

    /// <summary>
    /// When set, the role that selects a version behind a connection pooler, named by this pattern: <c>{version}</c>
    /// is the migration's version, <c>{name}</c> its name (<c>app_{version}</c> gives <c>app_20261121091500</c>).
    /// Once a migration's start has created its version schema, Stepwise creates the role if missing (<c>LOGIN</c>, no
    /// password: Stepwise never sets one) and sets its <c>search_path</c> to the version schema with <c>ALTER ROLE</c>.
    /// </summary>
    public string? VersionRole { get; set; }

    /// <summary>A role every version role is made a member of (its privileges are the application's), e.g. <c>app</c>.</summary>
    public string? VersionRoleMemberOf { get; set; }

    /// <summary>The role of a version under <see cref="VersionRole"/>; null when no pattern is set.</summary>
    public string? RoleFor(long version, string migrationName) => VersionRole is { Length: > 0 } pattern
        ? pattern.Replace("{version}", version.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{name}", migrationName, StringComparison.Ordinal)
        : null;
}
