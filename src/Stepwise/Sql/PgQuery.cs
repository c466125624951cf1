using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Stepwise.Sql;

/// <summary>
/// Managed wrappers over the native calls: copy the input into a NUL-terminated buffer, call, copy
/// every result into managed values, and free the native result in all cases.
/// </summary>
internal static unsafe class PgQuery
{
    /// <summary>
    /// Parse trees nest as deep as the SQL does (a parenthesised expression or subquery is a few JSON levels):
    /// far past System.Text.Json's default of 64 for legitimate SQL. PostgreSQL's parser stops deeper input itself.
    /// </summary>
    internal const int MaxTreeDepth = 100_000;

    internal static readonly JsonReaderOptions TreeJson = new() { MaxDepth = MaxTreeDepth };

    internal static readonly JsonDocumentOptions TreeDocument = new() { MaxDepth = MaxTreeDepth };

    // libpg_query keeps parser state per thread, but builds made without DEBUG point the process's
    // stderr (fd 2) at a pipe and back with dup2 around every parse, and two threads doing that at
    // once can leave fd 2 on a closed pipe. Such a build gets one native call at a time; Debian's
    // does not redirect, so it is called from many threads at once.
    private static readonly Lock s_native = new();

    // A thread's first call sets up libpg_query's state for that thread, and that set-up touches process-wide state too
    // (a pthread key for freeing it at thread exit): first calls go one at a time. The native executable runs several
    // parser threads from its first millisecond, with no JIT to stagger them.
    [ThreadStatic]
    private static bool t_initialized;

    private static NativeCall Serialize()
    {
        var gate = PgQueryNative.RedirectsStderr || !t_initialized ? s_native : null;
        gate?.Enter();
        t_initialized = true;
        return new NativeCall(gate);
    }

    /// <summary>Holds the process-wide gate for one native call, when the build needs it.</summary>
    private readonly ref struct NativeCall(Lock? gate)
    {
        public void Dispose() => gate?.Exit();
    }

    internal readonly record struct NativeError(string Message, int CursorPosition, string? Context);

    /// <summary>A statement's place and, when parsed with trees, its own JSON (read lazily by <see cref="StatementTree"/>).</summary>
    internal readonly record struct RawStatement(int Location, int Length, byte[]? Json);

    /// <summary>Statements with byte locations relative to <paramref name="utf8"/>; a length of 0 means "to the end".</summary>
    internal static (List<RawStatement> Statements, NativeError? Error) Parse(ReadOnlySpan<byte> utf8, bool withTrees)
    {
        PgQueryNative.EnsureLoaded();
        var buffer = ArrayPool<byte>.Shared.Rent(utf8.Length + 1);
        try
        {
            utf8.CopyTo(buffer);
            buffer[utf8.Length] = 0;
            fixed (byte* input = buffer)
            {
                using var serialized = Serialize();
                return withTrees ? ParseTree(input) : SplitOnly(input);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static (List<RawStatement>, NativeError?) ParseTree(byte* input)
    {
        var result = PgQueryNative.Parse(input);
        try
        {
            if (result.Error != null)
            {
                return ([], ReadError(result.Error));
            }
            return (SliceStatements(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(result.ParseTree)), null);
        }
        finally
        {
            PgQueryNative.FreeParseResult(result);
        }
    }

    /// <summary>
    /// Walks <c>{"version":..,"stmts":[{"stmt":{..},"stmt_location":n,"stmt_len":n},..]}</c> once, straight
    /// from native memory, and keeps each statement's own JSON. One big document for a long script
    /// would cost several copies of megabytes; small ones are parsed only when a tree is read.
    /// </summary>
    private static List<RawStatement> SliceStatements(ReadOnlySpan<byte> json)
    {
        var statements = new List<RawStatement>();
        var reader = new Utf8JsonReader(json, TreeJson);
        reader.Read(); // {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("stmts"u8))
            {
                reader.Read();
                reader.Skip();
                continue;
            }
            reader.Read(); // [
            while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                int location = 0, length = 0;
                byte[]? stmt = null;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("stmt"u8))
                    {
                        reader.Read();
                        var start = (int)reader.TokenStartIndex;
                        reader.Skip();
                        stmt = json[start..((int)reader.TokenStartIndex + 1)].ToArray();
                    }
                    else if (reader.ValueTextEquals("stmt_location"u8))
                    {
                        reader.Read();
                        location = reader.GetInt32();
                    }
                    else if (reader.ValueTextEquals("stmt_len"u8))
                    {
                        reader.Read();
                        length = reader.GetInt32();
                    }
                    else
                    {
                        reader.Read();
                        reader.Skip();
                    }
                }
                statements.Add(new RawStatement(location, length, stmt));
            }
        }
        return statements;
    }

    private static (List<RawStatement>, NativeError?) SplitOnly(byte* input)
    {
        var result = PgQueryNative.SplitWithParser(input);
        try
        {
            if (result.Error != null)
            {
                return ([], ReadError(result.Error));
            }
            var statements = new List<RawStatement>(result.NStmts);
            for (var i = 0; i < result.NStmts; i++)
            {
                var stmt = result.Stmts[i];
                statements.Add(new RawStatement(stmt->StmtLocation, stmt->StmtLen, default));
            }
            return (statements, null);
        }
        finally
        {
            PgQueryNative.FreeSplitResult(result);
        }
    }

    /// <summary>The PL/pgSQL functions of a DO block or CREATE FUNCTION statement, as JSON.</summary>
    internal static (JsonElement Functions, NativeError? Error) ParsePlpgsql(string statement)
    {
        PgQueryNative.EnsureLoaded();
        var bytes = Encoding.UTF8.GetBytes(statement + "\0");
        fixed (byte* input = bytes)
        {
            using var serialized = Serialize();
            var result = PgQueryNative.ParsePlpgsql(input);
            try
            {
                if (result.Error != null)
                {
                    return (default, ReadError(result.Error));
                }
                return (ReadJson(result.PlpgsqlFuncs), null);
            }
            finally
            {
                PgQueryNative.FreePlpgsqlParseResult(result);
            }
        }
    }

    private static JsonElement ReadJson(byte* json)
    {
        var span = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(json);
        var reader = new Utf8JsonReader(span, TreeJson);
        // ParseValue copies into a document that owns its memory and needs no Dispose.
        using var document = JsonDocument.ParseValue(ref reader);
        return document.RootElement.Clone();
    }

    private static NativeError ReadError(PgQueryNative.PgQueryError* error)
    {
        var message = error->Message == null ? "syntax error" : Marshal.PtrToStringUTF8((IntPtr)error->Message) ?? "syntax error";
        var context = error->Context == null ? null : Marshal.PtrToStringUTF8((IntPtr)error->Context);
        return new NativeError(message, error->CursorPos, string.IsNullOrWhiteSpace(context) ? null : context);
    }
}
