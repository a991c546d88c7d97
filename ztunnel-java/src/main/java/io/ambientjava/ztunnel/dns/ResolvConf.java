package io.ambientjava.ztunnel.dns;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The {@code nameserver} lines of a resolv.conf file: where ztunnel forwards names outside the mesh. */
public final class ResolvConf {
    private static final int DNS_PORT = 53;

    private ResolvConf() {}

    /** The nameservers of {@code file}, port 53; fails naming the file when it lists none usable. */
    public static List<InetSocketAddress> nameservers(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new IOException("cannot read " + file + " (" + e.getClass().getSimpleName() + ")", e);
        }
        List<InetSocketAddress> servers = parse(text);
        if (servers.isEmpty()) {
            throw new IOException(file + " lists no usable nameserver");
        }
        return servers;
    }

    static List<InetSocketAddress> parse(String text) {
        List<InetSocketAddress> servers = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] fields = line.strip().split("\\s+");
            if (fields.length < 2 || !fields[0].equals("nameserver")) {
                continue;
            }
            String address = fields[1];
            int zone = address.indexOf('%');
            if (zone >= 0) {
                address = address.substring(0, zone);
            }
            try {
                servers.add(new InetSocketAddress(InetAddress.ofLiteral(address), DNS_PORT));
            } catch (IllegalArgumentException e) {
                // not an IP literal: resolv.conf allows only addresses here
            }
        }
        return servers;
    }
}
