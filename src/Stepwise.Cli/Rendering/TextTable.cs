using System.Text;
using Spectre.Console;
using Spectre.Console.Advanced;
using Spectre.Console.Rendering;

namespace Stepwise.Cli.Rendering;

/// <summary>One cell of a <see cref="TextTable"/>: plain text (already made printable, no markup), optionally in a colour.</summary>
internal readonly record struct TextCell(string Text, Color? Color = null)
{
    public static implicit operator TextCell(string text) => new(text);
}

/// <summary>
/// A table of one-line text cells with a rounded border, drawn exactly as Spectre.Console draws such a <see cref="Table"/>, but
/// by padding the columns itself: Spectre measures, wraps, aligns and builds segments for every cell, which for the 1,000 rows
/// of <c>stepwise status</c> cost more than the rest of the command besides start-up. Where Spectre's layout does something a
/// padded line cannot (the table is wider than the console, so Spectre wraps cells; or the console cannot draw Unicode
/// borders, so Spectre draws ASCII ones), Spectre draws the table.
/// </summary>
internal sealed class TextTable
{
    private readonly List<(string Header, bool Right)> _columns = [];
    private readonly List<TextCell[]> _rows = [];

    /// <summary>Adds a column; right-aligned columns align their header to the right too, as Spectre does.</summary>
    public TextTable AddColumn(string header, bool rightAligned = false)
    {
        _columns.Add((header, rightAligned));
        return this;
    }

    /// <summary>Adds a row of one cell per column.</summary>
    public TextTable AddRow(params TextCell[] cells)
    {
        if (cells.Length != _columns.Count)
        {
            throw new ArgumentException($"a row of {cells.Length} cells for {_columns.Count} columns", nameof(cells));
        }
        _rows.Add(cells);
        return this;
    }

    /// <summary>The number of rows added.</summary>
    public int RowCount => _rows.Count;

    /// <summary>Writes the table, and a line break after it, to <paramref name="console"/>.</summary>
    public void Write(IAnsiConsole console)
    {
        var widths = new int[_columns.Count];
        for (var c = 0; c < _columns.Count; c++)
        {
            widths[c] = CellWidth(_columns[c].Header);
        }
        foreach (var row in _rows)
        {
            for (var c = 0; c < row.Length; c++)
            {
                widths[c] = Math.Max(widths[c], CellWidth(row[c].Text));
            }
        }
        // Each column has one space of padding either side and one border character before it, and the table one after.
        var tableWidth = widths.Sum() + (3 * widths.Length) + 1;
        if (tableWidth > console.Profile.Width || !console.Profile.Capabilities.Unicode || _columns.Count == 0)
        {
            console.Write(ToSpectre());
            return;
        }

        var ansi = console.Profile.Capabilities.Ansi;
        var styled = new Dictionary<(string, Color), string>();
        var text = new StringBuilder((tableWidth + 1) * (_rows.Count + 4));
        Border(text, widths, '╭', '┬', '╮');
        var header = new TextCell[_columns.Count];
        for (var c = 0; c < header.Length; c++)
        {
            header[c] = _columns[c].Header;
        }
        Row(text, header, widths);
        if (_rows.Count > 0)
        {
            Border(text, widths, '├', '┼', '┤'); // Spectre draws no line under the header of a table without rows
        }
        foreach (var row in _rows)
        {
            Row(text, row, widths);
        }
        Border(text, widths, '╰', '┴', '╯');
        // One write: the console's writer (Output's scrubbing writer) then looks at the whole table at once.
        console.Profile.Out.Writer.Write(text.ToString());
        console.Profile.Out.Writer.Flush();

        void Row(StringBuilder line, TextCell[] cells, int[] columnWidths)
        {
            for (var c = 0; c < cells.Length; c++)
            {
                var cell = cells[c];
                var pad = columnWidths[c] - CellWidth(cell.Text);
                line.Append('│').Append(' ');
                if (_columns[c].Right)
                {
                    line.Append(' ', pad);
                }
                if (ansi && cell.Color is { } color && cell.Text.Length > 0)
                {
                    // Spectre's own escape sequences for the console's colour system, once per distinct text and colour.
                    if (!styled.TryGetValue((cell.Text, color), out var escaped))
                    {
                        escaped = console.ToAnsi(new Text(cell.Text, new Style(color)));
                        styled[(cell.Text, color)] = escaped;
                    }
                    line.Append(escaped);
                }
                else
                {
                    line.Append(cell.Text);
                }
                if (!_columns[c].Right)
                {
                    line.Append(' ', pad);
                }
                line.Append(' ');
            }
            line.Append('│').Append('\n');
        }
    }

    private static void Border(StringBuilder line, int[] widths, char left, char separator, char right)
    {
        line.Append(left);
        for (var c = 0; c < widths.Length; c++)
        {
            if (c > 0)
            {
                line.Append(separator);
            }
            line.Append('─', widths[c] + 2);
        }
        line.Append(right).Append('\n');
    }

    /// <summary>The same table as a Spectre.Console <see cref="Table"/>.</summary>
    internal Table ToSpectre()
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var (header, right) in _columns)
        {
            table.AddColumn(new TableColumn(new Text(header)) { Alignment = right ? Justify.Right : null });
        }
        foreach (var row in _rows)
        {
            table.AddRow(row.Select(IRenderable (cell) => new Text(cell.Text, cell.Color is { } color ? new Style(color) : Style.Plain)));
        }
        return table;
    }

    /// <summary>How many terminal cells <paramref name="text"/> takes: one per character for printable ASCII, Spectre's measure otherwise (wide and combining characters).</summary>
    internal static int CellWidth(string text)
    {
        foreach (var c in text)
        {
            if (c is < ' ' or > '~')
            {
                return new Segment(text).CellCount();
            }
        }
        return text.Length;
    }
}
