using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;

namespace PaySessions.Tests.Infrastructure;

/// <summary>
/// A logger provider that keeps everything a host logs, at every level: the formatted message, every
/// structured value and scope, and exceptions, so a test can search the lot for what must never be there.
/// </summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _entries = new();

    public int Count => _entries.Count;

    public string Text => string.Join('\n', _entries);

    public ILogger CreateLogger(string categoryName) => new Capturing(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Capturing(CapturedLogs logs, string category) : ILogger
    {
        private static readonly AsyncLocal<List<object?>?> Scopes = new();

        public IDisposable BeginScope<TState>(TState state)
            where TState : notnull
        {
            var scopes = Scopes.Value ??= [];
            scopes.Add(state);
            return new Popped(scopes);
        }

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var entry = new StringBuilder().Append(logLevel).Append(' ').Append(category).Append(": ").Append(formatter(state, exception));
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    entry.Append(" | ").Append(key).Append('=').Append(value);
                }
            }

            foreach (var scope in Scopes.Value ?? [])
            {
                entry.Append(" | scope ").Append(scope);
            }

            if (exception is not null)
            {
                entry.Append('\n').Append(exception);
            }

            logs._entries.Enqueue(entry.ToString());
        }

        private sealed class Popped(List<object?> scopes) : IDisposable
        {
            public void Dispose()
            {
                if (scopes.Count > 0)
                {
                    scopes.RemoveAt(scopes.Count - 1);
                }
            }
        }
    }
}
