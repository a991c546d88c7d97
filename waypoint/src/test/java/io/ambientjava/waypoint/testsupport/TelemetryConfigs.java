package io.ambientjava.waypoint.testsupport;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLogFilter;
import io.envoyproxy.envoy.config.accesslog.v3.ExtensionFilter;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.SubstitutionFormatString;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.trace.v3.ZipkinConfig;
import io.envoyproxy.envoy.extensions.access_loggers.file.v3.FileAccessLog;
import io.envoyproxy.envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.tracing.v3.CustomTag;
import io.envoyproxy.envoy.type.v3.Percent;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/** Telemetry pieces of an HTTP connection manager, as istiod-lite sends them (docs/waypoint-xds.md). */
public final class TelemetryConfigs {

    private TelemetryConfigs() {}

    /** {@code listener} with its HTTP connection manager changed by {@code change}. */
    public static Listener withHcm(Listener listener, UnaryOperator<HttpConnectionManager.Builder> change) {
        var filter = listener.getFilterChains(0).getFilters(0);
        HttpConnectionManager hcm;
        try {
            hcm = filter.getTypedConfig().unpack(HttpConnectionManager.class);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException(e);
        }
        HttpConnectionManager changed = change.apply(hcm.toBuilder()).build();
        return listener.toBuilder()
                .setFilterChains(
                        0,
                        listener.getFilterChains(0).toBuilder()
                                .setFilters(0, filter.toBuilder().setTypedConfig(Any.pack(changed))))
                .build();
    }

    public static HttpConnectionManager.Tracing zipkinTracing(String cluster, double percent, CustomTag... tags) {
        return HttpConnectionManager.Tracing.newBuilder()
                .setRandomSampling(Percent.newBuilder().setValue(percent))
                .addAllCustomTags(List.of(tags))
                .setProvider(io.envoyproxy.envoy.config.trace.v3.Tracing.Http.newBuilder()
                        .setName("envoy.tracers.zipkin")
                        .setTypedConfig(Any.pack(ZipkinConfig.newBuilder()
                                .setCollectorCluster(cluster)
                                .setCollectorEndpoint("/api/v2/spans")
                                .setCollectorEndpointVersion(ZipkinConfig.CollectorEndpointVersion.HTTP_JSON)
                                .setTraceId128Bit(true)
                                .build())))
                .build();
    }

    public static CustomTag literalTag(String tag, String value) {
        return CustomTag.newBuilder()
                .setTag(tag)
                .setLiteral(CustomTag.Literal.newBuilder().setValue(value))
                .build();
    }

    public static CustomTag headerTag(String tag, String header) {
        return CustomTag.newBuilder()
                .setTag(tag)
                .setRequestHeader(CustomTag.Header.newBuilder().setName(header))
                .build();
    }

    public static CustomTag environmentTag(String tag, String name, String defaultValue) {
        return CustomTag.newBuilder()
                .setTag(tag)
                .setEnvironment(CustomTag.Environment.newBuilder().setName(name).setDefaultValue(defaultValue))
                .build();
    }

    /** A file access log with a text format (null: the default) and an optional CEL filter. */
    public static AccessLog fileLog(String path, String textFormat, String celFilter) {
        FileAccessLog.Builder file = FileAccessLog.newBuilder().setPath(path);
        if (textFormat != null) {
            file.setLogFormat(SubstitutionFormatString.newBuilder()
                    .setTextFormatSource(DataSource.newBuilder().setInlineString(textFormat)));
        }
        AccessLog.Builder log =
                AccessLog.newBuilder().setName("envoy.access_loggers.file").setTypedConfig(Any.pack(file.build()));
        if (celFilter != null) {
            log.setFilter(AccessLogFilter.newBuilder()
                    .setExtensionFilter(ExtensionFilter.newBuilder()
                            .setName("envoy.access_loggers.extension_filters.cel")
                            .setTypedConfig(Any.pack(ExpressionFilter.newBuilder()
                                    .setExpression(celFilter)
                                    .build()))));
        }
        return log.build();
    }

    public static AccessLog jsonFileLog(String path, Map<String, String> fields) {
        Struct.Builder json = Struct.newBuilder();
        fields.forEach(
                (k, v) -> json.putFields(k, Value.newBuilder().setStringValue(v).build()));
        return AccessLog.newBuilder()
                .setName("envoy.access_loggers.file")
                .setTypedConfig(Any.pack(FileAccessLog.newBuilder()
                        .setPath(path)
                        .setLogFormat(SubstitutionFormatString.newBuilder().setJsonFormat(json))
                        .build()))
                .build();
    }

    /** One metric override of Istio's stats.PluginConfig. */
    public static Value metric(String name, Map<String, String> dimensions, List<String> remove, boolean drop) {
        Struct.Builder dims = Struct.newBuilder();
        dimensions.forEach(
                (k, v) -> dims.putFields(k, Value.newBuilder().setStringValue(v).build()));
        ListValue.Builder tags = ListValue.newBuilder();
        remove.forEach(t -> tags.addValues(Value.newBuilder().setStringValue(t)));
        Struct.Builder s = Struct.newBuilder()
                .putFields("name", Value.newBuilder().setStringValue(name).build())
                .putFields("dimensions", Value.newBuilder().setStructValue(dims).build())
                .putFields(
                        "tags_to_remove", Value.newBuilder().setListValue(tags).build());
        if (drop) {
            s.putFields("drop", Value.newBuilder().setBoolValue(true).build());
        }
        return Value.newBuilder().setStructValue(s).build();
    }

    /** The {@code istio.stats} filter with these metric overrides. */
    public static HttpFilter statsFilter(Value... metrics) {
        Struct config = Struct.newBuilder()
                .putFields(
                        "metrics",
                        Value.newBuilder()
                                .setListValue(ListValue.newBuilder().addAllValues(List.of(metrics)))
                                .build())
                .build();
        return HttpFilter.newBuilder()
                .setName("istio.stats")
                .setTypedConfig(Any.pack(com.github.xds.type.v3.TypedStruct.newBuilder()
                        .setTypeUrl("type.googleapis.com/stats.PluginConfig")
                        .setValue(config)
                        .build()))
                .build();
    }

    /** {@code hcm} with {@code filter} inserted before the router (the last filter). */
    public static HttpConnectionManager.Builder beforeRouter(HttpConnectionManager.Builder hcm, HttpFilter filter) {
        hcm.addHttpFilters(hcm.getHttpFiltersCount() - 1, filter);
        return hcm;
    }
}
