using System.Diagnostics;

namespace Stepwise.Embedded;

/// <summary>
/// Copies what a server process prints to a log file in its instance directory, and keeps the last lines
/// for error messages. The library never writes to the console, so the server must not either.
/// </summary>
internal sealed class ServerLog : IDisposable
{
    private const int TailLength = 25;

    private readonly Lock _gate = new();
    private readonly StreamWriter _file;
    private readonly Queue<string> _tail = new();
    private bool _closed;

    internal ServerLog(string path)
    {
        _file = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
        {
            AutoFlush = true,
        };
    }

    internal void Attach(Process process)
    {
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    internal string Tail()
    {
        lock (_gate)
        {
            return _tail.Count == 0 ? "(the server printed nothing)" : string.Join('\n', _tail);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _closed = true;
            _file.Dispose();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }
            _tail.Enqueue(line);
            if (_tail.Count > TailLength)
            {
                _tail.Dequeue();
            }
            try
            {
                _file.WriteLine(line);
            }
            catch (IOException)
            {
                // A full disk must not take the server down with it; the tail is still kept.
            }
        }
    }
}
