package io.ambientjava.waypoint.telemetry;

import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The small part of CEL that Istio's Telemetry API users write, evaluated against a finished request: attributes
 * ({@code request.host}, {@code request.headers['x-user']}, {@code response.code}, ...), string, integer and
 * boolean literals, comparisons ({@code == != < <= > >=}), {@code && || !} and parentheses. Anything else is
 * refused when parsed ({@link ExpressionException}), naming what was not understood, so the control plane's
 * config is NACKed instead of silently doing nothing.
 */
public sealed interface TelemetryExpression {

    /** The attributes expressions may read. */
    Set<String> ATTRIBUTES = Set.of(
            "request.host",
            "request.method",
            "request.path",
            "request.url_path",
            "request.scheme",
            "request.protocol",
            "request.id",
            "request.useragent",
            "request.referer",
            "request.size",
            "request.duration",
            "response.code",
            "response.flags",
            "response.size",
            "response.grpc_status",
            "source.principal",
            "source.address",
            "source.workload",
            "destination.service",
            "destination.principal",
            "upstream.address",
            "xds.cluster_name",
            "xds.route_name",
            "connection.mtls");

    /** The value: a String, a Long, a Boolean, or null when the attribute is absent. */
    Object evaluate(RequestAttributes request);

    /** The source text, as written. */
    String source();

    static TelemetryExpression parse(String text) {
        return new ExpressionParser(text).parse();
    }

    /** Evaluates to a tag value: absent → {@code "unknown"}, as Istio's stats filter reports it. */
    default String evaluateToString(RequestAttributes request) {
        Object value = evaluate(request);
        return value == null ? "unknown" : value.toString();
    }

    /** Evaluates as a filter: only {@code true} passes. */
    default boolean test(RequestAttributes request) {
        return Boolean.TRUE.equals(evaluate(request));
    }

    record Literal(Object value, String source) implements TelemetryExpression {
        @Override
        public Object evaluate(RequestAttributes request) {
            return value;
        }
    }

    /** {@code request.headers['name']} or {@code response.headers['name']}. */
    record Header(boolean response, String name, String source) implements TelemetryExpression {
        @Override
        public Object evaluate(RequestAttributes request) {
            Optional<String> value = response ? request.responseHeader(name) : request.requestHeader(name);
            return value.orElse(null);
        }
    }

    record Attribute(String name, String source) implements TelemetryExpression {
        @Override
        public Object evaluate(RequestAttributes request) {
            RequestRecord r = request.record();
            return switch (name) {
                case "request.host" -> r.authority();
                case "request.method" -> r.method();
                case "request.path" -> r.path();
                case "request.url_path" -> request.urlPath();
                case "request.scheme" -> request.requestHeader(":scheme").orElse("http");
                case "request.protocol" -> r.protocol();
                case "request.id" -> r.requestId();
                case "request.useragent" -> request.requestHeader("user-agent").orElse(null);
                case "request.referer" -> request.requestHeader("referer").orElse(null);
                case "request.size" -> r.requestBytes();
                case "request.duration" -> r.durationMillis();
                case "response.code" -> (long) r.status();
                case "response.flags" -> r.responseFlags();
                case "response.size" -> r.responseBytes();
                case "response.grpc_status" -> r.grpcStatus().orElse(null);
                case "source.principal" -> r.sourcePrincipal().orElse(null);
                case "source.address" -> r.sourceAddress().orElse(null);
                case "source.workload" -> r.sourceWorkload().orElse(null);
                case "destination.service" -> r.destinationService();
                case "destination.principal" -> r.destinationPrincipal().orElse(null);
                case "upstream.address" -> r.upstreamHost().orElse(null);
                case "xds.cluster_name" -> r.cluster();
                case "xds.route_name" -> r.routeName();
                case "connection.mtls" -> r.mtls();
                default -> throw new IllegalStateException("unchecked attribute " + name);
            };
        }
    }

    record Not(TelemetryExpression operand, String source) implements TelemetryExpression {
        @Override
        public Object evaluate(RequestAttributes request) {
            return !operand.test(request);
        }
    }

    record And(TelemetryExpression left, TelemetryExpression right, String source) implements TelemetryExpression {
        @Override
        public Object evaluate(RequestAttributes request) {
            return left.test(request) && right.test(request);
        }
    }

    record Or(TelemetryExpression left, TelemetryExpression right, String source) implements TelemetryExpression {
        @Override
        public Object evaluate(RequestAttributes request) {
            return left.test(request) || right.test(request);
        }
    }

    record Compare(String operator, TelemetryExpression left, TelemetryExpression right, String source)
            implements TelemetryExpression {
        @Override
        public Object evaluate(RequestAttributes request) {
            Object a = left.evaluate(request);
            Object b = right.evaluate(request);
            if (operator.equals("==")) {
                return equal(a, b);
            }
            if (operator.equals("!=")) {
                return !equal(a, b);
            }
            Long x = number(a);
            Long y = number(b);
            if (x == null || y == null) {
                return false; // CEL would report a type error; a filter simply does not match
            }
            return switch (operator) {
                case "<" -> x < y;
                case "<=" -> x <= y;
                case ">" -> x > y;
                case ">=" -> x >= y;
                default -> throw new IllegalStateException(operator);
            };
        }

        private static boolean equal(Object a, Object b) {
            if (a == null || b == null) {
                return a == b;
            }
            Long x = number(a);
            Long y = number(b);
            if (x != null && y != null) {
                return x.equals(y);
            }
            return a.toString().equals(b.toString());
        }

        private static Long number(Object value) {
            if (value instanceof Long l) {
                return l;
            }
            if (value instanceof Integer i) {
                return (long) i;
            }
            if (value instanceof String s) {
                try {
                    return Long.parseLong(s.trim());
                } catch (NumberFormatException notANumber) {
                    return null;
                }
            }
            return null;
        }
    }

    /** An expression the waypoint does not understand; the message quotes it and says why. */
    final class ExpressionException extends IllegalArgumentException {
        public ExpressionException(String expression, String problem) {
            super("unsupported expression '" + expression + "': " + problem + " (supported: attributes "
                    + String.join(", ", new java.util.TreeSet<>(ATTRIBUTES))
                    + ", request.headers['name'], response.headers['name'], string/integer/boolean literals,"
                    + " == != < <= > >=, &&, ||, !, parentheses)");
        }
    }

    /** Lower-cases a header name as HTTP/2 and the header maps have it. */
    static String headerName(String name) {
        return name.toLowerCase(Locale.ROOT);
    }
}
