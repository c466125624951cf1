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
    // libpg_query keeps parser state per thread, but builds made without DEBUG point the process's
    // stderr (fd 2) at a pipe and back with dup2 around every parse, and two threads doing that at
    // once can leave fd 2 on a closed pipe. Debian's build does not, but the fallback name may load
    // another build: one native call at a time, process-wide (parsing is not the bottleneck).
    private static readonly Lock s_native = new();

    internal readonly record struct NativeError(string Message, int CursorPosition, string? Context);

    internal readonly record struct RawStatement(int Location, int Length, JsonElement Node);

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
                lock (s_native)
                {
                    return withTrees ? ParseTree(input) : SplitOnly(input);
                }
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
            var statements = new List<RawStatement>();
            var root = ReadJson(result.ParseTree);
            if (root.TryGetProperty("stmts", out var stmts))
            {
                foreach (var raw in stmts.EnumerateArray())
                {
                    var location = raw.TryGetProperty("stmt_location", out var l) ? l.GetInt32() : 0;
                    var length = raw.TryGetProperty("stmt_len", out var n) ? n.GetInt32() : 0;
                    statements.Add(new RawStatement(location, length, raw.GetProperty("stmt")));
                }
            }
            return (statements, null);
        }
        finally
        {
            PgQueryNative.FreeParseResult(result);
        }
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
        lock (s_native)
        {
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
        var reader = new Utf8JsonReader(span);
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
