using System.Security.Cryptography;

namespace PaySessions.Api.Http;

/// <summary>
/// A static file embedded in the assembly, with what serving it needs: its bytes, a short hash
/// for a cache-busting name, an ETag and a Subresource Integrity value.
/// </summary>
public sealed class EmbeddedAsset
{
    private EmbeddedAsset(byte[] bytes)
    {
        Bytes = bytes;
        var hash = SHA256.HashData(bytes);
        Hash = Convert.ToHexStringLower(hash)[..16];
        ETag = "\"" + Hash + "\"";
        Integrity = "sha256-" + Convert.ToBase64String(hash);
    }

    public byte[] Bytes { get; }

    /// <summary>The first 16 hex digits of the SHA-256 of the bytes.</summary>
    public string Hash { get; }

    public string ETag { get; }

    /// <summary>The value of an <c>integrity</c> attribute for these bytes.</summary>
    public string Integrity { get; }

    public static EmbeddedAsset Load(string logicalName)
    {
        using var stream = typeof(EmbeddedAsset).Assembly.GetManifestResourceStream(logicalName)
            ?? throw new InvalidOperationException($"{logicalName} is not embedded in the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return new EmbeddedAsset(copy.ToArray());
    }
}
