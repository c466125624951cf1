using Npgsql;
using Stepwise.Sql;

namespace Stepwise.Execution;

/// <summary>The work connection's session lock_timeout and statement_timeout, each sent only when it changes.</summary>
internal sealed class SessionTimeouts(NpgsqlConnection work)
{
    private TimeSpan? _lockTimeout;
    private TimeSpan? _statementTimeout;

    /// <summary>Forgets what was set (user SQL may have set either since): the next call sends its value again.</summary>
    public void Forget() => (_lockTimeout, _statementTimeout) = (null, null);

    public async Task SetLockTimeoutAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_lockTimeout != timeout)
        {
            await SetAsync("lock_timeout", timeout, cancellationToken);
            _lockTimeout = timeout;
        }
    }

    /// <summary>Sets statement_timeout (zero: none).</summary>
    public async Task SetStatementTimeoutAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_statementTimeout != timeout)
        {
            await SetAsync("statement_timeout", timeout, cancellationToken);
            _statementTimeout = timeout;
        }
    }

    private async Task SetAsync(string setting, TimeSpan value, CancellationToken cancellationToken)
    {
        await using var set = new NpgsqlCommand($"SET {setting} = {Quote.Duration(value)}", work);
        await set.ExecuteNonQueryAsync(cancellationToken);
    }
}
