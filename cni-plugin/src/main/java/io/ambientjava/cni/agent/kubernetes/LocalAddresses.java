package io.ambientjava.cni.agent.kubernetes;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;

/**
 * The local addresses of one network namespace from its {@code /proc/<pid>/net} files: IPv4 from {@code fib_trie}
 * (the entries the kernel marks {@code /32 host LOCAL}), IPv6 from {@code if_inet6}. Reading the files of a
 * process already inside the namespace needs no {@code setns}.
 */
final class LocalAddresses {
    /** Separates the two files when one command prints both. */
    static final String SEPARATOR = "--ambient-if-inet6--";

    private LocalAddresses() {}

    static Set<InetAddress> of(Path procNet) {
        Set<InetAddress> addresses = new HashSet<>();
        try {
            addresses.addAll(parseFibTrie(Files.readString(procNet.resolve("fib_trie"))));
        } catch (IOException | RuntimeException e) {
            // the process exited, or IPv4 is absent
        }
        try {
            addresses.addAll(parseIfInet6(Files.readString(procNet.resolve("if_inet6"))));
        } catch (IOException | RuntimeException e) {
            // IPv6 disabled
        }
        return addresses;
    }

    /** {@code fib_trie}, the {@link #SEPARATOR} line, then {@code if_inet6}. */
    static Set<InetAddress> parseCombined(String text) {
        int split = text.indexOf(SEPARATOR);
        if (split < 0) {
            return parseFibTrie(text);
        }
        Set<InetAddress> addresses = new HashSet<>(parseFibTrie(text.substring(0, split)));
        addresses.addAll(parseIfInet6(text.substring(split + SEPARATOR.length())));
        return addresses;
    }

    static Set<InetAddress> parseFibTrie(String text) {
        Set<InetAddress> addresses = new HashSet<>();
        String last = null;
        for (String line : text.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.startsWith("|-- ")) {
                last = trimmed.substring(4).strip();
            } else if (trimmed.equals("/32 host LOCAL") && last != null) {
                try {
                    addresses.add(InetAddress.ofLiteral(last));
                } catch (IllegalArgumentException e) {
                    // not an address line
                }
            }
        }
        return addresses;
    }

    static Set<InetAddress> parseIfInet6(String text) {
        Set<InetAddress> addresses = new HashSet<>();
        for (String line : text.split("\n")) {
            String[] fields = line.strip().split("\\s+");
            if (fields.length == 0 || fields[0].length() != 32) {
                continue;
            }
            try {
                addresses.add(InetAddress.getByAddress(HexFormat.of().parseHex(fields[0])));
            } catch (UnknownHostException | IllegalArgumentException e) {
                // not an address line
            }
        }
        return addresses;
    }
}
