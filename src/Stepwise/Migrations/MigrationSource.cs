using System.IO.Enumeration;
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
        new(path, "the migration directory does not exist", "create it with: stepwise new <name> (or pass --dir)",
            // Every entry but other folders: files, links (dangling ones too) and directories named like a migration, which must be reported, not skipped.
            () => Entries(path) is { } all ? [.. all.Where(e => !IsFolder(e.Name, e.IsDirectory)).Select(e => new MigrationSourceFile(e.Name, e.Path, max => ReadFile(e.Path, max)))] : null,
            () => Entries(path) is { } all ? [.. all.Where(e => IsFolder(e.Name, e.IsDirectory)).Select(e => new MigrationSourceFolder(e.Name, name => File.Exists(System.IO.Path.Combine(e.Path, name))))] : []);

    /// <summary>The entries of a folder, each with whether it is a directory (from the listing itself: no stat per entry, except for links); null when there is no folder.</summary>
    private static List<(string Name, string Path, bool IsDirectory)>? Entries(string path) => !Directory.Exists(path) ? null
        : [.. new FileSystemEnumerable<(string, string, bool)>(path, (ref FileSystemEntry e) => (e.FileName.ToString(), e.ToSpecifiedFullPath(), e.IsDirectory),
            new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false })]; // as Directory.EnumerateFileSystemEntries: hidden files listed, an unreadable folder an error

    /// <summary>A directory that is not named like a migration file (another tool's migration folder, say).</summary>
    private static bool IsFolder(string name, bool isDirectory) =>
        isDirectory && System.IO.Path.GetExtension(name).ToLowerInvariant() is not (".sql" or ".yaml" or ".yml" or ".json");

    /// <summary>
    /// A file's length and, unless it is longer than <paramref name="maxBytes"/>, its bytes: one open, one stat and the reads,
    /// since a directory of a thousand migrations is read by every <c>status</c> and <c>apply</c>. Failures become a reason a
    /// person can act on.
    /// </summary>
    private static (long Length, byte[]? Content) ReadFile(string file, long maxBytes)
    {
        try
        {
            using var handle = File.OpenHandle(file);
            var length = RandomAccess.GetLength(handle);
            if (length > maxBytes)
            {
                return (length, null);
            }
            var bytes = new byte[length];
            var read = 0;
            while (read < bytes.Length && RandomAccess.Read(handle, bytes.AsSpan(read), read) is var n and > 0)
            {
                read += n;
            }
            return (length, read == bytes.Length ? bytes : bytes[..read]);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (Directory.Exists(file))
            {
                throw new MigrationFileUnreadableException("a directory where a migration file is expected", "move it out of the migration directory, or rename it");
            }
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
        var list = files.Select(f => new MigrationSourceFile(f.FileName, System.IO.Path.Combine(path, f.FileName), max => (f.Content.Length, f.Content.Length > max ? null : f.Content))).ToList();
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
                    max => ReadResource(assembly, name, max)))];
            });
    }

    /// <summary>The files (names without any folder), or null when the directory does not exist.</summary>
    internal IReadOnlyList<MigrationSourceFile>? List() => _list();

    /// <summary>The folders inside (none for sources other than a folder on disk): Stepwise reads none of them.</summary>
    internal IReadOnlyList<MigrationSourceFolder> Folders() => _folders();

    private static Stream Open(Assembly assembly, string name) =>
        assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"embedded resource {name} disappeared from {assembly.GetName().Name}");

    private static (long Length, byte[]? Content) ReadResource(Assembly assembly, string name, long maxBytes)
    {
        using var stream = Open(assembly, name);
        if (stream.Length > maxBytes)
        {
            return (stream.Length, null);
        }
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return (stream.Length, copy.ToArray());
    }

    /// <inheritdoc />
    public override string ToString() => Path;
}

/// <summary>A migration source's file that cannot be read, with the reason and what to do.</summary>
internal sealed class MigrationFileUnreadableException(string reason, string hint) : IOException(reason)
{
    public string Hint { get; } = hint;
}

/// <summary>
/// One file of a <see cref="MigrationSource"/>: its name, how messages name it, and its length and bytes, read on demand;
/// <see cref="ReadUpTo"/> leaves the bytes out (null) when the file is longer than the limit it is given.
/// </summary>
internal sealed record MigrationSourceFile(string FileName, string DisplayPath, Func<long, (long Length, byte[]? Content)> ReadUpTo)
{
    /// <summary>The whole file.</summary>
    public byte[] Read() => ReadUpTo(long.MaxValue).Content!;
}

/// <summary>A folder inside a <see cref="MigrationSource"/>: its name, and whether it holds a file of a given name.</summary>
internal sealed record MigrationSourceFolder(string Name, Func<string, bool> HasFile);
