using System.Globalization;

namespace Stepwise.Execution.Backfill;

/// <summary>
/// How a heap walk's passes split the rows of each page (<see cref="BackfillOptions.PassShares"/>): by line pointer number
/// modulo <see cref="Modulo"/>, each pass taking the next residues, as many as its share. A range's checkpoint keeps it
/// as <c>16:5,3,3,2,2,1</c>, so that a resume splits the range as its first passes did; a bare number <c>N</c> (what
/// an earlier Stepwise wrote) is N passes of one residue each, modulo N.
/// </summary>
internal sealed class PassSchedule
{
    /// <summary>One pass over all the rows.</summary>
    public static readonly PassSchedule One = new(1, [1]);

    private readonly int[] _shares;

    public PassSchedule(int modulo, IReadOnlyList<int> shares)
    {
        if (modulo < 1 || shares.Count == 0 || shares.Any(s => s < 1) || shares.Sum() != modulo)
        {
            throw new ArgumentException($"pass shares {string.Join(",", shares)} do not add up to {modulo}, or one is below 1", nameof(shares));
        }
        Modulo = modulo;
        _shares = [.. shares];
    }

    public int Modulo { get; }

    public int Passes => _shares.Length;

    /// <summary>The largest pass's part of a page's rows (0 to 1).</summary>
    public double LargestShare => _shares.Max() / (double)Modulo;

    /// <summary>
    /// The condition that picks pass <paramref name="pass"/>'s rows. The line pointer number comes from the TID's binary
    /// form (<c>tidsend</c>: the block number in four bytes, then the line pointer number in two, big-endian): it is
    /// evaluated for every row of the range in every pass, and through text (<c>ctid::text::point</c>) it took about a
    /// tenth of a batch's time. A modulo that divides 256 needs only the last byte.
    /// </summary>
    public string Filter(int pass)
    {
        var first = _shares.Take(pass).Sum();
        var last = first + _shares[pass] - 1;
        var residue = 256 % Modulo == 0
            ? $"(get_byte(tidsend(ctid), 5) & {Modulo - 1})"
            : $"(((get_byte(tidsend(ctid), 4) << 8) | get_byte(tidsend(ctid), 5)) % {Modulo})";
        return first == last ? $"{residue} = {first}" : $"{residue} BETWEEN {first} AND {last}";
    }

    /// <summary>The checkpoint's form: <c>modulo:share,share,...</c>.</summary>
    public override string ToString() => $"{Modulo.ToString(CultureInfo.InvariantCulture)}:{string.Join(",", _shares.Select(s => s.ToString(CultureInfo.InvariantCulture)))}";

    /// <summary>Reads a checkpoint's passes: <c>modulo:share,...</c>, or a bare number of equal passes.</summary>
    public static PassSchedule Parse(string text)
    {
        var colon = text.IndexOf(':');
        try
        {
            if (colon < 0)
            {
                var passes = int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
                return new PassSchedule(passes, [.. Enumerable.Repeat(1, passes)]);
            }
            var shares = text[(colon + 1)..].Split(',').Select(s => int.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray();
            return new PassSchedule(int.Parse(text[..colon], NumberStyles.None, CultureInfo.InvariantCulture), shares);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
        {
            throw new FormatException($"a backfill checkpoint's passes '{text}' are not 'modulo:share,...' or a number of passes", ex);
        }
    }
}
