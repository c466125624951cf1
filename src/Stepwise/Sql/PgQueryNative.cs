using System.Reflection;
using System.Runtime.InteropServices;

namespace Stepwise.Sql;

/// <summary>
/// P/Invoke surface of libpg_query (PostgreSQL 15 parser, Debian package <c>libpg-query1504.0</c>).
/// Every result struct returned here must be released with its matching <c>pg_query_free_*</c> call;
/// <see cref="PgQuery"/> is the only caller and does so in <c>finally</c> blocks.
/// libpg_query keeps its parser state in thread-local memory contexts, so calls are safe from many threads.
/// </summary>
internal static unsafe partial class PgQueryNative
{
    internal const string LibraryName = "pg_query";

    /// <summary>File names tried, in order, when the runtime asks for <see cref="LibraryName"/>.</summary>
    internal static readonly string[] Candidates = ["libpg_query.so.1504.0", "libpg_query"];

    internal const string InstallHint =
        "PostgreSQL's parser (libpg_query) could not be loaded. Install it with: sudo apt-get install -y libpg-query1504.0";

    static PgQueryNative()
    {
        NativeLibrary.SetDllImportResolver(typeof(PgQueryNative).Assembly, Resolve);
    }

    /// <summary>Loads the library once, turning failure into one exception that names the package to install.</summary>
    internal static void EnsureLoaded()
    {
        if (s_handle != IntPtr.Zero)
        {
            return;
        }
        lock (s_gate)
        {
            if (s_handle == IntPtr.Zero)
            {
                s_handle = Load(Candidates);
            }
        }
    }

    /// <summary>
    /// True when the loaded build redirects the process's stderr around every call (builds without
    /// DEBUG import <c>dup2</c> for it): such a build must be called by one thread at a time.
    /// Debian's does not, so parsing can use every core. Unknown means true.
    /// </summary>
    internal static bool RedirectsStderr
    {
        get
        {
            // Once: the first files are linted on every core at once, and each would otherwise read the library.
            if (s_redirectsStderr is not { } known)
            {
                lock (s_gate)
                {
                    known = s_redirectsStderr ??= ImportsDup2();
                }
            }
            return known;
        }
    }

    private static bool? s_redirectsStderr;

    private static bool ImportsDup2()
    {
        try
        {
            EnsureLoaded();
            var symbol = NativeLibrary.GetExport(s_handle, "pg_query_parse");
            if (DlAddr(symbol, out var info) == 0 || info.FileName == IntPtr.Zero || Marshal.PtrToStringUTF8(info.FileName) is not { } path)
            {
                return true;
            }
            // The dynamic string table holds the names of imported functions, each between NUL bytes.
            return FileContains(path, "\0dup2\0"u8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or EntryPointNotFoundException or DllNotFoundException)
        {
            return true;
        }
    }

    /// <summary>Bytes of a file read at a time by <see cref="FileContains"/>.</summary>
    internal const int ScanChunkBytes = 16 * 1024;

    /// <summary>
    /// Whether the file holds <paramref name="needle"/>, read a small piece at a time. Not File.ReadAllBytes: the library
    /// is 2.7 MB, an array that size goes to the large object heap, and the GC kept that heap's memory committed (and
    /// resident) for the rest of the process: 5.3 MB of a 35 MB lint of 1,000 files, when two threads both read it.
    /// </summary>
    internal static bool FileContains(string path, ReadOnlySpan<byte> needle)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        var buffer = new byte[ScanChunkBytes + needle.Length];
        // Each piece is read behind the last needle.Length - 1 bytes of the one before, so a match across two pieces is seen.
        var kept = 0;
        int read;
        while ((read = file.Read(buffer, kept, buffer.Length - kept)) > 0)
        {
            var filled = kept + read;
            if (buffer.AsSpan(0, filled).IndexOf(needle) >= 0)
            {
                return true;
            }
            kept = Math.Min(needle.Length - 1, filled);
            buffer.AsSpan(filled - kept, kept).CopyTo(buffer);
        }
        return false;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct DlInfo
    {
        public IntPtr FileName;
        public IntPtr FileBase;
        public IntPtr SymbolName;
        public IntPtr SymbolAddress;
    }

    [LibraryImport("libc", EntryPoint = "dladdr")]
    private static partial int DlAddr(IntPtr address, out DlInfo info);

    /// <summary>The first of <paramref name="candidates"/> that loads.</summary>
    /// <exception cref="SqlParserUnavailableException">None loads.</exception>
    internal static IntPtr Load(IReadOnlyList<string> candidates)
    {
        Exception? last = null;
        foreach (var candidate in candidates)
        {
            try
            {
                if (NativeLibrary.TryLoad(candidate, typeof(PgQueryNative).Assembly, DllImportSearchPath.SafeDirectories | DllImportSearchPath.AssemblyDirectory, out var handle))
                {
                    return handle;
                }
            }
            catch (BadImageFormatException ex)
            {
                last = ex;
            }
        }
        throw new SqlParserUnavailableException(InstallHint, last ?? new DllNotFoundException($"tried {string.Join(", ", candidates)}"));
    }

    private static readonly object s_gate = new();
    private static IntPtr s_handle;

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != LibraryName)
        {
            return IntPtr.Zero;
        }
        EnsureLoaded();
        return s_handle;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct PgQueryError
    {
        public byte* Message;
        public byte* FuncName;
        public byte* FileName;
        public int LineNo;
        public int CursorPos;
        public byte* Context;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct PgQueryParseResult
    {
        public byte* ParseTree;
        public byte* StderrBuffer;
        public PgQueryError* Error;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct PgQuerySplitStmt
    {
        public int StmtLocation;
        public int StmtLen;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct PgQuerySplitResult
    {
        public PgQuerySplitStmt** Stmts;
        public int NStmts;
        public byte* StderrBuffer;
        public PgQueryError* Error;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct PgQueryPlpgsqlParseResult
    {
        public byte* PlpgsqlFuncs;
        public PgQueryError* Error;
    }

    [LibraryImport(LibraryName, EntryPoint = "pg_query_init")]
    internal static partial void Init();

    [LibraryImport(LibraryName, EntryPoint = "pg_query_parse")]
    internal static partial PgQueryParseResult Parse(byte* input);

    [LibraryImport(LibraryName, EntryPoint = "pg_query_free_parse_result")]
    internal static partial void FreeParseResult(PgQueryParseResult result);

    [LibraryImport(LibraryName, EntryPoint = "pg_query_split_with_parser")]
    internal static partial PgQuerySplitResult SplitWithParser(byte* input);

    [LibraryImport(LibraryName, EntryPoint = "pg_query_free_split_result")]
    internal static partial void FreeSplitResult(PgQuerySplitResult result);

    [LibraryImport(LibraryName, EntryPoint = "pg_query_parse_plpgsql")]
    internal static partial PgQueryPlpgsqlParseResult ParsePlpgsql(byte* input);

    [LibraryImport(LibraryName, EntryPoint = "pg_query_free_plpgsql_parse_result")]
    internal static partial void FreePlpgsqlParseResult(PgQueryPlpgsqlParseResult result);
}

/// <summary>Thrown when libpg_query, PostgreSQL's parser, is not installed on this machine.</summary>
public sealed class SqlParserUnavailableException : Exception
{
    /// <summary>Creates the exception with a message that names the package to install.</summary>
    public SqlParserUnavailableException(string message, Exception? inner) : base(message, inner)
    {
    }
}
