using Stepwise.Catalog;
using Stepwise.Diagnostics;
using Stepwise.Operations;
using static Stepwise.Tests.Operations.PlanTesting;

namespace Stepwise.Tests.Operations;

/// <summary><c>set_replica_identity</c> read and planned without a database.</summary>
public class SetReplicaIdentityPlanTests
{
    private static readonly SchemaModel s_schema = Schema with
    {
        Indexes =
        [
            .. Schema.Indexes,
            new IndexModel("public", "users", "users_pkey", "CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)", true, true, "users_pkey"),
            new IndexModel("public", "teams", "teams_pkey", "CREATE UNIQUE INDEX teams_pkey ON public.teams USING btree (id)", true, true, "teams_pkey"),
        ],
        Tables = [.. Schema.Tables.Select(t => t.Name == "teams" ? t with { ReplicaIdentity = "full" } : t)],
    };

    [Fact]
    public void An_index_identity_is_set_at_start_and_the_default_given_back_on_rollback()
    {
        var plan = Plan("""
            operations:
              - set_replica_identity: {table: users, identity: {type: index, index: users_pkey}}
            """, s_schema);

        AssertSteps("""
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" REPLICA IDENTITY USING INDEX "users_pkey"
            """, plan.Start);
        Assert.Empty(plan.Complete);
        AssertSteps("""
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" REPLICA IDENTITY DEFAULT
            """, plan.Rollback);
    }

    [Fact]
    public void Rollback_gives_back_the_identity_the_table_had_and_pgrolls_empty_index_is_accepted()
    {
        var plan = Plan("""
            operations:
              - set_replica_identity: {table: teams, identity: {type: Nothing, index: ""}}
            """, s_schema);

        AssertSteps("""Sql AccessExclusive public.teams tx | ALTER TABLE "public"."teams" REPLICA IDENTITY NOTHING""", plan.Start);
        AssertSteps("""Sql AccessExclusive public.teams tx | ALTER TABLE "public"."teams" REPLICA IDENTITY FULL""", plan.Rollback);
    }

    [Theory]
    [InlineData("{table: users, identity: {type: index, index: nope}}", "index public.nope does not exist")]
    [InlineData("{table: users, identity: {type: index, index: users_team_idx}}", "is not unique")]
    [InlineData("{table: users, identity: {type: index, index: teams_pkey}}", "is on teams, not on users")]
    [InlineData("{table: nope, identity: {type: full}}", "table public.nope does not exist")]
    public void An_identity_that_does_not_fit_the_schema_is_refused(string fields, string message) =>
        Assert.Contains(message, Refused($"operations:\n  - set_replica_identity: {fields}\n", s_schema).Message);

    [Theory]
    [InlineData("{table: users, identity: {type: index}}", "missing-field", "set_replica_identity.identity needs the field 'index'")]
    [InlineData("{table: users, identity: {type: partial}}", "wrong-value", "must be one of DEFAULT, FULL, NOTHING, INDEX")]
    [InlineData("{table: users, identity: {type: full, index: users_pkey}}", "wrong-value", "names an index, but type is full")]
    [InlineData("{table: users}", "missing-field", "set_replica_identity needs the field 'identity'")]
    public void A_malformed_identity_is_reported_where_it_is_written(string fields, string code, string message)
    {
        var problems = new List<MigrationProblem>();
        Assert.Null(OperationFileReader.Read($"operations:\n  - set_replica_identity: {fields}\n", "1_op.yaml", problems));
        var problem = Assert.Single(problems);
        Assert.Equal((code, 2), (problem.Code, problem.Line));
        Assert.Contains(message, problem.ToString());
    }
}
