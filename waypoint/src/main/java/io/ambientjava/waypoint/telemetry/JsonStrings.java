package io.ambientjava.waypoint.telemetry;

/** JSON string literals for the hand-written JSON the waypoint emits (access log lines, Zipkin spans). */
public final class JsonStrings {

    private JsonStrings() {}

    /** Appends {@code s} as a quoted JSON string, escaping quotes, backslashes and control characters. */
    public static void quote(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
