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
            lock (_gate)
            {
                _open.Add(inbound);
                _open.Add(outbound);
            }
            var a = inbound.GetStream().CopyToAsync(outbound.GetStream(), _stop.Token);
            var b = outbound.GetStream().CopyToAsync(inbound.GetStream(), _stop.Token);
            await Task.WhenAny(a, b);
        }
        catch (Exception)
        {
            // A cut connection ends here; the client sees it closed.
        }
        finally
        {
            inbound.Dispose();
            outbound.Dispose();
        }
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        Cut();
        return ValueTask.CompletedTask;
    }
}
