using Stepwise.Cli;

namespace Stepwise.Tests.Cli;

public class ByteSizeTests
{
    [Theory]
    [InlineData("20MB", 20L << 20)]
    [InlineData("512kB", 512L << 10)]
    [InlineData("1gb", 1L << 30)]
    [InlineData(" 300 ", 300L)]
    [InlineData("7B", 7L)]
    public void Sizes_are_read_as_PostgreSQL_settings_write_them(string text, long bytes)
    {
        Assert.True(ByteSize.TryParse(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("fast")]
    [InlineData("20 MiB")]
    [InlineData("-5MB")]
    [InlineData("99999999999TB")]
    public void Anything_else_is_not_a_size(string text) => Assert.False(ByteSize.TryParse(text, out _));
}
