using Spectre.Console;
using Stepwise.Cli.Rendering;

namespace Stepwise.Tests.Cli;

/// <summary>
/// <see cref="TextTable"/> draws what Spectre.Console draws for the same table, character for character and escape for
/// escape, and hands the table to Spectre where a padded line would not do.
/// </summary>
public class TextTableTests
{
    private static TextTable Status(params TextCell[][] rows)
    {
        var table = new TextTable().AddColumn("version", rightAligned: true).AddColumn("file").AddColumn("state").AddColumn("applied").AddColumn("detail");
        foreach (var row in rows)
        {
            table.AddRow(row);
        }
        return table;
    }

    private static readonly TextCell[][] s_rows =
    [
        ["1", "0001_create_t1.sql", new TextCell("applied", Color.Green), "2026-12-07 12:00:00 by postgres", ""],
        ["1000", "1000_create_t1000.sql", new TextCell("pending", Color.Yellow), "", ""],
        ["R", "R_views.sql", new TextCell("out of order", Color.Red), "", "older than an applied migration: apply --allow-out-of-order"],
    ];

    /// <summary>A console writing to a string: colour (standard colours, as most terminals) or none, the given width.</summary>
    private static (IAnsiConsole Console, StringWriter Text) Console(int width, bool color)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = color ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = color ? ColorSystemSupport.Standard : ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = width;
        return (console, writer);
    }

    private static (string Ours, string Spectres) Both(TextTable table, int width = 200, bool color = false)
    {
        var (ours, ourText) = Console(width, color);
        table.Write(ours);
        var (spectre, spectreText) = Console(width, color);
        spectre.Write(table.ToSpectre());
        return (ourText.ToString(), spectreText.ToString());
    }

    [Fact]
    public void Columns_widths_and_right_alignment_are_Spectres()
    {
        var (ours, spectres) = Both(Status(s_rows));

        Assert.Equal(spectres, ours);
        var lines = ours.Split('\n');
        Assert.Equal("╭─────────┬───────────────────────┬──────────────┬─────────────────────────────────┬─────────────────────────────────────────────────────────────╮", lines[0]);
        Assert.Equal("│ version │ file                  │ state        │ applied                         │ detail                                                      │", lines[1]);
        Assert.Equal("│    1000 │ 1000_create_t1000.sql │ pending      │                                 │                                                             │", lines[4]);
        Assert.StartsWith("╰", lines[6]);
        Assert.Equal("", lines[7]); // a line break after the table, as Spectre ends it
    }

    [Fact]
    public void A_right_aligned_columns_header_is_aligned_as_Spectre_aligns_it()
    {
        var (ours, spectres) = Both(Status(["20261207120000", "20261207120000_add_users.sql", new TextCell("applied", Color.Green), "", ""]));

        Assert.Equal(spectres, ours);
        Assert.StartsWith("│        version │", ours.Split('\n')[1]);
    }

    [Fact]
    public void Colour_is_written_with_Spectres_escapes_and_only_where_the_console_has_colour()
    {
        var (ours, spectres) = Both(Status(s_rows), color: true);
        var (plain, _) = Both(Status(s_rows), color: false);

        Assert.Equal(spectres, ours);
        Assert.Contains("\u001b[32mapplied\u001b[0m", ours);
        Assert.Contains("\u001b[91mout of order\u001b[0m", ours); // Spectre's red is the bright one
        Assert.DoesNotContain('\u001b', plain);
    }

    [Fact]
    public void Wide_and_combining_characters_are_measured_in_terminal_cells()
    {
        var table = Status(
            ["7", "0007_表を作る.sql", new TextCell("applied", Color.Green), "", "絵文字 🎉"],
            ["8", "0008_cafe\u0301.sql", new TextCell("applied", Color.Green), "", "ASCII only"]);

        var (ours, spectres) = Both(table);

        Assert.Equal(spectres, ours);
        Assert.Equal(6, TextTable.CellWidth("表を作"));
        // Every line of the table is as wide as the border in terminal cells, whatever its characters.
        var lines = ours.TrimEnd('\n').Split('\n');
        Assert.All(lines, l => Assert.Equal(TextTable.CellWidth(lines[0]), TextTable.CellWidth(l)));
    }

    [Fact]
    public void A_table_as_wide_as_the_console_is_drawn_padded_and_a_wider_one_is_wrapped_by_Spectre()
    {
        var table = Status(s_rows);
        var natural = Both(table).Ours.Split('\n')[0].Length;

        var (fits, spectreFits) = Both(table, width: natural);
        var (wrapped, spectreWrapped) = Both(table, width: natural - 1);

        Assert.Equal(spectreFits, fits);
        Assert.Equal(7, fits.TrimEnd('\n').Split('\n').Length); // borders, header and three rows of one line each
        Assert.Equal(spectreWrapped, wrapped);
        Assert.All(wrapped.TrimEnd('\n').Split('\n'), l => Assert.True(l.Length <= natural - 1, l));
    }

    [Fact]
    public void A_table_without_rows_is_its_header()
    {
        var (ours, spectres) = Both(Status());

        Assert.Equal(spectres, ours);
        Assert.Equal(3, ours.TrimEnd('\n').Split('\n').Length);
    }

    [Fact]
    public void A_row_must_have_a_cell_per_column() =>
        Assert.Throws<ArgumentException>(() => Status().AddRow("1", "too few"));
}
