using Stepwise.Planning;

namespace Stepwise.Tests.Planning;

public class LockLevelTests
{
    // PostgreSQL 15 docs, 13.3.1 "Table-Level Locks", Table 13.2 "Conflicting Lock Modes":
    // one row per requested mode, one column per mode already held, X = conflict.
    private const string DocumentedConflicts = """
                                AS  RS  RE  SUE S   SRE E   AE
        ACCESS SHARE            .   .   .   .   .   .   .   X
        ROW SHARE               .   .   .   .   .   .   X   X
        ROW EXCLUSIVE           .   .   .   .   X   X   X   X
        SHARE UPDATE EXCLUSIVE  .   .   .   X   X   X   X   X
        SHARE                   .   .   X   X   .   X   X   X
        SHARE ROW EXCLUSIVE     .   .   X   X   X   X   X   X
        EXCLUSIVE               .   X   X   X   X   X   X   X
        ACCESS EXCLUSIVE        X   X   X   X   X   X   X   X
        """;

    private static readonly LockLevel[] s_modes =
    [
        LockLevel.AccessShare, LockLevel.RowShare, LockLevel.RowExclusive, LockLevel.ShareUpdateExclusive,
        LockLevel.Share, LockLevel.ShareRowExclusive, LockLevel.Exclusive, LockLevel.AccessExclusive,
    ];

    [Fact]
    public void ConflictsWith_matches_the_documented_conflict_table()
    {
        var rows = DocumentedConflicts.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[1..];
        Assert.Equal(8, rows.Length);
        foreach (var row in rows)
        {
            var words = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var marks = words[^8..];
            var requested = s_modes.Single(m => m.ToSql() == string.Join(" ", words[..^8]));
            for (var i = 0; i < 8; i++)
            {
                Assert.True(marks[i] == "X" == requested.ConflictsWith(s_modes[i]), $"{requested.ToSql()} vs {s_modes[i].ToSql()}");
            }
        }
    }

    [Fact]
    public void ConflictsWith_is_symmetric_and_None_conflicts_with_nothing()
    {
        foreach (var a in s_modes)
        {
            Assert.False(a.ConflictsWith(LockLevel.None));
            Assert.False(LockLevel.None.ConflictsWith(a));
            foreach (var b in s_modes)
            {
                Assert.Equal(a.ConflictsWith(b), b.ConflictsWith(a));
            }
        }
    }

    [Fact]
    public void ConflictsWith_rejects_values_that_are_not_lock_modes()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ((LockLevel)9).ConflictsWith(LockLevel.AccessShare));
        Assert.Throws<ArgumentOutOfRangeException>(() => LockLevel.AccessShare.ConflictsWith((LockLevel)(-1)));
    }

    [Theory]
    [InlineData(LockLevel.AccessShare, "ACCESS SHARE")]
    [InlineData(LockLevel.RowShare, "ROW SHARE")]
    [InlineData(LockLevel.RowExclusive, "ROW EXCLUSIVE")]
    [InlineData(LockLevel.ShareUpdateExclusive, "SHARE UPDATE EXCLUSIVE")]
    [InlineData(LockLevel.Share, "SHARE")]
    [InlineData(LockLevel.ShareRowExclusive, "SHARE ROW EXCLUSIVE")]
    [InlineData(LockLevel.Exclusive, "EXCLUSIVE")]
    [InlineData(LockLevel.AccessExclusive, "ACCESS EXCLUSIVE")]
    [InlineData(LockLevel.None, "NONE")]
    public void ToSql_gives_the_mode_as_written_in_LOCK_TABLE(LockLevel level, string sql) =>
        Assert.Equal(sql, level.ToSql());

    [Theory]
    [InlineData(LockLevel.AccessExclusive, "blocks reads and writes")]
    [InlineData(LockLevel.Share, "blocks writes")]
    [InlineData(LockLevel.ShareRowExclusive, "blocks writes")]
    [InlineData(LockLevel.ShareUpdateExclusive, "blocks schema changes and VACUUM, but not reads or writes")]
    [InlineData(LockLevel.AccessShare, "blocks nothing ordinary, only ACCESS EXCLUSIVE locks")]
    [InlineData(LockLevel.None, "blocks nothing")]
    public void Blocks_says_what_other_sessions_wait_for(LockLevel level, string phrase) =>
        Assert.Equal(phrase, level.Blocks());

    [Fact]
    public void Blocks_says_reads_only_for_locks_that_conflict_with_plain_SELECT()
    {
        foreach (var level in s_modes)
        {
            Assert.Equal(level.ConflictsWith(LockLevel.AccessShare), level.Blocks().Contains("reads and writes", StringComparison.Ordinal));
            Assert.Equal(level.ConflictsWith(LockLevel.RowExclusive), level.Blocks().StartsWith("blocks writes", StringComparison.Ordinal) || level.Blocks() == "blocks reads and writes");
        }
    }
}
