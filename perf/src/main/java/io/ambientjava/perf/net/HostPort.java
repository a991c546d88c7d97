package io.ambientjava.perf.net;

import java.net.InetSocketAddress;

/** {@code host:port} text for socket addresses passed between the benchmark and its tunnel child. */
public final class HostPort {

    private HostPort() {}

    public static String format(InetSocketAddress address) {
        return address.getHostString() + ":" + address.getPort();
    }

    /** Parses {@code host:port} (IPv4 or a name; the benchmark uses 127.0.0.1 only). */
    public static InetSocketAddress parse(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException("expected <host>:<port>, got '" + hostPort + "'");
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port in '" + hostPort + "' is not a number", e);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port in '" + hostPort + "' is out of range 0-65535");
        }
        return new InetSocketAddress(hostPort.substring(0, colon), port);
    }
}
