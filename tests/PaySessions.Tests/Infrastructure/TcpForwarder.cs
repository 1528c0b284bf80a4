using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace PaySessions.Tests.Infrastructure;

/// <summary>
/// A loopback TCP port that forwards to another one, whose target can change: a server restarted on
/// a new port stays reachable at the same address, as a real one restarted in place would.
/// </summary>
public sealed class TcpForwarder : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<TcpClient, byte> _open = new();
    private readonly Task _accepting;
    private volatile int _targetPort;

    public TcpForwarder(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>New connections go to <paramref name="targetPort"/>; open ones are cut.</summary>
    public void Retarget(int targetPort)
    {
        _targetPort = targetPort;
        foreach (var client in _open.Keys)
        {
            client.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        Retarget(0);
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient incoming;
            try
            {
                incoming = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ForwardAsync(incoming);
        }
    }

    private async Task ForwardAsync(TcpClient incoming)
    {
        using var outgoing = new TcpClient();
        _open[incoming] = 0;
        _open[outgoing] = 0;
        try
        {
            await outgoing.ConnectAsync(IPAddress.Loopback, _targetPort, _stopping.Token);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            var there = incoming.GetStream().CopyToAsync(outgoing.GetStream(), either.Token);
            var back = outgoing.GetStream().CopyToAsync(incoming.GetStream(), either.Token);
            await Task.WhenAny(there, back);
            await either.CancelAsync();
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The server went away or the forwarder stopped: the client sees its connection drop.
        }
        finally
        {
            _open.TryRemove(incoming, out _);
            _open.TryRemove(outgoing, out _);
            incoming.Dispose();
        }
    }
}
