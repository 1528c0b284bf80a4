using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace PaySessions.Grains.Merchants;

/// <summary>Keys that encrypt stored secrets (<c>PaySessions:Secrets</c>): id → base64 of 32 random bytes.</summary>
public sealed class SecretOptions
{
    public const string Section = "PaySessions:Secrets";

    /// <summary>The key new secrets are encrypted with; older keys stay listed to read older secrets.</summary>
    public string ActiveKeyId { get; set; } = "";

    public Dictionary<string, string> Keys { get; set; } = new(StringComparer.Ordinal);
}

public sealed class SecretOptionsValidator : IValidateOptions<SecretOptions>
{
    public ValidateOptionsResult Validate(string? name, SecretOptions options)
    {
        if (!options.Keys.TryGetValue(options.ActiveKeyId, out var key))
        {
            return ValidateOptionsResult.Fail(
                "PaySessions:Secrets:ActiveKeyId must name a key in PaySessions:Secrets:Keys (base64 of 32 random bytes, e.g. `openssl rand -base64 32`).");
        }

        return Decodes(key) ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail("PaySessions:Secrets:Keys values must be base64 of exactly 32 bytes.");
    }

    internal static bool Decodes(string key)
    {
        Span<byte> buffer = stackalloc byte[48];
        return Convert.TryFromBase64String(key, buffer, out var written) && written == 32;
    }
}

/// <summary>
/// Encrypts secrets that must be read back (webhook signing secrets) with AES-256-GCM before they
/// are stored: <c>v1.&lt;key id&gt;.&lt;base64 nonce|ciphertext|tag&gt;</c>. A stolen database row is no secret;
/// the key lives only in configuration.
/// </summary>
public sealed class SecretProtector(IOptions<SecretOptions> options)
{
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public string Protect(string secret)
    {
        var keyId = options.Value.ActiveKeyId;
        var plain = Encoding.UTF8.GetBytes(secret);
        var sealedBytes = new byte[NonceSize + plain.Length + TagSize];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(Key(keyId), TagSize);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(NonceSize, plain.Length), sealedBytes.AsSpan(NonceSize + plain.Length), Encoding.UTF8.GetBytes(keyId));
        return $"v1.{keyId}.{Convert.ToBase64String(sealedBytes)}";
    }

    /// <exception cref="CryptographicException">The text was not sealed by a configured key, or was altered.</exception>
    public string Unprotect(string protectedSecret)
    {
        var parts = protectedSecret.Split('.', 3);
        if (parts is not ["v1", var keyId, var payload])
        {
            throw new CryptographicException("Not a protected secret.");
        }

        var sealedBytes = Convert.FromBase64String(payload);
        if (sealedBytes.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("Protected secret is truncated.");
        }

        var plain = new byte[sealedBytes.Length - NonceSize - TagSize];
        using var aes = new AesGcm(Key(keyId), TagSize);
        aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, plain.Length), sealedBytes.AsSpan(NonceSize + plain.Length), plain, Encoding.UTF8.GetBytes(keyId));
        return Encoding.UTF8.GetString(plain);
    }

    private byte[] Key(string keyId) =>
        options.Value.Keys.TryGetValue(keyId, out var key)
            ? Convert.FromBase64String(key)
            : throw new CryptographicException($"No secret key '{keyId}' is configured.");
}
