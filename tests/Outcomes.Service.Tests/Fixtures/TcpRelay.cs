using System.Net;
using System.Net.Sockets;

namespace Outcomes.Service.Tests.Fixtures;

/// A loopback TCP relay in front of a shared service (the broker), so that a test can take that service away from
/// its own host and give it back without stopping the instance every other test and checkout uses.
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly List<TcpClient> _open = [];
    // Each open connection's silence, completed by Freeze: nothing more passes either way, and nothing is closed.
    private readonly Dictionary<TcpClient, TaskCompletionSource> _silence = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private volatile bool _cut;

    public TcpRelay(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener.Start();
        _ = Accept();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// Drops every connection and refuses new ones, as a broker that went down.
    public void Cut()
    {
        _cut = true;
        lock (_gate)
        {
            foreach (var client in _open) client.Dispose();
            _open.Clear();
        }
    }

    public void Restore() => _cut = false;

    /// A silent partition of the connections open now: from here on they pass nothing either way and are never
    /// closed (no FIN, no RST), as when a network path dies without a word; connections made later work.
    public void Freeze()
    {
        lock (_gate)
            foreach (var silence in _silence.Values) silence.TrySetResult();
    }

    private async Task Accept()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            if (_cut)
            {
                inbound.Dispose();
                continue;
            }
            _ = Relay(inbound);
        }
    }

    private async Task Relay(TcpClient inbound)
    {
        var outbound = new TcpClient();
        try
        {
            await outbound.ConnectAsync(_targetHost, _targetPort, _stop.Token);
            var silence = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                _open.Add(inbound);
                _open.Add(outbound);
                _silence[inbound] = silence;
            }
            var a = Pump(inbound.GetStream(), outbound.GetStream(), silence.Task);
            var b = Pump(outbound.GetStream(), inbound.GetStream(), silence.Task);
            await Task.WhenAny(a, b);
        }
        catch (Exception)
        {
            // A cut connection ends here; the client sees it closed.
        }
        finally
        {
            lock (_gate) _silence.Remove(inbound);
            inbound.Dispose();
            outbound.Dispose();
        }
    }

    private async Task Pump(Stream from, Stream to, Task silenced)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var read = from.ReadAsync(buffer, _stop.Token).AsTask();
            if (await Task.WhenAny(read, silenced) == silenced) break;
            var n = await read;
            if (n == 0) return;
            if (silenced.IsCompleted) break;
            await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
        }
        // Silenced: hold both sockets open and pass nothing until the relay is disposed.
        await Task.Delay(Timeout.Infinite, _stop.Token);
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        Cut();
        return ValueTask.CompletedTask;
    }
}
