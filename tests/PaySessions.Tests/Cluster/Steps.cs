using Xunit.Abstractions;

namespace PaySessions.Tests.Cluster;

/// <summary>
/// Where the time of a long multi-process test goes, written to its output as it passes, for
/// whoever tunes the test: seconds since the test began and what was done. Nothing is asserted on it.
/// </summary>
public sealed class Steps(ITestOutputHelper output)
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    public void Step(string what)
    {
        output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:F1} s  {what}");
    }
}
