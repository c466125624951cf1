using Stepwise.Catalog;
using Stepwise.Execution;
using Stepwise.IntegrationTests.Execution;

namespace Stepwise.IntegrationTests.Operations;

/// <summary>
/// What each of pgroll's 56 example migrations (xataio/pgroll, examples/, in its .ledger order) exercises, written again in
/// our own files: one directory, applied in order, each operation migration started, rolled back (the catalog must equal
/// the one before start), started again and completed, with data that makes its up/down expressions matter. The
/// renames and type changes (04, 13, 18, and the type of 35) come with versioned schemas and are not in this list.
/// </summary>
public class PgrollExamplesTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    /// <summary>One migration file: its name, its operations, SQL run before its start (rows that make up/down matter) and a check after complete.</summary>
    private sealed record Case(string File, string Yaml, string? Before = null, string? After = null);

    private static readonly Case[] s_cases =
    [
        new("01_shops_receipts_vendors", """
            operations:
              - create_table: {name: shops, columns: [{name: id, type: integer, pk: true}, {name: title, type: varchar(100), unique: true}, {name: note, type: text, nullable: true}]}
              - create_table: {name: receipts, columns: [{name: id, type: integer, pk: true}, {name: issued, type: time with time zone}, {name: amount, type: integer}]}
              - create_table: {name: vendors, columns: [{name: code, type: varchar(40), pk: true}, {name: region, type: integer, pk: true}, {name: about, type: varchar(200), nullable: true}]}
            """, After: "SELECT count(*) = 2 FROM pg_index WHERE indrelid = 'vendors'::regclass AND indisprimary OR indrelid = 'shops'::regclass AND indisunique AND NOT indisprimary"),
        new("02_goods", """
            operations:
              - create_table: {name: goods, columns: [{name: id, type: serial, pk: true}, {name: label, type: varchar(80), unique: true}, {name: cost, type: "numeric(8,2)"}]}
            """),
        new("03_goods_columns", """
            operations:
              - add_column: {table: goods, up: lower(label), column: {name: summary, type: varchar(80), nullable: true}}
              - add_column: {table: goods, column: {name: on_hand, type: int, nullable: false, default: "7"}}
              - add_column: {table: goods, up: "label || '/misc'", column: {name: aisle, type: varchar(90), nullable: false}}
            """, Before: "INSERT INTO goods (label, cost) VALUES ('Pear', 1.5)",
            After: "SELECT summary = 'pear' AND on_hand = 7 AND aisle = 'Pear/misc' FROM goods"),
        new("05_members_by_sql", """
            operations:
              - sql: {up: "CREATE TABLE members (id integer PRIMARY KEY, handle text)", down: DROP TABLE members}
            """),
        new("06_members_bio", """
            operations:
              - add_column: {table: members, up: upper(handle), column: {name: bio, type: varchar(50), nullable: true}}
            """, Before: "INSERT INTO members VALUES (1, 'ann')", After: "SELECT bio = 'ANN' FROM members"),
        new("07_drop_goods", """
            operations:
              - drop_table: {name: goods}
            """, After: "SELECT to_regclass('goods') IS NULL"),
        new("08_plants", """
            operations:
              - create_table: {name: plants, columns: [{name: id, type: bigint, pk: true, generated: {identity: {user_specified_values: BY DEFAULT}}}, {name: kind, type: varchar(60), unique: true}, {name: cost, type: "numeric(6,2)"}]}
            """, After: "SELECT attidentity = 'd' FROM pg_attribute WHERE attrelid = 'plants'::regclass AND attname = 'id'"),
        new("09_plants_drop_cost", """
            operations:
              - drop_column: {table: plants, column: cost, down: "1"}
            """, After: "SELECT NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'plants'::regclass AND attname = 'cost' AND NOT attisdropped)"),
        new("10_plants_kind_idx", """
            operations:
              - create_index: {name: plants_kind_idx, table: plants, columns: [{column: kind}]}
            """),
        new("11_drop_plants_kind_idx", """
            operations:
              - drop_index: {name: plants_kind_idx}
            """, After: "SELECT to_regclass('plants_kind_idx') IS NULL"),
        new("12_staff", """
            operations:
              - create_table: {name: staff, comment: people who work here, columns: [{name: id, type: serial, pk: true}, {name: position, type: varchar(60), comment: what they do}]}
            """, After: "SELECT obj_description('staff'::regclass) = 'people who work here' AND col_description('staff'::regclass, 2) = 'what they do'"),
        new("14_notes", """
            operations:
              - create_table: {name: notes, columns: [{name: id, type: serial, pk: true}, {name: author, type: text}, {name: subject, type: text}, {name: body, type: text, nullable: true}]}
            """),
        new("15_notes_body_unique", """
            operations:
              - alter_column: {table: notes, column: body, unique: {name: notes_body_unique}, up: "body || '#' || id", down: body}
            """, Before: "INSERT INTO notes (author, subject, body) VALUES ('a', 'tea', 'fine'), ('b', 'tea', 'fine'), ('c', 'cake', 'sweet'), ('d', 'jam', NULL), ('e', 'jam', NULL)",
            After: "SELECT array_agg(body ORDER BY id) = ARRAY['fine', 'fine#2', 'sweet', NULL, NULL] FROM notes"),
        new("16_notes_body_required", """
            operations:
              - alter_column: {table: notes, column: body, nullable: false, up: "SELECT CASE WHEN body IS NULL THEN subject || ' note ' || id ELSE body END", down: body}
            """, After: "SELECT array_agg(body ORDER BY id) = ARRAY['fine', 'fine#2', 'sweet', 'jam note 4', 'jam note 5'] FROM notes"),
        new("17_notes_stars", """
            operations:
              - add_column: {table: notes, column: {name: stars, type: text, default: "'3'"}}
            """, After: "SELECT bool_and(stars = '3') FROM notes"),
        new("19_bookings", """
            operations:
              - create_table: {name: bookings, columns: [{name: id, type: serial, pk: true}, {name: member_id, type: integer, references: {name: bookings_member_fk, table: members, column: id}}, {name: seats, type: int}]}
            """),
        new("20_articles", """
            operations:
              - create_table: {name: articles, columns: [{name: id, type: serial, pk: true}, {name: headline, type: varchar(120)}, {name: member_id, type: integer, nullable: true}]}
            """),
        new("21_articles_member_fk", """
            operations:
              - alter_column: {table: articles, column: member_id, references: {name: articles_member_fk, table: members, column: id, on_delete: CASCADE}, up: "SELECT CASE WHEN EXISTS (SELECT 1 FROM members WHERE members.id = member_id) THEN member_id ELSE NULL END", down: member_id}
            """, Before: "INSERT INTO articles (headline, member_id) VALUES ('hello world', 1), ('orphan', 42), ('ok', NULL)",
            After: "SELECT array_agg(member_id ORDER BY id) IS NOT DISTINCT FROM ARRAY[1, NULL, NULL]::int[] FROM articles"),
        new("22_articles_headline_check", """
            operations:
              - alter_column: {table: articles, column: headline, check: {name: headline_length, constraint: length(headline) > 3}, up: "SELECT CASE WHEN length(headline) <= 3 THEN rpad(headline, 4, '.') ELSE headline END", down: headline}
            """, After: "SELECT array_agg(headline::text ORDER BY id) = ARRAY['hello world', 'orphan', 'ok..'] FROM articles"),
        new("23_drop_headline_check", """
            operations:
              - drop_constraint: {table: articles, name: headline_length, up: headline, down: "SELECT CASE WHEN length(headline) <= 3 THEN rpad(headline, 4, '.') ELSE headline END"}
            """),
        new("24_drop_articles_member_fk", """
            operations:
              - drop_constraint: {table: articles, name: articles_member_fk, up: member_id, down: member_id}
            """, After: "SELECT NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname IN ('headline_length', 'articles_member_fk'))"),
        new("25_guests", """
            operations:
              - create_table: {name: guests, columns: [{name: id, type: integer, pk: true}, {name: full_name, type: varchar(100), check: {name: full_name_length, constraint: length(full_name) > 2}}]}
            """),
        new("26_guests_age", """
            operations:
              - add_column: {table: guests, column: {name: age, type: integer, default: "21", check: {name: age_adult, constraint: age >= 18}}}
            """, Before: "INSERT INTO guests VALUES (1, 'Ada')", After: "SELECT age = 21 FROM guests"),
        new("27_drop_notes_body_unique", """
            operations:
              - drop_constraint: {table: notes, name: notes_body_unique, up: body, down: "body || '#' || id"}
            """),
        new("28_products_defaults", """
            operations:
              - create_table: {name: products, columns: [{name: id, type: serial, pk: true}, {name: title, type: varchar(60), default: "'untitled'"}, {name: cost, type: "numeric(8,2)", default: "0.00"}, {name: added, type: timestamptz, default: now()}]}
            """, After: "SELECT pg_get_expr(adbin, adrelid) = 'now()' FROM pg_attrdef WHERE adrelid = 'products'::regclass AND adnum = 4"),
        new("29_plants_replica_identity", """
            operations:
              - set_replica_identity: {table: plants, identity: {type: index, index: plants_pkey}}
            """, After: "SELECT relreplident = 'i' FROM pg_class WHERE oid = 'plants'::regclass"),
        new("30_guests_motto", """
            operations:
              - add_column: {table: guests, up: "'to be written'", column: {name: motto, type: varchar(60), nullable: false, comment: what they say}}
            """, After: "SELECT motto = 'to be written' FROM guests"),
        new("31_articles_headline_optional", """
            operations:
              - alter_column: {table: articles, column: headline, nullable: true, up: headline, down: "SELECT CASE WHEN headline IS NULL THEN 'untitled' ELSE headline END"}
            """),
        new("32_guests_birthday_on_complete", """
            operations:
              - sql: {up: ALTER TABLE guests ADD COLUMN birthday date, onComplete: true}
            """, After: "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'guests'::regclass AND attname = 'birthday')"),
        new("33_rename_full_name_check", """
            operations:
              - rename_constraint: {table: guests, from: full_name_length, to: full_name_length_check}
            """),
        new("34_shows", """
            operations:
              - create_table: {name: shows, columns: [{name: id, type: serial, pk: true}, {name: title, type: varchar(80), nullable: true, default: "'<tbd>'", comment: the show's title}]}
            """),
        new("35_shows_title_many_changes", """
            operations:
              - alter_column:
                  table: shows
                  column: title
                  default: "'unnamed show'"
                  nullable: false
                  comment: the show's full title
                  unique: {name: shows_title_unique}
                  check: {name: show_title_length, constraint: length(title) > 3}
                  up: "SELECT CASE WHEN title IS NULL OR length(title) <= 3 THEN 'show ' || id ELSE title END"
                  down: title
            """, Before: "INSERT INTO shows (title) VALUES (NULL), ('abc'), ('abc'), ('Hamlet')",
            After: "SELECT array_agg(title::text ORDER BY id) = ARRAY['show 1', 'show 2', 'show 3', 'Hamlet'] FROM shows"),
        new("36_shows_title_no_comment", """
            operations:
              - alter_column: {table: shows, column: title, comment: null, up: title, down: title}
            """, After: "SELECT col_description('shows'::regclass, 2) IS NULL"),
        new("37_plants_partial_idx", """
            operations:
              - create_index: {name: plants_big_id_idx, table: plants, columns: [{column: id}], predicate: id > 100}
            """),
        new("38_plants_kind_hash_idx", """
            operations:
              - create_index: {name: plants_kind_hash_idx, table: plants, columns: [{column: kind}], method: hash, storage_parameters: fillfactor = 60}
            """, After: "SELECT pg_get_indexdef('plants_kind_hash_idx'::regclass) LIKE '%USING hash%fillfactor%60%'"),
        new("39_vendors_score", """
            operations:
              - add_column: {table: vendors, column: {name: score, type: int, default: "5"}}
            """),
        new("40_pot_size_type", """
            operations:
              - sql: {up: "CREATE TYPE pot_size AS ENUM ('s', 'm', 'l');"}
            """),
        new("41_plants_pot", """
            operations:
              - add_column: {table: plants, column: {name: pot, type: pot_size, default: "'m'"}}
            """),
        new("42_plants_kind_unique_idx", """
            operations:
              - create_index: {name: plants_kind_unique_idx, table: plants, columns: [{column: kind}], unique: true}
            """),
        new("43_passes", """
            operations:
              - create_table: {name: passes, columns: [{name: pass_id, type: serial, pk: true}, {name: vendor_code, type: varchar(40)}, {name: vendor_region, type: integer}, {name: medium, type: varchar(20), default: "'card'"}]}
            """),
        new("44_passes_vendor_unique", """
            operations:
              - create_constraint: {type: unique, table: passes, name: passes_vendor_unique, columns: [vendor_code, vendor_region], up: {vendor_code: vendor_code, vendor_region: vendor_region}, down: {vendor_code: vendor_code, vendor_region: vendor_region}}
            """),
        new("45_passes_vendor_check", """
            operations:
              - create_constraint:
                  type: check
                  table: passes
                  name: passes_vendor_check
                  columns: [vendor_code, vendor_region]
                  check: vendor_code = 'free' OR vendor_region > 0
                  up: {vendor_code: vendor_code, vendor_region: "SELECT CASE WHEN vendor_code <> 'free' AND vendor_region <= 0 THEN 9 ELSE vendor_region END"}
                  down: {vendor_code: vendor_code, vendor_region: vendor_region}
            """, Before: "INSERT INTO vendors (code, region) VALUES ('acme', 9), ('free', 0); INSERT INTO passes (vendor_code, vendor_region) VALUES ('acme', -1), ('free', 0)",
            After: "SELECT array_agg(vendor_region ORDER BY pass_id) = ARRAY[9, 0] FROM passes"),
        new("46_passes_medium_no_default", """
            operations:
              - alter_column: {table: passes, column: medium, default: null, up: medium, down: medium}
            """),
        new("47_passes_vendor_fk", """
            operations:
              - create_constraint: {type: foreign_key, table: passes, name: passes_vendor_fk, columns: [vendor_code, vendor_region], references: {table: vendors, columns: [code, region]}, up: {vendor_code: vendor_code, vendor_region: vendor_region}, down: {vendor_code: vendor_code, vendor_region: vendor_region}}
            """),
        new("48_drop_passes_vendor_check", """
            operations:
              - drop_multicolumn_constraint: {table: passes, name: passes_vendor_check, up: {vendor_code: vendor_code, vendor_region: vendor_region}, down: {vendor_code: vendor_code, vendor_region: vendor_region}}
            """),
        new("49_plants_kind_optional", """
            operations:
              - alter_column: {table: plants, column: kind, nullable: true, up: "SELECT CASE WHEN kind IS NULL THEN 'unknown' ELSE kind END", down: kind}
            """),
        new("50_carriers", """
            operations:
              - create_table:
                  name: carriers
                  columns: [{name: id, type: serial}, {name: title, type: varchar(60)}, {name: vat, type: varchar(20)}, {name: city, type: varchar(60)}]
                  constraints:
                    - {name: carriers_pk, type: primary_key, columns: [id]}
                    - {name: carriers_vat_unique, type: unique, columns: [vat]}
                    - {name: carriers_title_present, type: check, check: length(title) > 0}
            """),
        new("51_directory", """
            operations:
              - create_table:
                  name: directory
                  columns: [{name: id, type: serial}, {name: carrier_id, type: serial}, {name: title, type: varchar(60)}, {name: number, type: varchar(30)}]
                  constraints:
                    - {name: directory_pk, type: primary_key, columns: [id]}
                    - {name: directory_carrier_fk, type: foreign_key, columns: [carrier_id], deferrable: false, references: {table: carriers, columns: [id], on_delete: CASCADE, on_update: CASCADE, match_type: SIMPLE}}
                    - {name: directory_number_unique, type: unique, columns: [number], index_parameters: {include_columns: [title]}}
                    - {name: directory_title_present, type: check, check: length(title) > 0}
            """, After: "SELECT pg_get_indexdef('directory_number_unique'::regclass) LIKE '%INCLUDE (title)%'"),
        new("52_loans", """
            operations:
              - create_table:
                  name: loans
                  columns: [{name: id, type: serial}, {name: due, type: timestamp}, {name: book, type: text}, {name: remark, type: text}]
                  constraints:
                    - {name: loans_pk, type: primary_key, columns: [id]}
                    - {name: loans_one_per_book, type: exclude, exclude: {index_method: btree, elements: book WITH =, predicate: book IS NOT NULL}}
            """, After: "SELECT contype = 'x' FROM pg_constraint WHERE conname = 'loans_one_per_book'"),
        new("53_loans_volatile", """
            operations:
              - add_column: {table: loans, up: "(random() * 10)::int", column: {name: token, type: int, default: "(random() * 10)::int"}}
            """, Before: "INSERT INTO loans (due, book, remark) VALUES (now(), 'Emma', 'x')", After: "SELECT token BETWEEN 0 AND 10 FROM loans"),
        new("54_plants_id_opclass_idx", """
            operations:
              - create_index: {name: plants_id_int8_idx, table: plants, columns: [{column: id, opclass: {name: int8_ops}}]}
            """, After: "SELECT pg_get_indexdef('plants_id_int8_idx'::regclass) LIKE '%(id)%'"),
        new("55_chores_with_key", """
            operations:
              - create_table: {name: chores, columns: [{name: id, type: serial}, {name: title, type: varchar(60), nullable: false}, {name: detail, type: varchar(200)}, {name: due, type: time with time zone}]}
              - create_constraint: {name: chores_pkey, table: chores, columns: [id], type: primary_key, up: {id: id}, down: {id: id}}
            """, After: "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'chores_pkey' AND contype = 'p')"),
        new("56_stock_with_version_schema", """
            version_schema: stock_version
            operations:
              - create_table: {name: stock, columns: [{name: id, type: serial, pk: true}, {name: label, type: varchar(60), unique: true}]}
            """),
    ];

    [Fact]
    public async Task Each_example_starts_rolls_back_to_the_same_catalog_starts_again_and_completes_as_one_directory()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        foreach (var (c, i) in s_cases.Select((c, i) => (c, i)))
        {
            ws.Write($"{i + 1}_{c.File}.yaml", c.Yaml);
        }
        ws.WriteSum();
        foreach (var (c, i) in s_cases.Select((c, i) => (c, i)))
        {
            if (c.Before is not null)
            {
                await ws.ExecuteAsync(c.Before);
            }
            var before = await CatalogReader.ReadAsync(ws.ConnectionString);
            await ws.Migrator().ApplyAsync(new ApplyRequest());
            Assert.True(await StateAsync(ws, i + 1) == MigrationState.Started, $"{c.File} did not start");
            await ws.Migrator().RollbackAsync();
            var changes = SchemaDiff.Compare(before, await CatalogReader.ReadAsync(ws.ConnectionString)).Select(x => x.ToString()).ToList();
            Assert.True(changes.Count == 0, $"{c.File}: the catalog after rollback differs from the one before start: {string.Join("; ", changes)}");
            await ws.Migrator().ApplyAsync(new ApplyRequest());
            await ws.Migrator().CompleteAsync();
            Assert.True(await StateAsync(ws, i + 1) == MigrationState.Applied, $"{c.File} is not applied after complete");
            if (c.After is not null)
            {
                Assert.True(await ws.ScalarAsync<bool>(c.After), $"{c.File}: after complete, this does not hold: {c.After}");
            }
        }
    }

    private static async Task<MigrationState> StateAsync(MigrationWorkspace ws, long version) =>
        (await ws.Migrator().StatusAsync()).Entries.Single(e => e.Version == version).State;
}
