using Stepwise.Sql;

namespace Stepwise.Planning;

/// <summary>
/// Collects the locks one statement takes and keeps, per relation, only the strongest level
/// (as PostgreSQL does when a command needs several) with the reasons that ask for that level.
/// Relations come out in source order where the tree says where they are, otherwise in the order added.
/// </summary>
internal sealed class LockSet
{
    private readonly List<Entry> _entries = [];

    /// <summary>Adds a lock on the table a <c>RangeVar</c> names; nothing when the node is missing.</summary>
    internal void Add(LockLevel level, SqlNode rangeVar, string reason)
    {
        if (!rangeVar.IsMissing)
        {
            Add(level, RelationName.FromRangeVar(rangeVar), reason, rangeVar.Int("location"));
        }
    }

    /// <summary>Adds a lock; <paramref name="location"/> is where the name starts, when known.</summary>
    internal void Add(LockLevel level, RelationName relation, string reason, int location = int.MaxValue)
    {
        if (level == LockLevel.None || relation.Name.Length == 0)
        {
            return;
        }
        location = location < 0 ? int.MaxValue : location; // -1: PostgreSQL does not know either
        var entry = _entries.Find(e => e.Relation == relation);
        if (entry is null)
        {
            _entries.Add(new Entry(relation, level, [reason], location));
            return;
        }
        entry.Location = Math.Min(entry.Location, location);
        if (level > entry.Level)
        {
            entry.Level = level;
            entry.Reasons.Clear();
            entry.Reasons.Add(reason);
        }
        else if (level == entry.Level && !entry.Reasons.Contains(reason))
        {
            entry.Reasons.Add(reason);
        }
    }

    internal IReadOnlyList<TableLock> ToList() =>
        [.. _entries.OrderBy(e => e.Location).Select(e => new TableLock(e.Level, e.Relation, string.Join("; ", e.Reasons)))];

    private sealed class Entry(RelationName relation, LockLevel level, List<string> reasons, int location)
    {
        public RelationName Relation { get; } = relation;

        public LockLevel Level { get; set; } = level;

        public List<string> Reasons { get; } = reasons;

        public int Location { get; set; } = location;
    }
}
