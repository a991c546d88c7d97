package io.ambientjava.waypoint.config;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.ambientjava.waypoint.telemetry.AccessLogFormat;
import io.ambientjava.waypoint.telemetry.TelemetryExpression;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLogFilter;
import io.envoyproxy.envoy.config.accesslog.v3.ComparisonFilter;
import io.envoyproxy.envoy.config.core.v3.SubstitutionFormatString;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.config.trace.v3.ZipkinConfig;
import io.envoyproxy.envoy.extensions.access_loggers.file.v3.FileAccessLog;
import io.envoyproxy.envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter;
import io.envoyproxy.envoy.extensions.access_loggers.stream.v3.StdoutAccessLog;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The telemetry parts of an {@code HttpConnectionManager} to {@link HttpTelemetryConfig}: {@code tracing} (Zipkin or
 * OpenTelemetry over HTTP), {@code access_log} (file or stdout loggers, text or JSON formats, filters), and the
 * {@code istio.stats} filter, whose config is Istio's {@code stats.PluginConfig} carried as an
 * {@code xds.type.v3.TypedStruct}. Anything the waypoint would not honour is refused by name.
 */
public final class TelemetryTranslator {

    public static final String STATS_FILTER = "istio.stats";
    public static final String STATS_CONFIG_TYPE = "type.googleapis.com/stats.PluginConfig";
    public static final String ZIPKIN = "envoy.tracers.zipkin";
    public static final String OPENTELEMETRY = "envoy.tracers.opentelemetry";
    public static final String FILE_LOGGER = "envoy.access_loggers.file";
    public static final String STDOUT_LOGGER = "envoy.access_loggers.stdout";
    public static final String CEL_FILTER = "envoy.access_loggers.extension_filters.cel";

    /** Istio's standard metrics by their stats-filter names. */
    public static final Set<String> METRICS = Set.of(
            "requests_total",
            "request_duration_milliseconds",
            "request_bytes",
            "response_bytes",
            "request_messages_total",
            "response_messages_total",
            "tcp_sent_bytes_total",
            "tcp_received_bytes_total",
            "tcp_connections_opened_total",
            "tcp_connections_closed_total");

    private TelemetryTranslator() {}

    /** The tracing and access log fields of {@code hcm}; the stats filter comes separately ({@link #stats}). */
    static HttpTelemetryConfig translate(HttpConnectionManager hcm, String path) {
        Optional<TracingConfig> tracing =
                hcm.hasTracing() ? Optional.of(tracing(hcm.getTracing(), path + ".tracing")) : Optional.empty();
        List<AccessLogConfig> logs = new ArrayList<>();
        for (int i = 0; i < hcm.getAccessLogCount(); i++) {
            logs.add(accessLog(hcm.getAccessLog(i), path + ".access_log[" + i + "]"));
        }
        return new HttpTelemetryConfig(tracing, logs, Optional.empty());
    }

    // ---- tracing

    static TracingConfig tracing(HttpConnectionManager.Tracing t, String path) {
        FieldGuard.onlyFields(
                t,
                path,
                Set.of(
                        "random_sampling",
                        "client_sampling",
                        "overall_sampling",
                        "custom_tags",
                        "provider",
                        "verbose",
                        "max_path_tag_length"));
        double percent = t.hasRandomSampling() ? t.getRandomSampling().getValue() : 100.0;
        if (!(percent >= 0 && percent <= 100)) {
            throw FieldGuard.invalid(path + ".random_sampling", "must be within 0..100, got " + percent);
        }
        List<TracingConfig.CustomTag> tags = new ArrayList<>();
        for (int i = 0; i < t.getCustomTagsCount(); i++) {
            var tag = t.getCustomTags(i);
            String tpath = path + ".custom_tags[" + i + "]";
            if (tag.getTag().isEmpty()) {
                throw FieldGuard.invalid(tpath + ".tag", "empty");
            }
            tags.add(
                    switch (tag.getTypeCase()) {
                        case LITERAL ->
                            new TracingConfig.LiteralTag(
                                    tag.getTag(), tag.getLiteral().getValue());
                        case ENVIRONMENT ->
                            new TracingConfig.EnvironmentTag(
                                    tag.getTag(),
                                    tag.getEnvironment().getName(),
                                    tag.getEnvironment().getDefaultValue());
                        case REQUEST_HEADER ->
                            new TracingConfig.RequestHeaderTag(
                                    tag.getTag(),
                                    tag.getRequestHeader().getName().toLowerCase(java.util.Locale.ROOT),
                                    tag.getRequestHeader().getDefaultValue());
                        default ->
                            throw new UnsupportedConfigException("unsupported custom tag type " + tag.getTypeCase()
                                    + " at " + tpath + " (literal, environment and request_header are supported)");
                    });
        }
        if (!t.hasProvider()) {
            throw FieldGuard.invalid(path + ".provider", "a tracing block needs a provider (zipkin or opentelemetry)");
        }
        var provider = t.getProvider();
        String ppath = path + ".provider";
        FieldGuard.onlyFields(provider, ppath, Set.of("name", "typed_config"));
        TracingConfig.Provider p = switch (provider.getName()) {
            case ZIPKIN ->
                zipkin(ListenerTranslator.unpack(provider.getTypedConfig(), ZipkinConfig.class, ppath), ppath);
            case OPENTELEMETRY ->
                openTelemetry(
                        ListenerTranslator.unpack(provider.getTypedConfig(), OpenTelemetryConfig.class, ppath), ppath);
            default ->
                throw new UnsupportedConfigException("unsupported tracer '" + provider.getName() + "' at " + ppath
                        + " (" + ZIPKIN + " and " + OPENTELEMETRY + " are supported)");
        };
        return new TracingConfig(percent, tags, p);
    }

    private static TracingConfig.Zipkin zipkin(ZipkinConfig z, String path) {
        String zpath = path + ".typed_config";
        FieldGuard.onlyFields(
                z,
                zpath,
                Set.of(
                        "collector_cluster",
                        "collector_endpoint",
                        "trace_id_128bit",
                        "shared_span_context",
                        "collector_endpoint_version",
                        "collector_hostname",
                        "split_spans_for_request"));
        if (z.getCollectorCluster().isEmpty()) {
            throw FieldGuard.invalid(zpath + ".collector_cluster", "empty");
        }
        if (z.getCollectorEndpointVersion() != ZipkinConfig.CollectorEndpointVersion.HTTP_JSON) {
            throw FieldGuard.invalid(
                    zpath + ".collector_endpoint_version",
                    "only HTTP_JSON is supported, got " + z.getCollectorEndpointVersion());
        }
        String endpoint = z.getCollectorEndpoint().isEmpty() ? "/api/v2/spans" : z.getCollectorEndpoint();
        if (!endpoint.startsWith("/")) {
            throw FieldGuard.invalid(zpath + ".collector_endpoint", "must be a path starting with '/'");
        }
        return new TracingConfig.Zipkin(z.getCollectorCluster(), endpoint, z.getCollectorHostname());
    }

    private static TracingConfig.Provider openTelemetry(OpenTelemetryConfig o, String path) {
        String opath = path + ".typed_config";
        FieldGuard.onlyFields(o, opath, Set.of("http_service", "grpc_service", "service_name"));
        if (o.hasGrpcService() == o.hasHttpService()) {
            throw FieldGuard.invalid(
                    opath, "needs one of grpc_service (OTLP over gRPC) and http_service (OTLP over HTTP)");
        }
        if (o.hasGrpcService()) {
            return openTelemetryGrpc(o, opath);
        }
        var http = o.getHttpService();
        FieldGuard.onlyFields(http, opath + ".http_service", Set.of("http_uri"));
        var uri = http.getHttpUri();
        FieldGuard.onlyFields(uri, opath + ".http_service.http_uri", Set.of("uri", "cluster", "timeout"));
        if (uri.getCluster().isEmpty()) {
            throw FieldGuard.invalid(opath + ".http_service.http_uri.cluster", "empty");
        }
        String target = uri.getUri();
        String exportPath;
        try {
            URI parsed = URI.create(target.contains("://") ? target : "http://" + target);
            exportPath =
                    parsed.getRawPath() == null || parsed.getRawPath().isEmpty() ? "/v1/traces" : parsed.getRawPath();
        } catch (IllegalArgumentException e) {
            throw FieldGuard.invalid(opath + ".http_service.http_uri.uri", "not a URI: " + target);
        }
        return new TracingConfig.OpenTelemetry(uri.getCluster(), exportPath, o.getServiceName());
    }

    /** {@code grpc_service.envoy_grpc.cluster_name}: the collector; Google gRPC (a target URI) is not supported. */
    private static TracingConfig.OpenTelemetryGrpc openTelemetryGrpc(OpenTelemetryConfig o, String opath) {
        var grpc = o.getGrpcService();
        String gpath = opath + ".grpc_service";
        FieldGuard.onlyFields(grpc, gpath, Set.of("envoy_grpc", "timeout"));
        if (!grpc.hasEnvoyGrpc()) {
            throw FieldGuard.invalid(gpath, "needs envoy_grpc (a cluster of the config); google_grpc is not supported");
        }
        FieldGuard.onlyFields(grpc.getEnvoyGrpc(), gpath + ".envoy_grpc", Set.of("cluster_name"));
        if (grpc.getEnvoyGrpc().getClusterName().isEmpty()) {
            throw FieldGuard.invalid(gpath + ".envoy_grpc.cluster_name", "empty");
        }
        java.time.Duration timeout =
                grpc.hasTimeout() ? ProtoValues.duration(grpc.getTimeout()) : java.time.Duration.ofSeconds(10);
        if (timeout.isZero() || timeout.isNegative()) {
            throw FieldGuard.invalid(gpath + ".timeout", "must be positive, was " + timeout);
        }
        return new TracingConfig.OpenTelemetryGrpc(grpc.getEnvoyGrpc().getClusterName(), o.getServiceName(), timeout);
    }

    // ---- access logs

    static AccessLogConfig accessLog(AccessLog log, String path) {
        FieldGuard.onlyFields(log, path, Set.of("name", "filter", "typed_config"));
        Optional<TelemetryExpression> filter =
                log.hasFilter() ? Optional.of(filter(log.getFilter(), path + ".filter")) : Optional.empty();
        String tpath = path + ".typed_config";
        if (ProtoTypes.holds(log.getTypedConfig(), FileAccessLog.class)) {
            FileAccessLog file = ListenerTranslator.unpack(log.getTypedConfig(), FileAccessLog.class, path);
            FieldGuard.onlyFields(file, tpath, Set.of("path", "log_format", "format", "json_format"));
            if (file.getPath().isEmpty()) {
                throw FieldGuard.invalid(tpath + ".path", "empty");
            }
            AccessLogFormat format = switch (file.getAccessLogFormatCase()) {
                case FORMAT -> parseFormat(() -> AccessLogFormat.text(file.getFormat()), tpath + ".format");
                case JSON_FORMAT -> json(file.getJsonFormat(), tpath + ".json_format");
                case LOG_FORMAT -> format(file.getLogFormat(), tpath + ".log_format");
                default -> AccessLogFormat.guide();
            };
            return new AccessLogConfig(file.getPath(), format, filter);
        }
        if (ProtoTypes.holds(log.getTypedConfig(), StdoutAccessLog.class)) {
            StdoutAccessLog out = ListenerTranslator.unpack(log.getTypedConfig(), StdoutAccessLog.class, path);
            FieldGuard.onlyFields(out, tpath, Set.of("log_format"));
            AccessLogFormat format =
                    out.hasLogFormat() ? format(out.getLogFormat(), tpath + ".log_format") : AccessLogFormat.guide();
            return new AccessLogConfig(AccessLogConfig.STDOUT, format, filter);
        }
        throw new UnsupportedConfigException("unsupported access logger '" + log.getName() + "' ("
                + log.getTypedConfig().getTypeUrl() + ") at " + path + " (" + FILE_LOGGER + " and " + STDOUT_LOGGER
                + " are supported)");
    }

    private static AccessLogFormat format(SubstitutionFormatString f, String path) {
        FieldGuard.onlyFields(f, path, Set.of("text_format", "text_format_source", "json_format", "content_type"));
        return switch (f.getFormatCase()) {
            case TEXT_FORMAT -> parseFormat(() -> AccessLogFormat.text(f.getTextFormat()), path + ".text_format");
            case TEXT_FORMAT_SOURCE -> {
                FieldGuard.onlyFields(f.getTextFormatSource(), path + ".text_format_source", Set.of("inline_string"));
                yield parseFormat(
                        () -> AccessLogFormat.text(f.getTextFormatSource().getInlineString()),
                        path + ".text_format_source.inline_string");
            }
            case JSON_FORMAT -> json(f.getJsonFormat(), path + ".json_format");
            default -> AccessLogFormat.guide();
        };
    }

    private static AccessLogFormat json(Struct struct, String path) {
        Map<String, String> fields = new LinkedHashMap<>();
        struct.getFieldsMap().forEach((key, value) -> {
            if (value.getKindCase() != Value.KindCase.STRING_VALUE) {
                throw FieldGuard.invalid(path + "." + key, "only string templates are supported");
            }
            fields.put(key, value.getStringValue());
        });
        return parseFormat(() -> AccessLogFormat.json(fields), path);
    }

    private static AccessLogFormat parseFormat(java.util.function.Supplier<AccessLogFormat> parse, String path) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw FieldGuard.invalid(path, e.getMessage());
        }
    }

    private static TelemetryExpression filter(AccessLogFilter f, String path) {
        return switch (f.getFilterSpecifierCase()) {
            case STATUS_CODE_FILTER ->
                comparison("response.code", f.getStatusCodeFilter().getComparison(), path);
            case DURATION_FILTER ->
                comparison("request.duration", f.getDurationFilter().getComparison(), path);
            case AND_FILTER -> combine(f.getAndFilter().getFiltersList(), true, path + ".and_filter");
            case OR_FILTER -> combine(f.getOrFilter().getFiltersList(), false, path + ".or_filter");
            case NOT_HEALTH_CHECK_FILTER -> new TelemetryExpression.Literal(true, "true");
            case EXTENSION_FILTER -> {
                var ext = f.getExtensionFilter();
                String epath = path + ".extension_filter";
                if (!ProtoTypes.holds(ext.getTypedConfig(), ExpressionFilter.class)) {
                    throw new UnsupportedConfigException("unsupported access log filter '" + ext.getName() + "' ("
                            + ext.getTypedConfig().getTypeUrl() + ") at " + epath + " (" + CEL_FILTER
                            + " is supported)");
                }
                ExpressionFilter cel = ListenerTranslator.unpack(ext.getTypedConfig(), ExpressionFilter.class, epath);
                FieldGuard.onlyFields(cel, epath + ".typed_config", Set.of("expression"));
                try {
                    yield TelemetryExpression.parse(cel.getExpression());
                } catch (IllegalArgumentException e) {
                    throw FieldGuard.invalid(epath + ".typed_config.expression", e.getMessage());
                }
            }
            default ->
                throw new UnsupportedConfigException("unsupported access log filter " + f.getFilterSpecifierCase()
                        + " at " + path
                        + " (status_code_filter, duration_filter, and_filter, or_filter, not_health_check_filter"
                        + " and the CEL extension filter are supported)");
        };
    }

    private static TelemetryExpression comparison(String attribute, ComparisonFilter c, String path) {
        String op = switch (c.getOp()) {
            case EQ -> "==";
            case GE -> ">=";
            case LE -> "<=";
            default -> throw FieldGuard.invalid(path + ".comparison.op", "unknown " + c.getOp());
        };
        if (!c.getValue().getRuntimeKey().isEmpty()) {
            throw FieldGuard.invalid(path + ".comparison.value.runtime_key", "runtime keys are not supported");
        }
        long value = c.getValue().getDefaultValue();
        return new TelemetryExpression.Compare(
                op,
                new TelemetryExpression.Attribute(attribute, attribute),
                new TelemetryExpression.Literal(value, Long.toString(value)),
                attribute + " " + op + " " + value);
    }

    private static TelemetryExpression combine(List<AccessLogFilter> filters, boolean and, String path) {
        if (filters.size() < 2) {
            throw FieldGuard.invalid(path + ".filters", "needs at least two filters");
        }
        TelemetryExpression result = filter(filters.getFirst(), path + ".filters[0]");
        for (int i = 1; i < filters.size(); i++) {
            TelemetryExpression next = filter(filters.get(i), path + ".filters[" + i + "]");
            String source = "(" + result.source() + (and ? ") && (" : ") || (") + next.source() + ")";
            result = and
                    ? new TelemetryExpression.And(result, next, source)
                    : new TelemetryExpression.Or(result, next, source);
        }
        return result;
    }

    // ---- stats

    /** The {@code istio.stats} filter: a TypedStruct holding a {@code stats.PluginConfig}. */
    static StatsConfig stats(HttpFilter filter, String path) {
        String tpath = path + ".typed_config";
        if (!filter.hasTypedConfig()) {
            return StatsConfig.DEFAULT;
        }
        com.github.xds.type.v3.TypedStruct typed =
                ListenerTranslator.unpack(filter.getTypedConfig(), com.github.xds.type.v3.TypedStruct.class, path);
        if (!typed.getTypeUrl().equals(STATS_CONFIG_TYPE)) {
            throw FieldGuard.invalid(
                    tpath + ".type_url", "expected " + STATS_CONFIG_TYPE + ", got " + typed.getTypeUrl());
        }
        Struct config = typed.getValue();
        Set<String> known = Set.of("metrics", "reporter", "disable_host_header_fallback", "tcp_reporting_duration");
        for (String key : config.getFieldsMap().keySet()) {
            if (!known.contains(key)) {
                throw new UnsupportedConfigException("unsupported field " + tpath + ".value." + key
                        + " (the waypoint implements metrics overrides only)");
            }
        }
        List<StatsConfig.MetricOverride> overrides = new ArrayList<>();
        Value metrics = config.getFieldsOrDefault("metrics", Value.getDefaultInstance());
        List<Value> entries = metrics.hasListValue() ? metrics.getListValue().getValuesList() : List.of();
        for (int i = 0; i < entries.size(); i++) {
            overrides.add(metricOverride(entries.get(i), tpath + ".value.metrics[" + i + "]"));
        }
        return new StatsConfig(overrides);
    }

    private static StatsConfig.MetricOverride metricOverride(Value entry, String path) {
        if (!entry.hasStructValue()) {
            throw FieldGuard.invalid(path, "must be an object");
        }
        Struct s = entry.getStructValue();
        for (String key : s.getFieldsMap().keySet()) {
            if (!Set.of("name", "dimensions", "tags_to_remove", "drop").contains(key)) {
                throw new UnsupportedConfigException("unsupported field " + path + "." + key
                        + " (name, dimensions, tags_to_remove and drop are supported)");
            }
        }
        String name = s.getFieldsOrDefault("name", Value.getDefaultInstance()).getStringValue();
        if (!name.isEmpty() && !METRICS.contains(name)) {
            throw FieldGuard.invalid(
                    path + ".name", "unknown metric '" + name + "' (known: " + new java.util.TreeSet<>(METRICS) + ")");
        }
        Map<String, TelemetryExpression> dimensions = new LinkedHashMap<>();
        Value dims = s.getFieldsOrDefault("dimensions", Value.getDefaultInstance());
        if (dims.hasStructValue()) {
            dims.getStructValue().getFieldsMap().forEach((tag, expr) -> {
                try {
                    dimensions.put(tag, TelemetryExpression.parse(expr.getStringValue()));
                } catch (IllegalArgumentException e) {
                    throw FieldGuard.invalid(path + ".dimensions." + tag, e.getMessage());
                }
            });
        }
        List<String> remove = new ArrayList<>();
        Value tags = s.getFieldsOrDefault("tags_to_remove", Value.getDefaultInstance());
        if (tags.hasListValue()) {
            tags.getListValue().getValuesList().forEach(v -> remove.add(v.getStringValue()));
        }
        boolean drop = s.getFieldsOrDefault("drop", Value.getDefaultInstance()).getBoolValue();
        return new StatsConfig.MetricOverride(name, dimensions, remove, drop);
    }
}
