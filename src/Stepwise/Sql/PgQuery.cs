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
    /// Parse trees nest as deep as the SQL does (a parenthesised expression or subquery is a few JSON levels, and
    /// <c>1+1+...</c> two per operator): no limit of the reader's own. Nothing that reads a tree recurses
    /// (<see cref="NodeFields.Read"/>), and <see cref="NativeStack"/> gives the parser the stack the input needs.
    /// </summary>
    internal const int MaxTreeDepth = int.MaxValue;

    internal static readonly JsonReaderOptions TreeJson = new() { MaxDepth = MaxTreeDepth };

    // libpg_query keeps parser state per thread, but builds made without DEBUG point the process's
    // stderr (fd 2) at a pipe and back with dup2 around every parse, and two threads doing that at
    // once can leave fd 2 on a closed pipe. Such a build gets one native call at a time; Debian's
    // does not redirect, so it is called from many threads at once.
    private static readonly Lock s_native = new();

    // A thread's first call sets up libpg_query's state for that thread (all of it thread-local), and that set-up also
    // writes one process-wide variable (the pthread key that frees it at thread exit): the set-up runs one thread at a
    // time, on its own, before the thread's first parse; the parses themselves then run at once.
    [ThreadStatic]
    private static bool t_initialized;

    /// <summary>Sets up libpg_query's state for the calling thread, once (the parser threads do it as they start).</summary>
    internal static void EnsureThreadReady()
    {
        if (!t_initialized)
        {
            PgQueryNative.EnsureLoaded();
            lock (s_native)
            {
                PgQueryNative.Init();
            }
            t_initialized = true;
        }
    }

    private static NativeCall Serialize()
    {
        EnsureThreadReady();
        var gate = PgQueryNative.RedirectsStderr ? s_native : null;
        gate?.Enter();
        return new NativeCall(gate);
    }

    /// <summary>Holds the process-wide gate for one native call, when the build needs it.</summary>
    private readonly ref struct NativeCall(Lock? gate)
    {
        public void Dispose() => gate?.Exit();
    }

    internal readonly record struct NativeError(string Message, int CursorPosition, string? Context);

    /// <summary>A statement's place and, when parsed with trees, its tree (read from the parser's JSON, which is then freed).</summary>
    internal readonly record struct RawStatement(int Location, int Length, StatementTree? Tree);

    /// <summary>Statements with byte locations relative to <paramref name="utf8"/>; a length of 0 means "to the end".</summary>
    internal static (List<RawStatement> Statements, NativeError? Error) Parse(ReadOnlySpan<byte> utf8, bool withTrees)
    {
        PgQueryNative.EnsureLoaded();
        var buffer = ArrayPool<byte>.Shared.Rent(utf8.Length + 1);
        try
        {
            utf8.CopyTo(buffer);
            buffer[utf8.Length] = 0;
            return NativeStack.Run(utf8.Length, () =>
            {
                fixed (byte* input = buffer)
                {
                    using var serialized = Serialize();
                    return withTrees ? ParseTree(input) : SplitOnly(input);
                }
            });
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
            return (ReadStatements(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(result.ParseTree)), null);
        }
        finally
        {
            PgQueryNative.FreeParseResult(result);
        }
    }

    /// <summary>
    /// Walks <c>{"version":..,"stmts":[{"stmt":{..},"stmt_location":n,"stmt_len":n},..]}</c> once, straight
    /// from native memory, reading each statement's tree into managed objects; the JSON itself is never copied.
    /// </summary>
    private static List<RawStatement> ReadStatements(ReadOnlySpan<byte> json)
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
                StatementTree? tree = null;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("stmt"u8))
                    {
                        reader.Read();
                        tree = new StatementTree(SqlNode.FromValue(NodeFields.Read(ref reader)));
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
                statements.Add(new RawStatement(location, length, tree));
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
        return NativeStack.Run(bytes.Length, () =>
        {
            fixed (byte* input = bytes)
            {
                using var serialized = Serialize();
                var result = PgQueryNative.ParsePlpgsql(input);
                try
                {
                    return result.Error != null ? (default, ReadError(result.Error)) : (ReadJson(result.PlpgsqlFuncs), (NativeError?)null);
                }
                finally
                {
                    PgQueryNative.FreePlpgsqlParseResult(result);
                }
            }
        });
    }

    private static JsonElement ReadJson(byte* json)
    {
        var span = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(json);
        var reader = new Utf8JsonReader(span, TreeJson);
        // One copy, into an element that owns its memory and needs no Dispose (not a document and then a clone of it).
        return JsonElement.ParseValue(ref reader);
    }

    private static NativeError ReadError(PgQueryNative.PgQueryError* error)
    {
        var message = error->Message == null ? "syntax error" : Marshal.PtrToStringUTF8((IntPtr)error->Message) ?? "syntax error";
        var context = error->Context == null ? null : Marshal.PtrToStringUTF8((IntPtr)error->Context);
        return new NativeError(message, error->CursorPos, string.IsNullOrWhiteSpace(context) ? null : context);
    }
}
