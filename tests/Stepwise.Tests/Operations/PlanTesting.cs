using Stepwise.Catalog;
using Stepwise.Diagnostics;
using Stepwise.Operations;
using Stepwise.Planning;

namespace Stepwise.Tests.Operations;

/// <summary>
/// Plans operation files against a schema model built in the test (no database), and shows each step as one line:
/// <c>kind lock target (tx|no tx) | SQL</c>, so a test reads like the plan <c>apply --dry-run</c> prints.
/// </summary>
internal static class PlanTesting
{
    /// <summary>A table in <c>public</c>; <paramref name="columns"/> are <c>name type</c>, with <c>not null</c> after the type when it is.</summary>
    public static TableModel Table(string name, string[] columns, params ConstraintModel[] constraints) =>
        new("public", name, "table", false, false, null,
            [.. columns.Select(c => c.Split(' ', 2)).Select(p => new ColumnModel(p[0], p[1].Replace(" not null", "", StringComparison.Ordinal), p[1].EndsWith(" not null", StringComparison.Ordinal), null, null, null, null, null))],
            constraints);

    public static ConstraintModel PrimaryKey(string name, params string[] columns) => new(name, "primary key", $"PRIMARY KEY ({string.Join(", ", columns)})", true, false, false, Columns: columns);

    public static ConstraintModel Check(string name, string definition) => new(name, "check", definition, true, false, false);

    /// <summary>
    /// teams (id pk, name), users (id pk, email not null, team_id, nickname, score with check users_score_check), logs (line, no key);
    /// index users_team_idx; view active_users.
    /// </summary>
    public static SchemaModel Schema { get; } = new()
    {
        Tables =
        [
            Table("teams", ["id bigint not null", "name text"], PrimaryKey("teams_pkey", "id")),
            Table("users", ["id bigint not null", "email text not null", "team_id bigint", "nickname text", "score integer"],
                PrimaryKey("users_pkey", "id"), Check("users_score_check", "CHECK ((score >= 0))")),
            Table("logs", ["line text"]),
        ],
        Indexes = [new IndexModel("public", "users", "users_team_idx", "CREATE INDEX users_team_idx ON public.users USING btree (team_id)", false, true)],
        Views = [new ViewModel("public", "active_users", false, " SELECT users.id,\n    users.email\n   FROM users;", "who is here")],
    };

    /// <summary>Reads <paramref name="yaml"/> (which must have no errors) and plans it against <paramref name="schema"/> (<see cref="Schema"/> by default).</summary>
    public static Plan Plan(string yaml, SchemaModel? schema = null)
    {
        var problems = new List<MigrationProblem>();
        var file = OperationFileReader.Read(yaml, "1_op.yaml", problems);
        Assert.True(file is not null, string.Join("\n", problems));
        return PlanBuilder.PlanAll(file, schema ?? Schema);
    }

    /// <summary>The planning error of <paramref name="yaml"/>.</summary>
    public static PlanningException Refused(string yaml, SchemaModel? schema = null) => Assert.Throws<PlanningException>(() => Plan(yaml, schema));

    /// <summary>The steps of a phase are <paramref name="expected"/>, one <see cref="Line"/> per line.</summary>
    public static void AssertSteps(string expected, IEnumerable<Step> steps) => Assert.Equal(expected.Split('\n'), Lines(steps));

    /// <summary>Each step as <c>kind lock target (tx|no tx) | SQL</c> (a backfill: <c>SET ... WHERE ...</c>).</summary>
    public static string[] Lines(IEnumerable<Step> steps) => [.. steps.Select(Line)];

    public static string Line(Step step) =>
        $"{step.Kind} {step.Lock}{(step.LockTarget is null ? "" : " " + step.LockTarget)} {(step.InTransaction ? "tx" : "no tx")} | "
        + (step.Backfill is { } b
            ? $"{b.Schema}.{b.Table} SET {string.Join(", ", b.Set.Select(s => $"{s.Column} = {s.Expression}"))}{(b.Where is null ? "" : " WHERE " + b.Where)} BY ({string.Join(", ", b.Key.Select(k => k.Name))})"
            : FirstLine(step.Sql!));

    private static string FirstLine(string sql) => sql.IndexOf('\n', StringComparison.Ordinal) is var end and >= 0 ? sql[..end] + " …" : sql;
}
