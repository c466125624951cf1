using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Stepwise.Execution;
using Stepwise.Instances;
using Stepwise.Migrations;

namespace Stepwise.Hosting;

/// <summary>
/// Binds <see cref="StepwiseOptions"/> from the <c>Stepwise</c> configuration section. Written out rather than
/// left to the reflection binder: a wrong value names its key and what would be accepted, durations read the
/// way migration files write them (<c>5s</c>), and the required columns have a shape of their own.
/// </summary>
internal sealed class StepwiseConfiguration(IConfiguration? configuration = null) : IConfigureOptions<StepwiseOptions>
{
    public void Configure(StepwiseOptions options)
    {
        if (configuration is null)
        {
            return;
        }
        var section = configuration.GetSection(StepwiseOptions.SectionName);
        if (section[nameof(StepwiseOptions.ConnectionString)] is { Length: > 0 } connection)
        {
            options.ConnectionString = connection;
        }
        if (section[nameof(StepwiseOptions.Directory)] is { Length: > 0 } directory)
        {
            options.Directory = directory;
        }
        if (section[nameof(StepwiseOptions.MigrationsAssembly)] is { Length: > 0 } assembly)
        {
            options.MigrationsAssembly = LoadAssembly(section.GetSection(nameof(StepwiseOptions.MigrationsAssembly)).Path, assembly);
        }
        if (section[nameof(StepwiseOptions.StateSchema)] is { Length: > 0 } schema)
        {
            options.StateSchema = schema;
        }
        if (section[nameof(StepwiseOptions.LockTimeout)] is { Length: > 0 } timeout)
        {
            options.LockTimeout = ParseDuration(section.GetSection(nameof(StepwiseOptions.LockTimeout)).Path, timeout);
        }
        options.FirstLockTimeout = Duration(section, nameof(StepwiseOptions.FirstLockTimeout)) ?? options.FirstLockTimeout;
        options.MaxLockWait = Duration(section, nameof(StepwiseOptions.MaxLockWait)) ?? options.MaxLockWait;
        options.LockDeadline = Duration(section, nameof(StepwiseOptions.LockDeadline)) ?? options.LockDeadline;
        options.TerminateIdleInTransactionAfter = Duration(section, nameof(StepwiseOptions.TerminateIdleInTransactionAfter)) ?? options.TerminateIdleInTransactionAfter;
        options.CancelAutovacuum = Flag(section, nameof(StepwiseOptions.CancelAutovacuum)) ?? options.CancelAutovacuum;
        if (section[nameof(StepwiseOptions.Mode)] is { Length: > 0 } mode)
        {
            options.Mode = Enum.TryParse<StepwiseStartupMode>(mode, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
                ? parsed
                : throw new OptionsValidationException(StepwiseOptions.SectionName, typeof(StepwiseOptions),
                    [$"{section.GetSection(nameof(StepwiseOptions.Mode)).Path} is '{mode}'; it must be one of: {string.Join(", ", Enum.GetNames<StepwiseStartupMode>())}"]);
        }
        if (section[nameof(StepwiseOptions.Binding)] is { Length: > 0 } binding)
        {
            options.Binding = Enum.TryParse<BindingMode>(binding, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
                ? parsed
                : throw new OptionsValidationException(StepwiseOptions.SectionName, typeof(StepwiseOptions),
                    [$"{section.GetSection(nameof(StepwiseOptions.Binding)).Path} is '{binding}'; it must be one of: {string.Join(", ", Enum.GetNames<BindingMode>())}"]);
        }
        if (section[nameof(StepwiseOptions.Schema)] is { Length: > 0 } tables)
        {
            options.Schema = tables;
        }
        if (section[nameof(StepwiseOptions.VersionRole)] is { Length: > 0 } role)
        {
            options.VersionRole = role;
        }
        if (section[nameof(StepwiseOptions.ApplicationName)] is { Length: > 0 } name)
        {
            options.ApplicationName = name;
        }
        options.RegisterInstance = Flag(section, nameof(StepwiseOptions.RegisterInstance)) ?? options.RegisterInstance;
        options.HeartbeatInterval = Duration(section, nameof(StepwiseOptions.HeartbeatInterval)) ?? options.HeartbeatInterval;
        options.InstanceTimeout = Duration(section, nameof(StepwiseOptions.InstanceTimeout)) ?? options.InstanceTimeout;
        var backfill = section.GetSection(nameof(StepwiseOptions.Backfill));
        options.Backfill.TargetBatchDuration = Duration(backfill, "BatchTime") ?? options.Backfill.TargetBatchDuration;
        options.Backfill.Pause = Duration(backfill, nameof(options.Backfill.Pause)) ?? options.Backfill.Pause;
        options.Backfill.MaxReplicationLag = Duration(backfill, nameof(options.Backfill.MaxReplicationLag)) ?? options.Backfill.MaxReplicationLag;
        options.Backfill.MaxSnapshotAge = Duration(backfill, nameof(options.Backfill.MaxSnapshotAge)) ?? options.Backfill.MaxSnapshotAge;
        options.Backfill.TargetClientLatency = Duration(backfill, "MaxLatency") ?? options.Backfill.TargetClientLatency;
        options.Backfill.MaxRowsPerSecond = Number(backfill, nameof(options.Backfill.MaxRowsPerSecond)) is { } rate ? (int)rate : options.Backfill.MaxRowsPerSecond;
        options.Backfill.MaxWalBytesPerSecond = Number(backfill, nameof(options.Backfill.MaxWalBytesPerSecond)) ?? options.Backfill.MaxWalBytesPerSecond;
        if (backfill["LatencyQuery"] is { Length: > 0 } latencyQuery)
        {
            options.Backfill.ClientLatencyQuery = latencyQuery;
        }
        options.Backfill.WaitWhileVacuumed = Flag(backfill, nameof(options.Backfill.WaitWhileVacuumed)) ?? options.Backfill.WaitWhileVacuumed;
        options.Backfill.VacuumAsItGoes = Flag(backfill, nameof(options.Backfill.VacuumAsItGoes)) ?? options.Backfill.VacuumAsItGoes;
        foreach (var table in section.GetSection("Require").GetChildren())
        {
            var columns = table.Value is { } list
                ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : [.. table.GetChildren().Select(c => c.Value).OfType<string>()];
            options.RequiredTables.Add(new RequiredTable(table.Key, columns));
        }
    }

    private static long? Number(IConfigurationSection section, string key) =>
        section[key] is not { Length: > 0 } text ? null
        : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= int.MaxValue ? n
        : throw new OptionsValidationException(StepwiseOptions.SectionName, typeof(StepwiseOptions),
            [$"{section.GetSection(key).Path} is '{text}'; write a whole number above 0"]);

    private static bool? Flag(IConfigurationSection section, string key) =>
        section[key] is not { Length: > 0 } text ? null
        : bool.TryParse(text, out var flag) ? flag
        : throw new OptionsValidationException(StepwiseOptions.SectionName, typeof(StepwiseOptions), [$"{section.GetSection(key).Path} is '{text}'; write true or false"]);

    private static TimeSpan? Duration(IConfigurationSection section, string key) =>
        section[key] is { Length: > 0 } text ? ParseDuration(section.GetSection(key).Path, text) : null;

    private static TimeSpan ParseDuration(string key, string text) =>
        DurationText.TryParse(text, out var duration) || TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration)
            ? duration
            : throw new OptionsValidationException(StepwiseOptions.SectionName, typeof(StepwiseOptions),
                [$"{key} is '{text}'; write a duration such as 5s, 250ms, 1min or 00:00:05"]);

    private static Assembly LoadAssembly(string key, string name)
    {
        try
        {
            return Assembly.Load(name);
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException or ArgumentException)
        {
            throw new OptionsValidationException(StepwiseOptions.SectionName, typeof(StepwiseOptions),
                [$"{key} is '{name}', but no assembly of that name can be loaded: {ex.Message}"]);
        }
    }
}
