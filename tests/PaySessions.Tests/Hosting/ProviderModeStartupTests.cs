using Microsoft.Extensions.Options;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Hosting;

/// <summary>A provider's mode is checked when the process starts, not when the first live customer pays.</summary>
public sealed class ProviderModeStartupTests
{
    [Theory]
    [InlineData("sandbox", "Live", "is a sandbox and cannot be Live")]
    [InlineData("http", "Production", "Mode must be Live or Test, not 'Production'")]
    public async Task A_host_with_an_impossible_provider_mode_refuses_to_start(string type, string mode, string message)
    {
        var settings = new Dictionary<string, string?>
        {
            ["PaySessions:Providers:odd:Type"] = type,
            ["PaySessions:Providers:odd:Mode"] = mode,
            ["PaySessions:Providers:odd:BaseUrl"] = "http://127.0.0.1:9",
            ["PaySessions:Providers:odd:WebhookSecret"] = "whsec_odd_provider_0000",
        };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TestHost.StartAsync(settings: settings));

        Assert.Contains("PaySessions:Providers:odd", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
