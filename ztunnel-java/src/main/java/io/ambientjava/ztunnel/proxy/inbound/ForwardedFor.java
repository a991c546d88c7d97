package io.ambientjava.ztunnel.proxy.inbound;

import io.ambientjava.ztunnel.state.IpLiterals;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads the original client from an RFC 7239 {@code forwarded} header as HBONE clients send it:
 * {@code for="198.18.1.2:43210"} (IPv6 in brackets), possibly followed by {@code ;host=...} and further elements.
 * Only IP literals count; obfuscated identifiers ({@code for=_hidden}, {@code for=unknown}) and names are ignored.
 */
public final class ForwardedFor {

    private ForwardedFor() {}

    /** The first element's {@code for} address (port 0 when it has none), if it names an IP. */
    public static Optional<InetSocketAddress> parse(String header) {
        if (header == null) {
            return Optional.empty();
        }
        String first = header.split(",", 2)[0];
        for (String pair : first.split(";")) {
            int equals = pair.indexOf('=');
            if (equals < 0) {
                continue;
            }
            String name = pair.substring(0, equals).strip().toLowerCase(Locale.ROOT);
            if (name.equals("for")) {
                return node(unquote(pair.substring(equals + 1).strip()));
            }
        }
        return Optional.empty();
    }

    private static String unquote(String value) {
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            return value.substring(1, value.length() - 1);
        }
        return value;
    }

    private static Optional<InetSocketAddress> node(String node) {
        String host = node;
        String port = "";
        if (node.startsWith("[")) {
            int close = node.indexOf(']');
            if (close < 0) {
                return Optional.empty();
            }
            host = node.substring(1, close);
            String rest = node.substring(close + 1);
            if (rest.startsWith(":")) {
                port = rest.substring(1);
            } else if (!rest.isEmpty()) {
                return Optional.empty();
            }
        } else {
            int colon = node.indexOf(':');
            if (colon >= 0) {
                if (node.indexOf(':', colon + 1) >= 0) {
                    return Optional.empty(); // unbracketed IPv6 is not allowed with a port, and ambiguous without
                }
                host = node.substring(0, colon);
                port = node.substring(colon + 1);
            }
        }
        try {
            InetAddress ip = IpLiterals.parse(host);
            int portNumber = port.isEmpty() ? 0 : Integer.parseInt(port);
            if (portNumber < 0 || portNumber > 65535) {
                return Optional.empty();
            }
            return Optional.of(new InetSocketAddress(ip, portNumber));
        } catch (IllegalArgumentException notAnAddress) {
            return Optional.empty();
        }
    }
}
