package io.ambientjava.testing.netns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.function.LongPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names of the network namespaces a topology creates: {@code aj-<pidns>-<pid>-<random>-<role>}.
 *
 * <p>Only namespace names are global (files under {@code /var/run/netns}); interfaces are created inside
 * the namespaces, so their short names never meet another run's. The random part keeps parallel runs
 * apart; the pid namespace and pid let a later run find what a killed JVM left behind: a name from our
 * own pid namespace whose pid no longer exists is stale and safe to delete. Names from another pid
 * namespace are never touched, since we cannot tell whether their owner is alive.
 */
final class NetnsNames {
    static final String PREFIX = "aj-";
    private static final Pattern NAME = Pattern.compile("aj-([0-9a-z]+)-([0-9]+)-[0-9a-z]{4}-.+");
    private static final SecureRandom RANDOM = new SecureRandom();

    private NetnsNames() {}

    /** A prefix unique to one topology of this JVM, e.g. {@code aj-1ukp1wk-4242-k3f9-}. */
    static String newRunPrefix() {
        StringBuilder random = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            random.append(Character.forDigit(RANDOM.nextInt(36), 36));
        }
        return PREFIX + pidNamespaceTag() + "-" + ProcessHandle.current().pid() + "-" + random + "-";
    }

    /** The names among {@code existing} left by dead processes of our pid namespace. */
    static List<String> staleNames(List<String> existing, String ourPidNamespaceTag, LongPredicate pidAlive) {
        return existing.stream()
                .filter(name -> {
                    Matcher m = NAME.matcher(name);
                    return m.matches()
                            && m.group(1).equals(ourPidNamespaceTag)
                            && !pidAlive.test(Long.parseLong(m.group(2)));
                })
                .toList();
    }

    static String pidNamespaceTag() {
        try {
            // The link reads like "pid:[4026531836]".
            String link = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
            long inode = Long.parseLong(link.replaceAll("\\D", ""));
            return Long.toString(inode, 36);
        } catch (IOException | NumberFormatException e) {
            return "unknown";
        }
    }

    static boolean pidAlive(long pid) {
        return Files.exists(Path.of("/proc", Long.toString(pid)));
    }
}
