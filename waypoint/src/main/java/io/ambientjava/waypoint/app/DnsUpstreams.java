package io.ambientjava.waypoint.app;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The DNS servers that resolve the names of STRICT_DNS and LOGICAL_DNS clusters: {@code --dns-upstream}'s or the host's. */
final class DnsUpstreams {

    static final Path RESOLV_CONF = Path.of("/etc/resolv.conf");

    private DnsUpstreams() {}

    /** {@code --dns-upstream}'s {@code HOST:PORT} values ({@code [v6]:port} for an IPv6 address). */
    static List<InetSocketAddress> parse(List<String> values) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String value : values) {
            String v = value.strip();
            int colon = v.lastIndexOf(':');
            if (colon <= 0 || colon == v.length() - 1) {
                throw new IllegalArgumentException("--dns-upstream '" + value + "' must be HOST:PORT");
            }
            String host = v.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            } else if (host.indexOf(':') >= 0) {
                throw new IllegalArgumentException(
                        "--dns-upstream '" + value + "': write an IPv6 address in brackets, [addr]:port");
            }
            int port;
            try {
                port = Integer.parseInt(v.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--dns-upstream '" + value + "': the port is not a number");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("--dns-upstream '" + value + "': the port must be 1..65535");
            }
            InetSocketAddress address = new InetSocketAddress(host, port);
            if (address.isUnresolved()) {
                throw new IllegalArgumentException("--dns-upstream '" + value + "': cannot resolve " + host);
            }
            out.add(address);
        }
        return List.copyOf(out);
    }

    /** The {@code nameserver} lines of a resolv.conf, port 53; none when the file is missing. */
    static List<InetSocketAddress> fromResolvConf(Path file) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        List<InetSocketAddress> out = new ArrayList<>();
        for (String line : lines) {
            String[] words = line.strip().split("\\s+");
            if (words.length < 2 || !words[0].equals("nameserver")) {
                continue; // comments (# or ;) and other options
            }
            String ip = words[1];
            boolean literal = ip.indexOf(':') >= 0 || ip.chars().allMatch(c -> c == '.' || Character.isDigit(c));
            if (!literal) {
                continue; // resolv.conf names servers by address only
            }
            try {
                out.add(new InetSocketAddress(InetAddress.getByName(ip), 53));
            } catch (UnknownHostException e) {
                // not an address after all: skipped, as the C library does
            }
        }
        return List.copyOf(out);
    }
}
