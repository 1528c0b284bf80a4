using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.Options;
using Npgsql;
using PaySessions.Grains.Merchants;

namespace PaySessions.Silo.Hosting;

/// <summary>
/// One data-protection key ring for every node of a deployment, kept in PostgreSQL
/// (<c>data_protection_keys</c>): a hosted-page form rendered by one node posts its antiforgery
/// token to whichever node the load balancer picks. The keys' secret material is sealed with the
/// active <c>PaySessions:Secrets</c> key before it is stored, like the merchants' webhook secrets,
/// so a copy of the database forges no token.
/// </summary>
public static class SharedKeyRing
{
    /// <summary>
    /// The discriminator every node shares; by default the framework would use the content root,
    /// which differs between machines and would split the ring.
    /// </summary>
    public const string ApplicationName = "PaySessions";

    public static IServiceCollection AddSharedKeyRing(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName(ApplicationName);
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(provider => new ConfigureOptions<KeyManagementOptions>(options =>
        {
            options.XmlRepository = new PostgresXmlRepository(provider.GetRequiredService<NpgsqlDataSource>());
            options.XmlEncryptor = new SecretSealingXmlEncryptor(provider.GetRequiredService<SecretProtector>());
        }));
        return services;
    }
}

/// <summary>
/// The key ring's rows. The framework calls these rarely (at start, when a key is made, and when
/// it meets a key it does not know) and synchronously, outside any grain.
/// </summary>
public sealed class PostgresXmlRepository(NpgsqlDataSource dataSource) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var command = dataSource.CreateCommand("SELECT xml FROM data_protection_keys ORDER BY created_at, friendly_name");
        using var reader = command.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read())
        {
            elements.Add(XElement.Parse(reader.GetString(0)));
        }

        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        // Friendly names are "key-<guid>": two nodes making a key at once store two keys, and both
        // stay valid; a name seen twice is the same key written again, kept as first written.
        using var command = dataSource.CreateCommand("INSERT INTO data_protection_keys (friendly_name, xml) VALUES ($1, $2) ON CONFLICT (friendly_name) DO NOTHING");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = friendlyName });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = element.ToString(SaveOptions.DisableFormatting) });
        command.ExecuteNonQuery();
    }
}

/// <summary>Seals a key's secret element with <see cref="SecretProtector"/> (AES-256-GCM under the configured key).</summary>
public sealed class SecretSealingXmlEncryptor(SecretProtector protector) : IXmlEncryptor
{
    internal const string ElementName = "sealedBySecretsKey";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement) =>
        new(new XElement(ElementName, protector.Protect(plaintextElement.ToString(SaveOptions.DisableFormatting))), typeof(SecretSealingXmlDecryptor));
}

/// <summary>
/// Opens what <see cref="SecretSealingXmlEncryptor"/> sealed. The framework makes it by type, with
/// the service provider; older secrets keys stay readable while they are listed in configuration.
/// </summary>
public sealed class SecretSealingXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement) =>
        XElement.Parse(services.GetRequiredService<SecretProtector>().Unprotect(encryptedElement.Value));
}
