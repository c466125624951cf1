using static Stepwise.Tests.Operations.PlanTesting;

namespace Stepwise.Tests.Operations;

/// <summary><c>create_index</c> planned without a database.</summary>
public class CreateIndexPlanTests
{
    [Fact]
    public void An_index_is_built_concurrently_with_every_option_and_an_unqualified_opclass_stays_unqualified()
    {
        var plan = Plan("""
            operations:
              - create_index: {name: users_email_idx, table: users, columns: {email: {opclass: text_pattern_ops, sort: DESC, nulls: LAST}, id: {opclass: {name: int8_ops}}}, unique: true, method: btree, include: [nickname], storage_parameters: fillfactor=70, predicate: score > 0}
              - create_index: {name: users_nick_idx, table: users, columns: [{column: nickname, opclass: my_schema.my_ops, collate: C}]}
            """);

        AssertSteps("""
            Sql ShareUpdateExclusive public.users no tx | CREATE UNIQUE INDEX CONCURRENTLY "users_email_idx" ON "public"."users" USING btree ("email" "text_pattern_ops" DESC NULLS LAST, "id" "int8_ops") INCLUDE ("nickname") WITH (fillfactor=70) WHERE score > 0
            Sql ShareUpdateExclusive public.users no tx | CREATE INDEX CONCURRENTLY "users_nick_idx" ON "public"."users" ("nickname" COLLATE "C" "my_schema"."my_ops")
            """, plan.Start);
        Assert.Empty(plan.Complete);
        AssertSteps("""
            Sql ShareUpdateExclusive public.users_nick_idx no tx | DROP INDEX CONCURRENTLY IF EXISTS "public"."users_nick_idx"
            Sql ShareUpdateExclusive public.users_email_idx no tx | DROP INDEX CONCURRENTLY IF EXISTS "public"."users_email_idx"
            """, plan.Rollback);
    }

    [Fact]
    public void A_missing_column_is_refused() =>
        Assert.Contains("column public.users.nope does not exist", Refused("operations:\n  - create_index: {name: i, table: users, columns: [nope]}\n").Message);
}
