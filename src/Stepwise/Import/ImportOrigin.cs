using System.Text.RegularExpressions;

namespace Stepwise.Import;

/// <summary>
/// The first line of every imported file: <c>-- imported from flyway: V1_1__users.sql (version 1.1)</c>.
/// It ties the Stepwise migration to the other tool's id, so <c>stepwise baseline --from</c> can mark
/// exactly the migrations the other tool's history table lists, whatever their Stepwise version. An
/// ordinary comment to the migration reader, and part of the file's checksum like any other line.
/// </summary>
public static partial class ImportOrigin
{
    /// <summary>The header line (without its newline).</summary>
    public static string Header(ImportSource from, string sourceFile, string? id) =>
        $"-- imported from {Importer.Name(from)}: {sourceFile}" + (id is null ? "" : $" (version {id})");

    /// <summary>The tool and id in <paramref name="content"/>'s first line, or null when it has no header (or no id).</summary>
    public static (ImportSource From, string Id)? Read(string content)
    {
        var end = content.IndexOf('\n', StringComparison.Ordinal);
        var first = (end < 0 ? content : content[..end]).TrimEnd('\r');
        var match = HeaderLine().Match(first);
        if (!match.Success || !Enum.TryParse<ImportSource>(match.Groups["tool"].Value, ignoreCase: true, out var from))
        {
            return null;
        }
        return (from, match.Groups["id"].Value);
    }

    [GeneratedRegex(@"^-- imported from (?<tool>ef|dbmate|flyway|atlas): .* \(version (?<id>[^()]+)\)$")]
    private static partial Regex HeaderLine();
}
