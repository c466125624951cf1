namespace Stepwise.Tests.Migrations;

/// <summary>A migration directory in a fresh temporary folder, deleted afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Path = Directory.CreateTempSubdirectory("stepwise-dir-").FullName;

    public string Path { get; }

    public string Write(string fileName, string content)
    {
        var file = System.IO.Path.Combine(Path, fileName);
        File.WriteAllText(file, content);
        return file;
    }

    public string WriteBytes(string fileName, byte[] content)
    {
        var file = System.IO.Path.Combine(Path, fileName);
        File.WriteAllBytes(file, content);
        return file;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
