using System.Text.Json;
using Stepwise.Execution;
using Stepwise.Migrations;

namespace Stepwise.Cli;

/// <summary>
/// The <c>locks</c> section of <c>stepwise.json</c>: the lock policy's numbers for apply, complete and rollback
/// (their command-line options win).
/// </summary>
internal sealed class LockConfig
{
    private static readonly string[] s_known = ["firstLockTimeout", "maxLockWait", "lockDeadline", "cancelAutovacuum", "terminateIdleAfter"];

    private TimeSpan? _first, _max, _deadline, _terminateIdle;
    private bool? _cancelAutovacuum;

    public static LockConfig Read(string path, byte[] bytes, JsonElement section)
    {
        CliException Bad(string at, string message)
        {
            var (line, column) = ConfigFile.Locate(bytes, at);
            return new(ExitCodes.BadInput, $"{path}:{line}:{column}: {message}");
        }

        if (section.ValueKind != JsonValueKind.Object)
        {
            throw Bad("\"locks\"", "\"locks\" must be an object, like { \"maxLockWait\": \"1s\", \"lockDeadline\": \"30min\" }");
        }
        var config = new LockConfig();
        foreach (var property in section.EnumerateObject())
        {
            var at = "\"" + property.Name + "\"";
            TimeSpan Duration() => property.Value.ValueKind == JsonValueKind.String && DurationText.TryParse(property.Value.GetString()!, out var d) && d > TimeSpan.Zero
                ? d
                : throw Bad(at, $"\"{property.Name}\" must be a duration above zero, like \"500ms\", \"1s\" or \"30min\"");
            switch (property.Name)
            {
                case "firstLockTimeout":
                    config._first = Duration();
                    break;
                case "maxLockWait":
                    config._max = Duration();
                    break;
                case "lockDeadline":
                    config._deadline = Duration();
                    break;
                case "terminateIdleAfter":
                    config._terminateIdle = Duration();
                    break;
                case "cancelAutovacuum" when property.Value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    config._cancelAutovacuum = property.Value.GetBoolean();
                    break;
                case "cancelAutovacuum":
                    throw Bad(at, "\"cancelAutovacuum\" must be true or false");
                default:
                    throw Bad(at, $"unknown lock setting \"{property.Name}\"; known: {string.Join(", ", s_known)}");
            }
        }
        return config;
    }

    /// <summary>Sets what the file sets.</summary>
    public void Apply(MigratorOptions options)
    {
        options.StepLockTimeout = _first ?? options.StepLockTimeout;
        options.MaxLockWait = _max ?? options.MaxLockWait;
        options.LockDeadline = _deadline ?? options.LockDeadline;
        options.TerminateIdleInTransactionAfter = _terminateIdle ?? options.TerminateIdleInTransactionAfter;
        options.CancelAutovacuum = _cancelAutovacuum ?? options.CancelAutovacuum;
    }
}
