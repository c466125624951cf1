using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;
using Stepwise.Diagnostics;
using Stepwise.Migrations;

namespace Stepwise.Import;

/// <summary>
/// Reads a Flyway location (subdirectories included): <c>V&lt;version&gt;__&lt;desc&gt;.sql</c> becomes a
/// versioned migration, its <c>U&lt;version&gt;__&lt;desc&gt;.sql</c> (undo) the down section, and
/// <c>R__&lt;desc&gt;.sql</c> a repeatable <c>R_&lt;desc&gt;.sql</c>; a <c>.sql.conf</c> with
/// <c>executeInTransaction=false</c> becomes <c>-- stepwise:no-transaction</c>. Versions map with
/// <see cref="MapVersions"/>. Evolve reads the same layout (<see cref="EvolveImport"/>): one <see cref="Convert"/> serves
/// both, told by a <see cref="Dialect"/> what differs.
/// </summary>
internal static partial class FlywayImport
{
    /// <summary>A script found in the directory: its prefix (<c>V</c>, <c>U</c>, <c>R</c>, <c>B</c>), version text as written and description.</summary>
    internal sealed record Script(string Path, char Prefix, string Version, string Description);

    /// <summary>
    /// What differs between the tools that read Flyway's layout: the tool; whether trailing zero parts of a version count
    /// (Flyway: <c>1.0</c> = <c>1</c>; Evolve: <c>1.0</c> comes after <c>1</c>); whether a script runs outside a
    /// transaction (path, text) and the setting that says so; and the checksum the tool records for a repeatable script's text.
    /// </summary>
    internal sealed record Dialect(ImportSource From, string Tool, bool TrailingZerosCount,
        Func<string, string, List<MigrationProblem>, bool> NoTransaction, string NoTransactionSetting, Func<string, string> Checksum);

    private static readonly Dialect FlywayDialect = new(ImportSource.Flyway, "Flyway", TrailingZerosCount: false,
        (path, _, problems) => NoTransaction(path, problems), "executeInTransaction=false", text => Checksum(text).ToString(CultureInfo.InvariantCulture));

    public static ImportResult Read(string directory)
    {
        var problems = new List<MigrationProblem>();
        var scripts = new List<Script>();
        var files = SourceDirectory.Files(directory, ImportSource.Flyway, recursive: true);
        foreach (var file in files)
        {
            var fileName = Path.GetFileName(file);
            if (fileName.EndsWith(".sql.conf", StringComparison.Ordinal) && files.Contains(file[..^".conf".Length]))
            {
                continue; // read with its script
            }
            var match = ScriptName().Match(fileName);
            if (!match.Success)
            {
                problems.Add(new MigrationProblem(Severity.Warning, "not-a-migration", file, 0, 0, fileName switch
                {
                    _ when fileName.EndsWith(".java", StringComparison.Ordinal) || fileName.EndsWith(".class", StringComparison.Ordinal)
                        => "not converted: a Java migration; Stepwise runs SQL only (write it as SQL)",
                    _ when fileName.EndsWith(".sql", StringComparison.Ordinal) && CallbackName().IsMatch(fileName)
                        => "not converted: a Flyway callback; Stepwise has no callbacks",
                    _ => "not converted: not a Flyway SQL migration (V<version>__<desc>.sql, U<version>__<desc>.sql, R__<desc>.sql)",
                }, null));
                continue;
            }
            var prefix = match.Groups["prefix"].Value[0];
            var version = match.Groups["version"].Value;
            if (prefix != 'R' && version.Length == 0)
            {
                problems.Add(new MigrationProblem(Severity.Error, "bad-version", file, 0, 0, $"{fileName} has no version", "name it V<version>__<desc>.sql"));
                continue;
            }
            if (prefix == 'R' ? version.Length > 0 : !VersionText().IsMatch(version))
            {
                problems.Add(new MigrationProblem(Severity.Error, "bad-version", file, 0, 0,
                    prefix == 'R' ? "a repeatable migration has no version: R__<desc>.sql" : $"'{version}' is not a Flyway version (digits separated by . or _)",
                    "rename the file in a copy of the directory and import that"));
                continue;
            }
            scripts.Add(new Script(file, prefix, version, match.Groups["desc"].Value));
        }

        return Convert(directory, scripts, FlywayDialect, problems);
    }

    /// <summary>
    /// The scripts of a Flyway-layout directory as Stepwise files: versions mapped (<see cref="MapVersions"/>), an undo
    /// as its migration's down section, repeatable scripts with the tool's checksum in their header.
    /// </summary>
    internal static ImportResult Convert(string directory, List<Script> scripts, Dialect dialect, List<MigrationProblem> problems)
    {
        var versioned = scripts.Where(s => s.Prefix == 'V').ToList();
        if (BaselineMigration(scripts, versioned, problems) is { } baseline)
        {
            versioned.Insert(0, baseline);
        }
        var mapped = MapVersions(versioned.Select(s => s.Version), out var mapError, dialect.TrailingZerosCount, dialect.Tool);
        if (mapError is not null)
        {
            problems.Add(new MigrationProblem(Severity.Error, "bad-version", directory, 0, 0, mapError, "rename the files in a copy of the directory and import that"));
        }
        foreach (var group in scripts.Where(s => s.Prefix != 'R').GroupBy(s => (s.Prefix, Normalize(s.Version, dialect.TrailingZerosCount))).Where(g => g.Count() > 1))
        {
            problems.Add(new MigrationProblem(Severity.Error, "duplicate-version", group.ElementAt(1).Path, 0, 0,
                $"version {group.Key.Item2} is used by both {Path.GetFileName(group.First().Path)} and {Path.GetFileName(group.ElementAt(1).Path)} ({dialect.Tool} refuses this too)", "give one of them a new version"));
        }
        foreach (var group in scripts.GroupBy(s => Path.GetFileName(s.Path), StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            problems.Add(new MigrationProblem(Severity.Error, "duplicate-name", group.ElementAt(1).Path, 0, 0,
                $"{group.Key} is in two subdirectories; Stepwise's directory is flat", "rename one of them"));
        }
        Importer.ThrowIfErrors("nothing was imported", problems);

        var undos = scripts.Where(s => s.Prefix == 'U').ToDictionary(s => Normalize(s.Version, dialect.TrailingZerosCount));
        var converted = new List<(long Version, string Name, ImportedMigration Migration)>();
        foreach (var script in versioned)
        {
            var fileName = Path.GetFileName(script.Path);
            var up = Importer.ReadText(script.Path, problems);
            MigrationText.WarnPlaceholders(up, script.Path, dialect.Tool, problems);
            string? down = null;
            var downNoTransaction = false;
            var source = fileName;
            if (undos.Remove(Normalize(script.Version, dialect.TrailingZerosCount), out var undo))
            {
                down = Importer.ReadText(undo.Path, problems);
                downNoTransaction = dialect.NoTransaction(undo.Path, down, problems);
                MigrationText.WarnPlaceholders(down, undo.Path, dialect.Tool, problems);
                source += " + " + Path.GetFileName(undo.Path);
            }
            var version = mapped[script.Version];
            // Flyway and Evolve record a version with its separators as dots: V1_1__x.sql is version 1.1 in their history.
            var toolVersion = script.Version.Replace('_', '.');
            var header = ImportOrigin.Header(dialect.From, fileName, toolVersion);
            converted.Add((version, "", new ImportedMigration($"{version.ToString(CultureInfo.InvariantCulture)}_{Importer.SafeName(script.Description)}.sql",
                MigrationText.Versioned(header, up, down, dialect.NoTransaction(script.Path, up, problems), downNoTransaction), source, toolVersion)));
        }
        foreach (var script in scripts.Where(s => s.Prefix == 'R'))
        {
            var fileName = Path.GetFileName(script.Path);
            var body = Importer.ReadText(script.Path, problems);
            MigrationText.WarnPlaceholders(body, script.Path, dialect.Tool, problems);
            if (dialect.NoTransaction(script.Path, body, problems))
            {
                problems.Add(new MigrationProblem(Severity.Warning, "repeatable-no-transaction", File.Exists(script.Path + ".conf") ? script.Path + ".conf" : script.Path, 0, 0,
                    $"{dialect.NoTransactionSetting} is not kept: a repeatable Stepwise migration runs in one transaction unless a statement cannot", null));
            }
            // The header keeps the tool's checksum of the script, so baseline --from knows whether the tool last ran this content.
            converted.Add((long.MaxValue, fileName, new ImportedMigration($"R_{Importer.SafeName(script.Description)}.sql",
                MigrationText.Repeatable(ImportOrigin.Header(dialect.From, fileName, null, dialect.Checksum(body)), body), fileName, null)));
        }
        foreach (var orphan in undos.Values)
        {
            problems.Add(new MigrationProblem(Severity.Warning, "undo-without-migration", orphan.Path, 0, 0,
                $"not converted: there is no V{orphan.Version}__*.sql for this undo migration", null));
        }
        Importer.ThrowIfErrors("nothing was imported", problems);
        return new ImportResult(dialect.From, directory,
            [.. converted.OrderBy(c => c.Version).ThenBy(c => c.Name, StringComparer.Ordinal).Select(c => c.Migration)],
            [.. problems.Where(p => p.Severity == Severity.Warning)]);
    }

    /// <summary>
    /// Flyway's baseline migrations (<c>B&lt;version&gt;__desc.sql</c>): Flyway runs the latest one on a new database instead
    /// of the versioned migrations up to its version, and ignores it on a database that has history. When the directory
    /// has no versioned migration up to that version (they were squashed into it), it is the only way to build a new
    /// database: it is returned, to be imported as the first migration (<c>baseline --from flyway</c> then counts what
    /// the table lists up to its version as covered by it). Otherwise the versioned migrations build new databases and
    /// every baseline migration is left out (warning); older baseline migrations are always left out.
    /// </summary>
    private static Script? BaselineMigration(List<Script> scripts, List<Script> versioned, List<MigrationProblem> problems)
    {
        var baselines = scripts.Where(s => s.Prefix == 'B').OrderBy(s => Parts(s.Version), PartsOrder).ToList();
        if (baselines.Count == 0)
        {
            return null;
        }
        var latest = baselines[^1];
        var covered = versioned.Where(v => PartsOrder.Compare(Parts(v.Version), Parts(latest.Version)) <= 0).ToList();
        foreach (var older in baselines.Take(baselines.Count - 1))
        {
            problems.Add(new MigrationProblem(Severity.Warning, "baseline-migration", older.Path, 0, 0,
                $"not converted: a Flyway baseline migration older than {Path.GetFileName(latest.Path)}, which Flyway would run on a new database instead", null));
        }
        if (covered.Count > 0)
        {
            problems.Add(new MigrationProblem(Severity.Warning, "baseline-migration", latest.Path, 0, 0,
                $"not converted: a Flyway baseline migration; the versioned migrations up to version {Normalize(latest.Version)} ({covered.Count} of them) are imported and build a new database instead", null));
            return null;
        }
        problems.Add(new MigrationProblem(Severity.Warning, "baseline-migration", latest.Path, 0, 0,
            $"a Flyway baseline migration with no versioned migrations up to its version {Normalize(latest.Version)} in the directory: imported as the first migration (a new database starts from it, as with Flyway); baseline --from flyway counts the versions up to it as covered by it", null));
        return latest;
    }

    private static readonly Comparer<List<BigInteger>> PartsOrder = Comparer<List<BigInteger>>.Create((x, y) =>
    {
        for (var i = 0; i < Math.Max(x.Count, y.Count); i++)
        {
            var c = (i < x.Count ? x[i] : BigInteger.Zero).CompareTo(i < y.Count ? y[i] : BigInteger.Zero);
            if (c != 0)
            {
                return c;
            }
        }
        return 0;
    });

    /// <summary>
    /// Flyway versions to Stepwise versions, keeping Flyway's order. When every version is one number
    /// (<c>1</c>, <c>2</c>, <c>20240101120000</c>) it is kept. Otherwise (<c>1.1</c>, <c>2_1</c>) each version's
    /// parts, after dropping trailing zero parts as Flyway does (<c>1.0</c> = <c>1</c>), are zero-padded to the
    /// widest part at their position and concatenated: <c>1</c>, <c>1.1</c>, <c>1.10</c>, <c>2</c> become
    /// <c>100</c>, <c>101</c>, <c>110</c>, <c>200</c>. The same set of files always maps the same way.
    /// With <paramref name="trailingZerosCount"/> (Evolve, where <c>1</c> runs before <c>1.0</c>) the zero parts
    /// stay, and two versions that differ only by them are refused: they would get one number.
    /// </summary>
    internal static Dictionary<string, long> MapVersions(IEnumerable<string> versions, out string? error, bool trailingZerosCount = false, string tool = "Flyway")
    {
        error = null;
        var all = versions.Distinct().ToList();
        var parts = all.ToDictionary(v => v, v => Parts(v, trailingZerosCount));
        var result = new Dictionary<string, long>();
        if (all.Count == 0)
        {
            return result;
        }
        var positions = parts.Values.Select(p => p.Count).DefaultIfEmpty(1).Max();
        var widths = Enumerable.Range(0, positions)
            .Select(i => parts.Values.Select(p => i < p.Count ? p[i].ToString(CultureInfo.InvariantCulture).Length : 1).Max())
            .ToList();
        foreach (var (text, p) in parts)
        {
            var digits = positions == 1
                ? p[0].ToString(CultureInfo.InvariantCulture)
                : string.Concat(Enumerable.Range(0, positions).Select(i => (i < p.Count ? p[i] : BigInteger.Zero).ToString(CultureInfo.InvariantCulture).PadLeft(widths[i], '0')));
            if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value <= 0)
            {
                error = $"{tool} version {text} maps to {digits}, which is not a positive integer below 9223372036854775808 (versions with several parts are zero-padded per part and concatenated)";
                return result;
            }
            if (result.FirstOrDefault(r => r.Value == value && !parts[r.Key].SequenceEqual(p)).Key is { } other)
            {
                var (first, second) = parts[other].Count < p.Count ? (other, text) : (text, other);
                error = $"{tool} runs versions {first} and {second} one after the other (trailing zero parts count), but both map to {digits}";
                return result;
            }
            result[text] = value;
        }
        return result;
    }

    /// <summary>
    /// Flyway's checksum of a script, as <c>flyway_schema_history.checksum</c> holds it: CRC-32 (IEEE) over
    /// the UTF-8 bytes of each line without its line ending (so line endings do not count), as a signed int.
    /// </summary>
    internal static int Checksum(string text)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(text.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal)))
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }
        return unchecked((int)~crc);
    }

    private static List<BigInteger> Parts(string version, bool trailingZerosCount = false)
    {
        var parts = version.Split('.', '_').Select(p => BigInteger.Parse(p, CultureInfo.InvariantCulture)).ToList();
        while (!trailingZerosCount && parts.Count > 1 && parts[^1].IsZero)
        {
            parts.RemoveAt(parts.Count - 1);
        }
        return parts;
    }

    private static string Normalize(string version, bool trailingZerosCount = false) => string.Join('.', Parts(version, trailingZerosCount));

    /// <summary>True when the script's <c>.sql.conf</c> says <c>executeInTransaction=false</c>.</summary>
    private static bool NoTransaction(string script, List<MigrationProblem> problems)
    {
        var conf = script + ".conf";
        if (!File.Exists(conf))
        {
            return false;
        }
        var noTransaction = false;
        var lines = Importer.ReadText(conf, problems).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? line : line[..eq].Trim();
            var value = eq < 0 ? "" : line[(eq + 1)..].Trim();
            if (key == "executeInTransaction")
            {
                noTransaction = value.Equals("false", StringComparison.OrdinalIgnoreCase);
            }
            else
            {
                problems.Add(new MigrationProblem(Severity.Warning, "conf-not-converted", conf, i + 1, 1, $"not converted: script setting '{key}' has no Stepwise equivalent", null));
            }
        }
        return noTransaction;
    }

    [GeneratedRegex(@"^(?<prefix>[VURB])(?<version>[^_]*(?:_[^_]+)*?)__(?<desc>.+)\.sql$")]
    private static partial Regex ScriptName();

    [GeneratedRegex(@"^\d+(?:[._]\d+)*$")]
    private static partial Regex VersionText();

    [GeneratedRegex(@"^(before|after)[A-Za-z]*(__.*)?\.sql$")]
    private static partial Regex CallbackName();
}
