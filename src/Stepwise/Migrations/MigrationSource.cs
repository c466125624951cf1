using System.Reflection;

namespace Stepwise.Migrations;

/// <summary>
/// Where the files of a migration directory come from: a folder on disk, the embedded resources of an
/// assembly (so an application ships its migrations inside itself), or files given in memory. Messages
/// name files as <c>&lt;<see cref="Path"/>&gt;/&lt;file&gt;</c> whatever the source.
/// </summary>
public sealed class MigrationSource
{
    private readonly Func<IReadOnlyList<MigrationSourceFile>?> _list;

    private readonly Func<IReadOnlyList<MigrationSourceFolder>> _folders;

    private MigrationSource(string path, string missing, string missingHint, Func<IReadOnlyList<MigrationSourceFile>?> list, Func<IReadOnlyList<MigrationSourceFolder>>? folders = null)
    {
        Path = path;
        Missing = missing;
        MissingHint = missingHint;
        _list = list;
        _folders = folders ?? (() => []);
    }

    /// <summary>How messages name the directory: the folder, or for other sources the folder they were built from.</summary>
    public string Path { get; }

    /// <summary>What is wrong when <see cref="List"/> finds no directory at all.</summary>
    internal string Missing { get; }

    internal string MissingHint { get; }

    /// <summary>The folder at <paramref name="path"/> (relative paths against the current directory).</summary>
    public static MigrationSource FromDirectory(string path) =>
        new(path, "the migration directory does not exist", "create it with: stepwise new <name> (or pass --dir)", () =>
            !Directory.Exists(path) ? null
                // Every entry but other folders: files, links (dangling ones too) and directories named like a migration, which must be reported, not skipped.
                : [.. Directory.EnumerateFileSystemEntries(path).Where(entry => !IsFolder(entry)).Select(file => new MigrationSourceFile(
                    System.IO.Path.GetFileName(file), file, () => Guard(file, () => new FileInfo(file).Length), () => Guard(file, () => File.ReadAllBytes(file))))],
            () => !Directory.Exists(path) ? []
                : [.. Directory.EnumerateDirectories(path).Where(IsFolder).Select(d => new MigrationSourceFolder(System.IO.Path.GetFileName(d),
                    name => File.Exists(System.IO.Path.Combine(d, name))))]);

    /// <summary>A directory that is not named like a migration file (another tool's migration folder, say).</summary>
    private static bool IsFolder(string entry) =>
        Directory.Exists(entry) && System.IO.Path.GetExtension(entry).ToLowerInvariant() is not (".sql" or ".yaml" or ".yml" or ".json");

    /// <summary>Runs a file-system read, turning its failure into a reason a person can act on.</summary>
    private static T Guard<T>(string file, Func<T> read)
    {
        try
        {
            if (Directory.Exists(file))
            {
                throw new MigrationFileUnreadableException("a directory where a migration file is expected", "move it out of the migration directory, or rename it");
            }
            return read();
        }
        catch (Exception ex) when (ex is (IOException and not MigrationFileUnreadableException) or UnauthorizedAccessException)
        {
            throw Unreadable(file, ex);
        }
    }

    private static MigrationFileUnreadableException Unreadable(string file, Exception ex)
    {
        var info = new FileInfo(file);
        if (info.LinkTarget is { } target)
        {
            try
            {
                if (info.ResolveLinkTarget(returnFinalTarget: true) is not { Exists: true })
                {
                    return new($"a symbolic link to {target}, which does not exist", "restore the file it points to, or delete the link");
                }
            }
            catch (IOException)
            {
                return new($"a symbolic link that never reaches a file (it loops through {target})", "point the link at the migration file, or delete it");
            }
        }
        return ex is UnauthorizedAccessException
            ? new("the file cannot be read: permission denied", "let the user running stepwise read it (e.g. chmod a+r), or move it out of the migration directory")
            : new($"the file cannot be read ({ex.Message.TrimEnd('.')})", "check the file and the disk, then try again");
    }

    /// <summary>Files given in memory, named in messages as if they were in <paramref name="path"/>.</summary>
    public static MigrationSource FromFiles(string path, IEnumerable<(string FileName, byte[] Content)> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var list = files.Select(f => new MigrationSourceFile(f.FileName, System.IO.Path.Combine(path, f.FileName), () => f.Content.Length, () => f.Content)).ToList();
        return new(path, "", "", () => list);
    }

    /// <summary>
    /// The embedded resources of <paramref name="assembly"/> named <c>&lt;path&gt;/&lt;file&gt;</c>, which is what
    /// <c>&lt;EmbeddedResource Include="migrations/*" LogicalName="migrations/%(Filename)%(Extension)" /&gt;</c>
    /// in the application's project produces. There must be at least one.
    /// </summary>
    public static MigrationSource FromEmbeddedResources(Assembly assembly, string path = "migrations")
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var prefix = path.Replace('\\', '/').TrimEnd('/') + "/";
        var assemblyName = assembly.GetName().Name;
        return new(path, $"no migrations are embedded in assembly {assemblyName} under the resource name prefix '{prefix}'",
            $"embed them in its project with: <EmbeddedResource Include=\"{path}/*\" LogicalName=\"{prefix}%(Filename)%(Extension)\" />", () =>
            {
                var names = assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.IndexOf('/', prefix.Length) < 0).ToList();
                return names.Count == 0 ? null : [.. names.Select(name => new MigrationSourceFile(name[prefix.Length..], System.IO.Path.Combine(path, name[prefix.Length..]),
                    () => Open(assembly, name).Length, () => ReadAll(assembly, name)))];
            });
    }

    /// <summary>The files (names without any folder), or null when the directory does not exist.</summary>
    internal IReadOnlyList<MigrationSourceFile>? List() => _list();

    /// <summary>The folders inside (none for sources other than a folder on disk): Stepwise reads none of them.</summary>
    internal IReadOnlyList<MigrationSourceFolder> Folders() => _folders();

    private static Stream Open(Assembly assembly, string name) =>
        assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"embedded resource {name} disappeared from {assembly.GetName().Name}");

    private static byte[] ReadAll(Assembly assembly, string name)
    {
        using var stream = Open(assembly, name);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <inheritdoc />
    public override string ToString() => Path;
}

/// <summary>A migration source's file that cannot be read, with the reason and what to do.</summary>
internal sealed class MigrationFileUnreadableException(string reason, string hint) : IOException(reason)
{
    public string Hint { get; } = hint;
}

/// <summary>One file of a <see cref="MigrationSource"/>: its name, how messages name it, and its bytes, read on demand.</summary>

internal sealed record MigrationSourceFile(string FileName, string DisplayPath, Func<long> Length, Func<byte[]> Read);

/// <summary>A folder inside a <see cref="MigrationSource"/>: its name, and whether it holds a file of a given name.</summary>
internal sealed record MigrationSourceFolder(string Name, Func<string, bool> HasFile);
