using System.Globalization;
using System.Text.RegularExpressions;

namespace Stepwise.Cli;

/// <summary>Sizes written the way PostgreSQL settings are: <c>512kB</c>, <c>20MB</c>, <c>1GB</c>, or a bare number of bytes.</summary>
internal static partial class ByteSize
{
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var match = Pattern().Match(text);
        if (!match.Success || !long.TryParse(match.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return false;
        }
        long unit = match.Groups["unit"].Value.ToUpperInvariant() switch
        {
            "" or "B" => 1,
            "KB" => 1L << 10,
            "MB" => 1L << 20,
            "GB" => 1L << 30,
            "TB" => 1L << 40,
            _ => 0,
        };
        if (unit == 0 || n > long.MaxValue / unit)
        {
            return false;
        }
        bytes = n * unit;
        return true;
    }

    [GeneratedRegex(@"^\s*(?<n>\d+)\s*(?<unit>[a-zA-Z]*)\s*$")]
    private static partial Regex Pattern();
}
