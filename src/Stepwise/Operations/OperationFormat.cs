namespace Stepwise.Operations;

/// <summary>
/// How one operation is written in a file: its name (with any alias pgroll also uses), the fields it takes and how
/// they are read into its record. Each operation declares its format in its own file (<see cref="IOperationFormat"/>);
/// the reader finds them all here, so an operation is registered once and its name is written once.
/// </summary>
/// <param name="names">The name in the file first, then aliases read the same way.</param>
/// <param name="fields">Every field the operation takes: any other is reported with the nearest of these.</param>
/// <param name="read">Reads the fields (given the name used); reports problems through the fields and returns null after one.</param>
internal sealed class OperationFormat(IReadOnlyList<string> names, IReadOnlyList<string> fields, Func<YamlFields, string, Operation?> read)
{
    /// <summary>An operation with one name.</summary>
    public OperationFormat(string name, IReadOnlyList<string> fields, Func<YamlFields, Operation?> read)
        : this([name], fields, (f, _) => read(f))
    {
    }

    /// <summary>The operation's name in the file.</summary>
    public string Name => Names[0];

    /// <summary>Every name the file may use for it.</summary>
    public IReadOnlyList<string> Names { get; } = names;

    /// <summary>The fields it takes.</summary>
    public IReadOnlyList<string> Fields { get; } = fields;

    /// <summary>Reads an operation written as <paramref name="name"/>; null after a problem (reported in <paramref name="fields"/>' file).</summary>
    public Operation? Read(YamlFields fields, string name) => read(fields, name);

    // Listed here rather than found by reflection, so that trimming and Native AOT keep every operation; a unit test
    // (OperationFormatTests) fails when an operation type with a format is missing from this list.
    private static readonly Dictionary<Type, OperationFormat> s_byType = new[]
    {
        Entry<AddColumn>(),
        Entry<AlterColumn>(),
        Entry<AssertOperation>(),
        Entry<Backfill>(),
        Entry<CreateConstraint>(),
        Entry<CreateIndex>(),
        Entry<CreateTable>(),
        Entry<CreateView>(),
        Entry<DropColumn>(),
        Entry<DropConstraint>(),
        Entry<DropIndex>(),
        Entry<DropTable>(),
        Entry<RawSql>(),
        Entry<RenameColumn>(),
        Entry<RenameConstraint>(),
        Entry<RenameTable>(),
        Entry<SetReplicaIdentity>(),
    }.ToDictionary(e => e.Type, e => e.Format);

    /// <summary>Every operation's format, by each name it may be written as.</summary>
    public static IReadOnlyDictionary<string, OperationFormat> ByName { get; } = s_byType.Values
        .SelectMany(f => f.Names.Select(n => (Name: n, Format: f)))
        .ToDictionary(x => x.Name, x => x.Format, StringComparer.Ordinal);

    /// <summary>Every operation type that declares a format.</summary>
    public static IReadOnlyCollection<Type> Types => s_byType.Keys;

    /// <summary>The format of an operation type.</summary>
    public static OperationFormat Of(Type type) =>
        s_byType.TryGetValue(type, out var format) ? format : throw new InvalidOperationException($"{type.Name} declares no {nameof(IOperationFormat)}");

    private static (Type Type, OperationFormat Format) Entry<T>()
        where T : Operation, IOperationFormat => (typeof(T), T.Format);
}

/// <summary>An operation readable from a file: declares its <see cref="OperationFormat"/> beside its planning.</summary>
internal interface IOperationFormat
{
    /// <summary>The operation's name, fields and reading.</summary>
    static abstract OperationFormat Format { get; }
}
