using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Stepwise.Sql;

/// <summary>
/// Runs a call into libpg_query on a thread with stack enough for its input. PostgreSQL's parser checks its own stack
/// depth only where the server has set a base pointer, which libpg_query never does, so nothing stops it: printing a
/// tree as JSON recurses once per level, and <c>1+1+...+1</c> nests a level every two bytes. Past the thread's stack
/// the process dies (SIGSEGV), whatever the caller does. Measured on libpg_query 15-4.0: 65 bytes of stack per byte of
/// input for <c>+</c> chains, the worst of the shapes tried (<c>||</c> 43, nested subqueries 58, casts 13; nesting
/// that the grammar's own stack limits, 10,000 levels, ends in a syntax error instead).
/// </summary>
/// <remarks>
/// Long inputs go to a few long-lived parser threads with big stacks rather than to a new thread each: every thread
/// that calls libpg_query creates a pthread key of its own (of 1,024 per process) that is never deleted.
/// </remarks>
internal static class NativeStack
{
    /// <summary>Stack allowed per byte of input: twice the worst measured.</summary>
    internal const int BytesPerInputByte = 128;

    /// <summary>Inputs up to this size run on the calling thread (512 KiB of stack at most, on threads that have 1.5 MiB or more).</summary>
    internal const int InlineInputBytes = 4 * 1024;

    /// <summary>Stack for the native code's own frames and what runs around the call, beyond what the input needs.</summary>
    private const int BaseStack = 1024 * 1024;

    /// <summary>Stack of each parser thread: inputs up to about 500 KB. The reservation is virtual; pages are touched only as deep as the parser goes.</summary>
    private const int WorkerStack = 64 * 1024 * 1024;

    /// <summary>The largest stack asked for (a 4 MB statement).</summary>
    private const int MaxStack = 512 * 1024 * 1024;

    private static readonly BlockingCollection<Action> s_work = [];
    private static readonly Lazy<bool> s_workers = new(StartWorkers);

    /// <summary>
    /// Runs <paramref name="call"/> here when <paramref name="inputBytes"/> is small, else on a parser thread with the
    /// stack it needs, and waits for it.
    /// </summary>
    internal static T Run<T>(int inputBytes, Func<T> call)
    {
        if (inputBytes <= InlineInputBytes)
        {
            return call();
        }
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        using var done = new ManualResetEventSlim();
        void Work()
        {
            try
            {
                result = call();
            }
            catch (Exception ex)
            {
                failure = ExceptionDispatchInfo.Capture(ex);
            }
            finally
            {
                done.Set();
            }
        }
        var stack = StackFor(inputBytes);
        if (stack <= WorkerStack)
        {
            _ = s_workers.Value;
            s_work.Add(Work);
        }
        else
        {
            // Rare: one statement of hundreds of KB. Its own thread.
            new Thread(Work, stack) { IsBackground = true, Name = "stepwise parser (long input)" }.Start();
        }
        done.Wait();
        failure?.Throw();
        return result;
    }

    internal static int StackFor(int inputBytes) => (int)Math.Min(MaxStack, BaseStack + ((long)inputBytes * BytesPerInputByte));

    /// <summary>Starts the parser threads now, each with libpg_query's per-thread state set up, and returns once they are ready.</summary>
    internal static void EnsureWorkers() => _ = s_workers.Value;

    private static bool StartWorkers()
    {
        // Each thread sets up its parser state before taking work, and this returns once all have: what the set-up
        // allocates (it lives as long as the thread) is allocated here, not in the middle of someone's first long parse.
        using var ready = new CountdownEvent(Environment.ProcessorCount);
        for (var i = 0; i < Environment.ProcessorCount; i++)
        {
            new Thread(() =>
            {
                try
                {
                    PgQuery.EnsureThreadReady();
                }
                finally
                {
                    ready.Signal();
                }
                foreach (var work in s_work.GetConsumingEnumerable())
                {
                    work();
                }
            }, WorkerStack)
            { IsBackground = true, Name = "stepwise parser" }.Start();
        }
        ready.Wait();
        return true;
    }
}
