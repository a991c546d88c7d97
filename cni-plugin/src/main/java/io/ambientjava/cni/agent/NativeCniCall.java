package io.ambientjava.cni.agent;

import io.ambientjava.cni.CniPlugin;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A whole CNI call forwarded by the native launcher ({@code src/main/c/ambient-cni-native.c}): {@code "CNI1\0"},
 * the runtime's {@code CNI_*} environment as {@code KEY=VALUE\0} entries, an empty entry, then the plugin's stdin.
 * The agent runs {@link CniPlugin} on it and answers with the exit code, a newline, and the plugin's stdout.
 */
final class NativeCniCall {
    private static final byte[] MAGIC = "CNI1\0".getBytes(StandardCharsets.US_ASCII);

    private NativeCniCall() {}

    /** The call's environment and stdin. */
    record Call(Map<String, String> env, String stdin) {}

    /** The call in {@code request}, or empty when the request is not a native-launcher frame. */
    static Optional<Call> parse(byte[] request) {
        if (request.length < MAGIC.length || !Arrays.equals(request, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            return Optional.empty();
        }
        Map<String, String> env = new HashMap<>();
        int position = MAGIC.length;
        while (true) {
            int end = indexOfNul(request, position);
            if (end < 0) {
                throw new IllegalArgumentException("native CNI call: environment not terminated");
            }
            if (end == position) {
                position++;
                break;
            }
            String entry = new String(request, position, end - position, StandardCharsets.UTF_8);
            int equals = entry.indexOf('=');
            if (equals <= 0 || !entry.startsWith("CNI_")) {
                throw new IllegalArgumentException("native CNI call: bad environment entry '" + entry + "'");
            }
            env.put(entry.substring(0, equals), entry.substring(equals + 1));
            position = end + 1;
        }
        return Optional.of(
                new Call(env, new String(request, position, request.length - position, StandardCharsets.UTF_8)));
    }

    static byte[] reply(CniPlugin.Outcome outcome) {
        return (outcome.exitCode() + "\n" + outcome.stdout()).getBytes(StandardCharsets.UTF_8);
    }

    private static int indexOfNul(byte[] bytes, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                return i;
            }
        }
        return -1;
    }
}
