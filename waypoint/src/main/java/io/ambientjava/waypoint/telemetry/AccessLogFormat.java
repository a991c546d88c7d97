package io.ambientjava.waypoint.telemetry;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An access log line format made of Envoy's command operators ({@code %START_TIME%}, {@code %REQ(:METHOD)%},
 * {@code %RESPONSE_CODE%}, ...): plain text, or JSON with one such template per key. An operator the waypoint does
 * not implement is refused when the format is parsed, naming it.
 */
public sealed interface AccessLogFormat {

    /**
     * The default line, after the guide: {@code [time] "METHOD PATH PROTOCOL" code bytes_sent duration
     * upstream_time "x-forwarded-for" "user-agent" "trace-id" "span-id" "client-ip"}.
     */
    String GUIDE_FORMAT = "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\""
            + " %RESPONSE_CODE% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%"
            + " \"%REQ(X-FORWARDED-FOR)%\" \"%REQ(USER-AGENT)%\" \"%TRACE_ID%\" \"%SPAN_ID%\""
            + " \"%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%\"\n";

    Set<String> OPERATORS = Set.of(
            "START_TIME",
            "REQ",
            "RESP",
            "PROTOCOL",
            "RESPONSE_CODE",
            "RESPONSE_FLAGS",
            "BYTES_RECEIVED",
            "BYTES_SENT",
            "DURATION",
            "UPSTREAM_HOST",
            "UPSTREAM_CLUSTER",
            "UPSTREAM_CLUSTER_RAW",
            "UPSTREAM_REQUEST_ATTEMPT_COUNT",
            "ROUTE_NAME",
            "DOWNSTREAM_REMOTE_ADDRESS",
            "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT",
            "DOWNSTREAM_PEER_URI_SAN",
            "UPSTREAM_PEER_URI_SAN",
            "TRACE_ID",
            "SPAN_ID",
            "GRPC_STATUS_NUMBER");

    /** One rendered line, ending with a newline. */
    String render(RequestAttributes request);

    static AccessLogFormat guide() {
        return text(GUIDE_FORMAT);
    }

    static AccessLogFormat text(String template) {
        return new Text(template, Template.parse(template));
    }

    /** JSON: each value a template; a value that is exactly one operator keeps a number's type. */
    static AccessLogFormat json(Map<String, String> fields) {
        Map<String, Template> parsed = new LinkedHashMap<>();
        fields.forEach((k, v) -> parsed.put(k, Template.parse(v)));
        return new Json(Map.copyOf(fields), parsed);
    }

    record Text(String template, Template parsed) implements AccessLogFormat {
        @Override
        public String render(RequestAttributes request) {
            String line = parsed.render(request);
            return line.endsWith("\n") ? line : line + "\n";
        }
    }

    record Json(Map<String, String> fields, Map<String, Template> parsed) implements AccessLogFormat {
        @Override
        public String render(RequestAttributes request) {
            StringBuilder out = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<String, Template> e : new java.util.TreeMap<>(parsed).entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                JsonStrings.quote(out, e.getKey());
                out.append(':');
                Object value = e.getValue().value(request);
                if (value == null) {
                    out.append("null");
                } else if (value instanceof Number) {
                    out.append(value);
                } else {
                    JsonStrings.quote(out, value.toString());
                }
            }
            return out.append("}\n").toString();
        }
    }

    /** A parsed template: literal text and operators in order. */
    record Template(List<Part> parts) {

        sealed interface Part {}

        record Literal(String text) implements Part {}

        /** {@code %NAME%} or {@code %NAME(arg)%} / {@code %NAME(arg):maxLength%}. */
        record Operator(String name, String argument, int maxLength) implements Part {}

        static Template parse(String template) {
            List<Part> parts = new ArrayList<>();
            StringBuilder literal = new StringBuilder();
            int i = 0;
            while (i < template.length()) {
                char c = template.charAt(i);
                if (c != '%') {
                    literal.append(c);
                    i++;
                    continue;
                }
                if (i + 1 < template.length() && template.charAt(i + 1) == '%') {
                    literal.append('%');
                    i += 2;
                    continue;
                }
                int end = template.indexOf('%', i + 1);
                if (end < 0) {
                    throw new IllegalArgumentException(
                            "unterminated command operator at position " + i + " in format '" + template + "'");
                }
                if (!literal.isEmpty()) {
                    parts.add(new Literal(literal.toString()));
                    literal.setLength(0);
                }
                parts.add(operator(template.substring(i + 1, end), template));
                i = end + 1;
            }
            if (!literal.isEmpty()) {
                parts.add(new Literal(literal.toString()));
            }
            return new Template(List.copyOf(parts));
        }

        private static Operator operator(String body, String template) {
            String name = body;
            String argument = "";
            int maxLength = -1;
            int open = body.indexOf('(');
            if (open >= 0) {
                int close = body.indexOf(')', open);
                if (close < 0) {
                    throw new IllegalArgumentException("missing ')' in %" + body + "% of format '" + template + "'");
                }
                name = body.substring(0, open);
                argument = body.substring(open + 1, close);
                String rest = body.substring(close + 1);
                if (rest.startsWith(":")) {
                    try {
                        maxLength = Integer.parseInt(rest.substring(1));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("bad length '" + rest.substring(1) + "' in %" + body
                                + "% of format '" + template + "'");
                    }
                } else if (!rest.isEmpty()) {
                    throw new IllegalArgumentException("unexpected '" + rest + "' in %" + body + "%");
                }
            }
            if (!OPERATORS.contains(name)) {
                throw new IllegalArgumentException("unsupported command operator %" + body + "% in format '" + template
                        + "' (supported: " + String.join(", ", new java.util.TreeSet<>(OPERATORS)) + ")");
            }
            boolean takesArgument = name.equals("REQ") || name.equals("RESP");
            if (takesArgument == argument.isEmpty() && !(name.equals("START_TIME") && argument.isEmpty())) {
                throw new IllegalArgumentException(
                        "%" + body + "% " + (takesArgument ? "needs a header name" : "takes no argument"));
            }
            return new Operator(name, argument, maxLength);
        }

        String render(RequestAttributes request) {
            StringBuilder out = new StringBuilder();
            for (Part p : parts) {
                switch (p) {
                    case Literal l -> out.append(l.text());
                    case Operator o -> {
                        Object v = value(o, request);
                        out.append(v == null ? "-" : v.toString());
                    }
                }
            }
            return out.toString();
        }

        /** A single operator keeps its type (numbers stay numbers in JSON); text otherwise. */
        Object value(RequestAttributes request) {
            if (parts.size() == 1 && parts.getFirst() instanceof Operator o) {
                return value(o, request);
            }
            return render(request);
        }

        private static final DateTimeFormatter TIME =
                DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

        private static Object value(Operator o, RequestAttributes a) {
            RequestRecord r = a.record();
            Object v = switch (o.name()) {
                case "START_TIME" -> TIME.format(r.start());
                case "REQ" -> header(o.argument(), a::requestHeader);
                case "RESP" -> {
                    Object h = header(o.argument(), a::responseHeader);
                    if (h == null
                            && o.argument().equalsIgnoreCase("x-envoy-upstream-service-time")
                            && a.upstreamServiceMillis() >= 0) {
                        yield a.upstreamServiceMillis();
                    }
                    yield h;
                }
                case "PROTOCOL" -> r.protocol();
                case "RESPONSE_CODE" -> (long) r.status();
                case "RESPONSE_FLAGS" -> r.responseFlags();
                case "BYTES_RECEIVED" -> r.requestBytes();
                case "BYTES_SENT" -> r.responseBytes();
                case "DURATION" -> r.durationMillis();
                case "UPSTREAM_HOST" -> r.upstreamHost().orElse(null);
                case "UPSTREAM_CLUSTER", "UPSTREAM_CLUSTER_RAW" -> r.cluster().equals("-") ? null : r.cluster();
                case "UPSTREAM_REQUEST_ATTEMPT_COUNT" -> (long) r.attempts();
                case "ROUTE_NAME" -> r.routeName().equals("-") ? null : r.routeName();
                case "DOWNSTREAM_REMOTE_ADDRESS" -> r.sourceAddress().orElse(null);
                case "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT" ->
                    r.sourceAddress().map(Template::withoutPort).orElse(null);
                case "DOWNSTREAM_PEER_URI_SAN" -> r.sourcePrincipal().orElse(null);
                case "UPSTREAM_PEER_URI_SAN" -> r.destinationPrincipal().orElse(null);
                case "TRACE_ID" -> a.traceId().orElse(null);
                case "SPAN_ID" -> a.spanId().orElse(null);
                case "GRPC_STATUS_NUMBER" -> r.grpcStatus().orElse(null);
                default -> throw new IllegalStateException(o.name());
            };
            if (v instanceof String s && o.maxLength() >= 0 && s.length() > o.maxLength()) {
                return s.substring(0, o.maxLength());
            }
            return v;
        }

        /** {@code A?B}: header A, else header B. */
        private static Object header(String spec, java.util.function.Function<String, Optional<String>> lookup) {
            for (String name : spec.split("\\?")) {
                Optional<String> v = lookup.apply(name);
                if (v.isPresent()) {
                    return v.get();
                }
            }
            return null;
        }

        private static String withoutPort(String address) {
            if (address.startsWith("[")) {
                int end = address.indexOf(']');
                return end > 0 ? address.substring(1, end) : address;
            }
            int colon = address.lastIndexOf(':');
            return colon > 0 && address.indexOf(':') == colon ? address.substring(0, colon) : address;
        }
    }
}
