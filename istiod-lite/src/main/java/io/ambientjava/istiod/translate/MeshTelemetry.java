package io.ambientjava.istiod.translate;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The telemetry part of Istio's MeshConfig: the extension providers Telemetry resources name (Zipkin,
 * OpenTelemetry, Envoy file access logs, Prometheus), the default providers, the default sampling percentage and
 * the old-style {@code accessLogFile}. Read from a MeshConfig YAML file (the {@code mesh} key of Istio's
 * {@code istio} ConfigMap, or the ConfigMap itself); unknown fields in what is read are refused by name.
 *
 * @param providers by name; {@code prometheus} and {@code envoy} (stdout, default format) are built in, as in Istio
 * @param defaultSamplingPercent {@code defaultConfig.tracing.sampling} (Istio's default: 1%)
 */
public record MeshTelemetry(
        Map<String, Provider> providers,
        DefaultProviders defaultProviders,
        double defaultSamplingPercent,
        Optional<Provider.FileAccessLog> accessLogFile) {

    public MeshTelemetry {
        providers = Map.copyOf(providers);
        Objects.requireNonNull(defaultProviders, "defaultProviders");
        Objects.requireNonNull(accessLogFile, "accessLogFile");
    }

    /** One {@code extensionProviders} entry. */
    public sealed interface Provider {
        String name();

        record Zipkin(String name, String service, int port, int maxTagLength) implements Provider {}

        /**
         * OTLP: over HTTP to {@code path} (default {@code /v1/traces}) when the provider has an {@code http} block,
         * else over gRPC ({@code path} empty), as Istio does.
         */
        record OpenTelemetry(String name, String service, int port, String path) implements Provider {
            public boolean grpc() {
                return path.isEmpty();
            }
        }

        /**
         * @param text a text format of Envoy command operators (empty: the default)
         * @param labels a JSON format (key → operators), used when not empty
         */
        record FileAccessLog(String name, String path, String text, Map<String, String> labels) implements Provider {
            public FileAccessLog {
                labels = Map.copyOf(labels);
            }
        }

        record Prometheus(String name) implements Provider {}
    }

    public record DefaultProviders(List<String> metrics, List<String> tracing, List<String> accessLogging) {
        public DefaultProviders {
            metrics = List.copyOf(metrics);
            tracing = List.copyOf(tracing);
            accessLogging = List.copyOf(accessLogging);
        }
    }

    private static final Map<String, Provider> BUILT_IN = Map.of(
            "prometheus", new Provider.Prometheus("prometheus"),
            "envoy", new Provider.FileAccessLog("envoy", "/dev/stdout", "", Map.of()));

    /** Istio's defaults: the built-in providers, Prometheus metrics, no tracing or access logs, 1% sampling. */
    public static MeshTelemetry defaults() {
        return new MeshTelemetry(
                BUILT_IN, new DefaultProviders(List.of("prometheus"), List.of(), List.of()), 1.0, Optional.empty());
    }

    public Optional<Provider> provider(String name) {
        return Optional.ofNullable(providers.get(name));
    }

    /** Reads a mesh config file; a missing or unreadable file is an IllegalArgumentException naming it. */
    public static MeshTelemetry read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("mesh config " + file + " cannot be read: " + e, e);
        }
        return parse(text, file.toString());
    }

    /** A MeshConfig document, or an {@code istio} ConfigMap whose {@code data.mesh} holds one. */
    public static MeshTelemetry parse(String yaml, String source) {
        ObjectMapper mapper = YAMLMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
        JsonNode root;
        try {
            root = mapper.readTree(yaml);
            if (root != null && root.path("kind").asText().equals("ConfigMap")) {
                String mesh = root.path("data").path("mesh").asText("");
                root = mapper.readTree(mesh);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": not YAML: " + e.getMessage(), e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return defaults();
        }
        return new Reader(source).read(root);
    }

    private record Reader(String source) {

        MeshTelemetry read(JsonNode root) {
            Map<String, Provider> providers = new LinkedHashMap<>(BUILT_IN);
            for (JsonNode p : root.path("extensionProviders")) {
                Provider provider = provider(p);
                providers.put(provider.name(), provider);
            }
            JsonNode d = root.path("defaultProviders");
            onlyFields(d, "defaultProviders", Set.of("metrics", "tracing", "accessLogging"));
            DefaultProviders defaults = new DefaultProviders(
                    d.has("metrics") ? strings(d.get("metrics")) : List.of("prometheus"),
                    strings(d.path("tracing")),
                    strings(d.path("accessLogging")));
            for (List<String> names : List.of(defaults.metrics(), defaults.tracing(), defaults.accessLogging())) {
                for (String name : names) {
                    if (!providers.containsKey(name)) {
                        throw problem(
                                "defaultProviders names '" + name + "', which no extensionProviders entry defines");
                    }
                }
            }
            double sampling =
                    root.path("defaultConfig").path("tracing").path("sampling").asDouble(1.0);
            if (sampling < 0 || sampling > 100) {
                throw problem("defaultConfig.tracing.sampling must be within 0..100, got " + sampling);
            }
            Optional<Provider.FileAccessLog> file = Optional.empty();
            String path = root.path("accessLogFile").asText("");
            if (!path.isEmpty()) {
                String encoding = root.path("accessLogEncoding").asText("TEXT");
                if (!encoding.equals("TEXT") && !encoding.equals("JSON")) {
                    throw problem("accessLogEncoding must be TEXT or JSON, got " + encoding);
                }
                String format = root.path("accessLogFormat").asText("");
                Map<String, String> labels = encoding.equals("JSON") ? jsonDefault() : Map.of();
                file = Optional.of(new Provider.FileAccessLog("accessLogFile", path, format, labels));
            }
            return new MeshTelemetry(providers, defaults, sampling, file);
        }

        private Provider provider(JsonNode p) {
            String name = p.path("name").asText("");
            if (name.isEmpty()) {
                throw problem("an extensionProviders entry needs a name");
            }
            List<String> kinds = new ArrayList<>();
            p.fieldNames().forEachRemaining(f -> {
                if (!f.equals("name")) {
                    kinds.add(f);
                }
            });
            if (kinds.size() != 1) {
                throw problem("extensionProviders '" + name + "' must have exactly one provider kind, has " + kinds);
            }
            String kind = kinds.getFirst();
            JsonNode c = p.get(kind);
            String at = "extensionProviders '" + name + "'." + kind;
            return switch (kind) {
                case "zipkin" -> {
                    onlyFields(c, at, Set.of("service", "port", "maxTagLength", "enable64bitTraceId", "headers"));
                    yield new Provider.Zipkin(
                            name,
                            service(c, at),
                            port(c, at),
                            c.path("maxTagLength").asInt(256));
                }
                case "opentelemetry" -> {
                    onlyFields(c, at, Set.of("service", "port", "http", "maxTagLength", "resourceDetectors"));
                    JsonNode http = c.path("http");
                    onlyFields(http, at + ".http", Set.of("path", "timeout", "headers"));
                    String path = http.isMissingNode() ? "" : http.path("path").asText("/v1/traces");
                    yield new Provider.OpenTelemetry(
                            name,
                            service(c, at),
                            port(c, at),
                            path.isEmpty() || path.startsWith("/") ? path : "/" + path);
                }
                case "envoyFileAccessLog" -> {
                    onlyFields(c, at, Set.of("path", "logFormat"));
                    String path = c.path("path").asText("");
                    if (path.isEmpty()) {
                        throw problem(at + ".path is required");
                    }
                    JsonNode format = c.path("logFormat");
                    onlyFields(format, at + ".logFormat", Set.of("text", "labels", "omitEmptyValues"));
                    Map<String, String> labels = new LinkedHashMap<>();
                    Iterator<Map.Entry<String, JsonNode>> fields =
                            format.path("labels").fields();
                    fields.forEachRemaining(
                            e -> labels.put(e.getKey(), e.getValue().asText()));
                    yield new Provider.FileAccessLog(
                            name, path, format.path("text").asText(""), labels);
                }
                case "prometheus" -> new Provider.Prometheus(name);
                default ->
                    throw problem("extensionProviders '" + name + "': provider kind '" + kind
                            + "' is not supported (zipkin, opentelemetry, envoyFileAccessLog, prometheus)");
            };
        }

        private String service(JsonNode c, String at) {
            String service = c.path("service").asText("");
            if (service.isEmpty()) {
                throw problem(at + ".service is required");
            }
            return service;
        }

        private int port(JsonNode c, String at) {
            int port = c.path("port").asInt(0);
            if (port <= 0 || port > 65535) {
                throw problem(at + ".port must be 1..65535");
            }
            return port;
        }

        private List<String> strings(JsonNode list) {
            List<String> out = new ArrayList<>();
            list.forEach(n -> out.add(n.asText()));
            return out;
        }

        private void onlyFields(JsonNode node, String at, Set<String> known) {
            node.fieldNames().forEachRemaining(f -> {
                if (!known.contains(f)) {
                    throw problem("unknown field " + at + "." + f + " (known: " + new java.util.TreeSet<>(known) + ")");
                }
            });
        }

        private IllegalArgumentException problem(String message) {
            return new IllegalArgumentException(source + ": " + message);
        }

        /** Istio's default JSON access log fields. */
        private static Map<String, String> jsonDefault() {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("start_time", "%START_TIME%");
            m.put("method", "%REQ(:METHOD)%");
            m.put("path", "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%");
            m.put("protocol", "%PROTOCOL%");
            m.put("response_code", "%RESPONSE_CODE%");
            m.put("response_flags", "%RESPONSE_FLAGS%");
            m.put("bytes_received", "%BYTES_RECEIVED%");
            m.put("bytes_sent", "%BYTES_SENT%");
            m.put("duration", "%DURATION%");
            m.put("upstream_service_time", "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%");
            m.put("x_forwarded_for", "%REQ(X-FORWARDED-FOR)%");
            m.put("user_agent", "%REQ(USER-AGENT)%");
            m.put("request_id", "%REQ(X-REQUEST-ID)%");
            m.put("authority", "%REQ(:AUTHORITY)%");
            m.put("upstream_host", "%UPSTREAM_HOST%");
            m.put("upstream_cluster", "%UPSTREAM_CLUSTER%");
            m.put("downstream_remote_address", "%DOWNSTREAM_REMOTE_ADDRESS%");
            m.put("route_name", "%ROUTE_NAME%");
            m.put("trace_id", "%TRACE_ID%");
            return m;
        }
    }
}
