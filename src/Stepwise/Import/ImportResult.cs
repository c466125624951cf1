using Stepwise.Diagnostics;
using Stepwise.Migrations;

namespace Stepwise.Import;

/// <summary>The tools Stepwise imports migrations from.</summary>
public enum ImportSource
{
    /// <summary>Entity Framework Core: a script from <c>dotnet ef migrations script</c>.</summary>
    Ef,

    /// <summary>dbmate: <c>&lt;version&gt;_name.sql</c> with <c>-- migrate:up</c>/<c>-- migrate:down</c>.</summary>
    Dbmate,

    /// <summary>Flyway: <c>V&lt;version&gt;__desc.sql</c>, <c>U&lt;version&gt;__desc.sql</c>, <c>R__desc.sql</c>.</summary>
    Flyway,

    /// <summary>Atlas: a versioned directory with <c>atlas.sum</c>.</summary>
    Atlas,
}

/// <summary>One Stepwise migration file made from the other tool's migration.</summary>
/// <param name="FileName">The Stepwise file name, e.g. <c>20240101120000_Init.sql</c>.</param>
/// <param name="Content">The file's text, starting with the <see cref="ImportOrigin"/> header.</param>
/// <param name="Source">What it was made from, e.g. <c>V1_1__add_users.sql + U1_1__add_users.sql</c>.</param>
/// <param name="SourceId">The other tool's id for it (what its history table records), or null for repeatable migrations.</param>
/// <param name="Statements">How many statements its up section has (0 when not counted).</param>
public sealed record ImportedMigration(string FileName, string Content, string Source, string? SourceId, int Statements = 0);

/// <summary>
/// What an import made: the Stepwise files, and what could not be converted and why (warnings with the
/// source file, line and column). Nothing is written until <see cref="ImportWriter"/> is called.
/// </summary>
/// <param name="From">The tool.</param>
/// <param name="SourcePath">The script or directory read.</param>
/// <param name="Converted">The files, in version order (repeatable ones last).</param>
/// <param name="NotConverted">What was left out or left as written, and why.</param>
public sealed record ImportResult(ImportSource From, string SourcePath, IReadOnlyList<ImportedMigration> Converted, IReadOnlyList<MigrationProblem> NotConverted);

/// <summary>The import was refused: nothing was written. <see cref="Problems"/> says where and why.</summary>
public sealed class ImportRefusedException : Exception
{
    /// <summary>Refused for the listed problems.</summary>
    public ImportRefusedException(string message, IReadOnlyList<MigrationProblem> problems) : base(message) => Problems = problems;

    /// <summary>Each problem with its file and position.</summary>
    public IReadOnlyList<MigrationProblem> Problems { get; }
}

/// <summary>Reads another tool's migrations into Stepwise files (nothing is written; see <see cref="ImportWriter"/>).</summary>
public static class Importer
{
    /// <summary>Reads <paramref name="path"/> (a script for EF, a directory for the others); never changes it.</summary>
    /// <exception cref="ImportRefusedException">The input cannot be imported as it is.</exception>
    public static ImportResult Read(ImportSource from, string path) => from switch
    {
        ImportSource.Ef => EfScriptImport.Read(path),
        ImportSource.Dbmate => DbmateImport.Read(path),
        ImportSource.Flyway => FlywayImport.Read(path),
        ImportSource.Atlas => AtlasImport.Read(path),
        _ => throw new ArgumentOutOfRangeException(nameof(from)),
    };

    /// <summary>The lowercase name used on the command line and in file headers.</summary>
    public static string Name(ImportSource from) => from.ToString().ToLowerInvariant();

    /// <summary>Reads a source file as text: UTF-8 (refused otherwise), BOM removed, CRLF as LF.</summary>
    internal static string ReadText(string path, List<MigrationProblem> problems)
    {
        var bytes = File.ReadAllBytes(path);
        var start = bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        try
        {
            var strict = new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
            return strict.GetString(bytes, start, bytes.Length - start).Replace("\r\n", "\n", StringComparison.Ordinal);
        }
        catch (System.Text.DecoderFallbackException)
        {
            problems.Add(new MigrationProblem(Severity.Error, "not-utf8", path, 0, 0, "the file is not UTF-8", "save it as UTF-8, then import again"));
            return "";
        }
    }

    /// <summary>Throws when <paramref name="problems"/> holds an error.</summary>
    internal static void ThrowIfErrors(string message, List<MigrationProblem> problems)
    {
        if (problems.Any(p => p.Severity == Severity.Error))
        {
            throw new ImportRefusedException(message, [.. problems.Where(p => p.Severity == Severity.Error)]);
        }
    }

    /// <summary>A name part safe in a Stepwise file name: letters, digits, <c>_ . -</c>; anything else becomes <c>_</c>.</summary>
    internal static string SafeName(string name)
    {
        var chars = name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' ? c : '_').ToArray();
        var safe = new string(chars).Trim('_', '.', '-');
        return safe.Length == 0 ? "migration" : safe;
    }
}
