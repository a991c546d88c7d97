package io.ambientjava.istiod.translate.envoy;

import com.google.protobuf.Any;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.translate.LabelSelector;
import io.ambientjava.istiod.translate.MeshTelemetry;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLogFilter;
import io.envoyproxy.envoy.config.accesslog.v3.ExtensionFilter;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.HttpService;
import io.envoyproxy.envoy.config.core.v3.HttpUri;
import io.envoyproxy.envoy.config.core.v3.SubstitutionFormatString;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.config.trace.v3.ZipkinConfig;
import io.envoyproxy.envoy.extensions.access_loggers.file.v3.FileAccessLog;
import io.envoyproxy.envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.tracing.v3.CustomTag;
import io.envoyproxy.envoy.type.v3.Percent;
import io.fabric8.istio.api.api.telemetry.v1alpha1.MetricSelectorCustomMetric;
import io.fabric8.istio.api.api.telemetry.v1alpha1.MetricSelectorIstioMetric;
import io.fabric8.istio.api.api.telemetry.v1alpha1.MetricSelectorMetric;
import io.fabric8.istio.api.api.telemetry.v1alpha1.MetricsOverrides;
import io.fabric8.istio.api.api.telemetry.v1alpha1.MetricsOverridesTagOverrideOperation;
import io.fabric8.istio.api.api.telemetry.v1alpha1.TracingCustomTag;
import io.fabric8.istio.api.api.telemetry.v1alpha1.TracingCustomTagEnvironment;
import io.fabric8.istio.api.api.telemetry.v1alpha1.TracingCustomTagHeader;
import io.fabric8.istio.api.api.telemetry.v1alpha1.TracingCustomTagLiteral;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Puts what the Telemetry resources (and the mesh config's providers and defaults) say for each HTTP listener of a
 * proxy into its HTTP connection manager, in Envoy's own fields: {@code tracing} (random sampling, custom tags,
 * a Zipkin or OpenTelemetry provider whose collector is a cluster of the provider's service, sent along),
 * {@code access_log} (file loggers with a text or JSON format, a CEL filter) and, for metric overrides, Istio's
 * {@code istio.stats} filter before the router with a {@code stats.PluginConfig} in a TypedStruct. Problems (an
 * undefined provider, a provider of the wrong kind) are reported on the Telemetry resource and the part left out.
 */
final class TelemetryPatcher {

    static final String STATS_FILTER = "istio.stats";
    static final String STATS_CONFIG_TYPE = "type.googleapis.com/stats.PluginConfig";

    /** The access log line the guide shows; the waypoint uses it too when no format is sent. */
    static final String GUIDE_FORMAT = "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\""
            + " %RESPONSE_CODE% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%"
            + " \"%REQ(X-FORWARDED-FOR)%\" \"%REQ(USER-AGENT)%\" \"%TRACE_ID%\" \"%SPAN_ID%\""
            + " \"%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%\"\n";

    private static final Map<MetricSelectorIstioMetric, String> METRIC_NAMES = Map.ofEntries(
            Map.entry(MetricSelectorIstioMetric.ALL_METRICS, ""),
            Map.entry(MetricSelectorIstioMetric.REQUEST_COUNT, "requests_total"),
            Map.entry(MetricSelectorIstioMetric.REQUEST_DURATION, "request_duration_milliseconds"),
            Map.entry(MetricSelectorIstioMetric.REQUEST_SIZE, "request_bytes"),
            Map.entry(MetricSelectorIstioMetric.RESPONSE_SIZE, "response_bytes"),
            Map.entry(MetricSelectorIstioMetric.TCP_OPENED_CONNECTIONS, "tcp_connections_opened_total"),
            Map.entry(MetricSelectorIstioMetric.TCP_CLOSED_CONNECTIONS, "tcp_connections_closed_total"),
            Map.entry(MetricSelectorIstioMetric.TCP_SENT_BYTES, "tcp_sent_bytes_total"),
            Map.entry(MetricSelectorIstioMetric.TCP_RECEIVED_BYTES, "tcp_received_bytes_total"),
            Map.entry(MetricSelectorIstioMetric.GRPC_REQUEST_MESSAGES, "request_messages_total"),
            Map.entry(MetricSelectorIstioMetric.GRPC_RESPONSE_MESSAGES, "response_messages_total"));

    private final TranslationScope scope;
    private final MeshTelemetry mesh;
    private final TelemetryResolver resolver;

    TelemetryPatcher(TranslationScope scope, MeshTelemetry mesh) {
        this.scope = scope;
        this.mesh = mesh;
        this.resolver = new TelemetryResolver(scope);
    }

    /** Nothing to add anywhere: no Telemetry, and the mesh config enables neither tracing nor access logs. */
    boolean isEmpty() {
        return resolver.isEmpty()
                && mesh.defaultProviders().tracing().isEmpty()
                && mesh.defaultProviders().accessLogging().isEmpty()
                && mesh.accessLogFile().isEmpty()
                && mesh.defaultProviders().metrics().stream()
                        .anyMatch(p -> mesh.provider(p).orElse(null) instanceof MeshTelemetry.Provider.Prometheus);
    }

    ProxyResources apply(ProxyId proxy, ProxyResources resources) {
        List<Map<String, String>> labels = labelSets(proxy);
        SortedMap<String, Listener> listeners = new TreeMap<>(resources.listeners());
        ClusterSet collectors = scope.clusterSet(proxy.namespace());
        for (Map.Entry<String, Listener> e : resources.listeners().entrySet()) {
            Listener listener = e.getValue();
            TelemetryResolver.Effective effective = resolver.resolve(proxy, labels, serviceOf(listener.getName()));
            Listener patched = ConnectionManagers.patch(listener, hcm -> {
                HttpConnectionManager.Builder builder = hcm.toBuilder();
                tracing(effective, builder).ifPresent(collectors::addService);
                accessLogs(effective, builder);
                stats(effective, builder);
                return builder.build();
            });
            if (patched != listener) {
                listeners.put(e.getKey(), patched);
            }
        }
        SortedMap<String, Cluster> clusters = new TreeMap<>(resources.clusters());
        SortedMap<String, ClusterLoadAssignment> endpoints = new TreeMap<>(resources.endpoints());
        collectors.clusters().forEach(clusters::putIfAbsent); // the tracing collectors' (none without tracing)
        collectors.endpoints().forEach(endpoints::putIfAbsent);
        return new ProxyResources(listeners, new TreeMap<>(resources.routes()), clusters, endpoints);
    }

    // ---- tracing

    /** Sets {@code tracing}; returns the collector's service when there is one. */
    private Optional<MeshServices.MeshService> tracing(
            TelemetryResolver.Effective effective, HttpConnectionManager.Builder hcm) {
        List<String> providers =
                effective.tracingProviders().orElse(mesh.defaultProviders().tracing());
        if (providers.isEmpty() || effective.disableSpanReporting()) {
            return Optional.empty();
        }
        String name = providers.getFirst();
        if (providers.size() > 1) {
            warn(effective.tracingSource(), "tracing: only the first provider (" + name + ") is used");
        }
        Optional<MeshTelemetry.Provider> provider = mesh.provider(name);
        if (provider.isEmpty()) {
            warn(
                    effective.tracingSource(),
                    "tracing provider '" + name + "' is not defined in the mesh config's extensionProviders"
                            + " (defined: "
                            + new java.util.TreeSet<>(mesh.providers().keySet()) + "); no tracing");
            return Optional.empty();
        }
        HttpConnectionManager.Tracing.Builder tracing = HttpConnectionManager.Tracing.newBuilder()
                .setRandomSampling(Percent.newBuilder()
                        .setValue(effective.samplingPercent().orElse(mesh.defaultSamplingPercent())));
        effective
                .customTags()
                .forEach((tag, value) ->
                        customTag(tag, value, effective.tracingSource()).ifPresent(tracing::addCustomTags));
        String service;
        int port;
        switch (provider.get()) {
            case MeshTelemetry.Provider.Zipkin z -> {
                service = z.service();
                port = z.port();
                tracing.setMaxPathTagLength(com.google.protobuf.UInt32Value.of(z.maxTagLength()));
                tracing.setProvider(io.envoyproxy.envoy.config.trace.v3.Tracing.Http.newBuilder()
                        .setName("envoy.tracers.zipkin")
                        .setTypedConfig(Any.pack(ZipkinConfig.newBuilder()
                                .setCollectorCluster(EnvoyNames.cluster(z.port(), null, hostname(z.service())))
                                .setCollectorEndpoint("/api/v2/spans")
                                .setCollectorEndpointVersion(ZipkinConfig.CollectorEndpointVersion.HTTP_JSON)
                                .setTraceId128Bit(true)
                                .setSharedSpanContext(com.google.protobuf.BoolValue.of(false))
                                .build())));
            }
            case MeshTelemetry.Provider.OpenTelemetry o -> {
                service = o.service();
                port = o.port();
                String cluster = EnvoyNames.cluster(o.port(), null, hostname(o.service()));
                var timeout = com.google.protobuf.Duration.newBuilder().setSeconds(5);
                OpenTelemetryConfig.Builder otlp = OpenTelemetryConfig.newBuilder();
                if (o.grpc()) {
                    otlp.setGrpcService(io.envoyproxy.envoy.config.core.v3.GrpcService.newBuilder()
                            .setEnvoyGrpc(io.envoyproxy.envoy.config.core.v3.GrpcService.EnvoyGrpc.newBuilder()
                                    .setClusterName(cluster))
                            .setTimeout(timeout));
                } else {
                    otlp.setHttpService(HttpService.newBuilder()
                            .setHttpUri(HttpUri.newBuilder()
                                    .setUri("http://" + o.service() + ":" + o.port() + o.path())
                                    .setCluster(cluster)
                                    .setTimeout(timeout)));
                }
                tracing.setProvider(io.envoyproxy.envoy.config.trace.v3.Tracing.Http.newBuilder()
                        .setName("envoy.tracers.opentelemetry")
                        .setTypedConfig(Any.pack(otlp.build())));
            }
            default -> {
                warn(
                        effective.tracingSource(),
                        "provider '" + name + "' is not a tracing provider (zipkin or opentelemetry); no tracing");
                return Optional.empty();
            }
        }
        hcm.setTracing(tracing);
        Optional<MeshServices.MeshService> collector = scope.services.byHostname(hostname(service));
        if (collector.isEmpty()) {
            warn(
                    effective.tracingSource(),
                    "tracing provider '" + name + "' names service " + service + ":" + port
                            + ", which is not in the mesh; spans are dropped until it is");
        }
        return collector;
    }

    /** {@code zipkin.istio-system} or {@code zipkin.istio-system.svc.cluster.local} → the FQDN. */
    private String hostname(String service) {
        String[] parts = service.split("\\.");
        if (parts.length == 2) {
            return scope.settings.serviceHostname(parts[0], parts[1]);
        }
        return service;
    }

    private Optional<CustomTag> customTag(String tag, TracingCustomTag value, Optional<ResourceKey> source) {
        CustomTag.Builder out = CustomTag.newBuilder().setTag(tag);
        switch (value.getType()) {
            case TracingCustomTagLiteral l
            when l.getLiteral() != null ->
                out.setLiteral(CustomTag.Literal.newBuilder()
                        .setValue(nullToEmpty(l.getLiteral().getValue())));
            case TracingCustomTagEnvironment env
            when env.getEnvironment() != null ->
                out.setEnvironment(CustomTag.Environment.newBuilder()
                        .setName(nullToEmpty(env.getEnvironment().getName()))
                        .setDefaultValue(nullToEmpty(env.getEnvironment().getDefaultValue())));
            case TracingCustomTagHeader h
            when h.getHeader() != null ->
                out.setRequestHeader(CustomTag.Header.newBuilder()
                        .setName(nullToEmpty(h.getHeader().getName()))
                        .setDefaultValue(nullToEmpty(h.getHeader().getDefaultValue())));
            case null, default -> {
                warn(source, "custom tag '" + tag + "' has no literal, environment or header; left out");
                return Optional.empty();
            }
        }
        return Optional.of(out.build());
    }

    // ---- access logs

    private void accessLogs(TelemetryResolver.Effective effective, HttpConnectionManager.Builder hcm) {
        if (effective.accessLogDisabled()) {
            return;
        }
        List<MeshTelemetry.Provider> providers = new ArrayList<>();
        List<String> names =
                effective.accessLogProviders().orElse(mesh.defaultProviders().accessLogging());
        for (String name : names) {
            Optional<MeshTelemetry.Provider> p = mesh.provider(name);
            if (p.isEmpty()) {
                warn(
                        effective.accessLogSource(),
                        "access log provider '" + name + "' is not defined in the mesh config's extensionProviders"
                                + " (defined: "
                                + new java.util.TreeSet<>(mesh.providers().keySet()) + ")");
            } else if (!(p.get() instanceof MeshTelemetry.Provider.FileAccessLog)) {
                warn(effective.accessLogSource(), "provider '" + name + "' is not an access log provider");
            } else {
                providers.add(p.get());
            }
        }
        if (!effective.accessLoggingSet() && names.isEmpty()) {
            mesh.accessLogFile().ifPresent(providers::add);
        }
        for (MeshTelemetry.Provider p : providers) {
            MeshTelemetry.Provider.FileAccessLog file = (MeshTelemetry.Provider.FileAccessLog) p;
            SubstitutionFormatString.Builder format = SubstitutionFormatString.newBuilder();
            if (!file.labels().isEmpty()) {
                Struct.Builder json = Struct.newBuilder();
                new TreeMap<>(file.labels())
                        .forEach((k, v) -> json.putFields(
                                k, Value.newBuilder().setStringValue(v).build()));
                format.setJsonFormat(json);
            } else {
                format.setTextFormatSource(
                        DataSource.newBuilder().setInlineString(file.text().isEmpty() ? GUIDE_FORMAT : file.text()));
            }
            AccessLog.Builder log = AccessLog.newBuilder()
                    .setName("envoy.access_loggers.file")
                    .setTypedConfig(Any.pack(FileAccessLog.newBuilder()
                            .setPath(file.path())
                            .setLogFormat(format)
                            .build()));
            effective
                    .accessLogFilter()
                    .ifPresent(expression -> log.setFilter(AccessLogFilter.newBuilder()
                            .setExtensionFilter(ExtensionFilter.newBuilder()
                                    .setName("envoy.access_loggers.extension_filters.cel")
                                    .setTypedConfig(Any.pack(ExpressionFilter.newBuilder()
                                            .setExpression(expression)
                                            .build())))));
            hcm.addAccessLog(log);
        }
    }

    // ---- metrics

    private void stats(TelemetryResolver.Effective effective, HttpConnectionManager.Builder hcm) {
        List<String> providers =
                effective.metricsProviders().orElse(mesh.defaultProviders().metrics());
        boolean prometheus = false;
        for (String name : providers) {
            Optional<MeshTelemetry.Provider> p = mesh.provider(name);
            if (p.isEmpty()) {
                warn(
                        effective.metricsSource(),
                        "metrics provider '" + name + "' is not defined in the mesh config's extensionProviders");
            } else if (p.get() instanceof MeshTelemetry.Provider.Prometheus) {
                prometheus = true;
            } else {
                warn(effective.metricsSource(), "provider '" + name + "' is not a metrics provider");
            }
        }
        List<Value> metrics = new ArrayList<>();
        if (!prometheus) {
            // no Prometheus provider: no Istio metrics at all
            metrics.add(metric("", Map.of(), List.of(), true));
        } else {
            for (MetricsOverrides o : effective.metricOverrides()) {
                metricOverride(o, effective.metricsSource()).ifPresent(metrics::add);
            }
        }
        if (metrics.isEmpty()) {
            return;
        }
        Struct config = Struct.newBuilder()
                .putFields(
                        "metrics",
                        Value.newBuilder()
                                .setListValue(ListValue.newBuilder().addAllValues(metrics))
                                .build())
                .build();
        HttpFilter filter = HttpFilter.newBuilder()
                .setName(STATS_FILTER)
                .setTypedConfig(Any.pack(com.github.xds.type.v3.TypedStruct.newBuilder()
                        .setTypeUrl(STATS_CONFIG_TYPE)
                        .setValue(config)
                        .build()))
                .build();
        int router = hcm.getHttpFiltersCount() - 1;
        hcm.addHttpFilters(Math.max(router, 0), filter);
    }

    private Optional<Value> metricOverride(MetricsOverrides o, Optional<ResourceKey> source) {
        String name = "";
        var match = o.getMatch() == null ? null : o.getMatch().getMetricMatch();
        switch (match) {
            case MetricSelectorMetric m when m.getMetric() != null -> name = METRIC_NAMES.get(m.getMetric());
            case MetricSelectorCustomMetric c
            when c.getCustomMetric() != null -> {
                name = c.getCustomMetric().startsWith("istio_")
                        ? c.getCustomMetric().substring("istio_".length())
                        : c.getCustomMetric();
                if (!METRIC_NAMES.containsValue(name)) {
                    warn(
                            source,
                            "custom metric '" + c.getCustomMetric() + "' is not one of Istio's; override left out");
                    return Optional.empty();
                }
            }
            case null, default -> name = "";
        }
        Map<String, String> dimensions = new TreeMap<>();
        List<String> remove = new ArrayList<>();
        if (o.getTagOverrides() != null) {
            for (var e : new TreeMap<>(o.getTagOverrides()).entrySet()) {
                var tag = e.getValue();
                if (tag != null && tag.getOperation() == MetricsOverridesTagOverrideOperation.REMOVE) {
                    remove.add(e.getKey());
                } else if (tag != null
                        && tag.getValue() != null
                        && !tag.getValue().isEmpty()) {
                    dimensions.put(e.getKey(), tag.getValue());
                } else {
                    warn(source, "tag override '" + e.getKey() + "' upserts no value; left out");
                }
            }
        }
        boolean drop = Boolean.TRUE.equals(o.getDisabled());
        return Optional.of(metric(name, dimensions, remove, drop));
    }

    private static Value metric(String name, Map<String, String> dimensions, List<String> remove, boolean drop) {
        Struct.Builder dims = Struct.newBuilder();
        dimensions.forEach(
                (k, v) -> dims.putFields(k, Value.newBuilder().setStringValue(v).build()));
        ListValue.Builder tags = ListValue.newBuilder();
        remove.forEach(t -> tags.addValues(Value.newBuilder().setStringValue(t)));
        Struct.Builder s = Struct.newBuilder()
                .putFields("name", Value.newBuilder().setStringValue(name).build());
        if (!dimensions.isEmpty()) {
            s.putFields("dimensions", Value.newBuilder().setStructValue(dims).build());
        }
        if (!remove.isEmpty()) {
            s.putFields("tags_to_remove", Value.newBuilder().setListValue(tags).build());
        }
        if (drop) {
            s.putFields("drop", Value.newBuilder().setBoolValue(true).build());
        }
        return Value.newBuilder().setStructValue(s).build();
    }

    // ---- plumbing

    private void warn(Optional<ResourceKey> source, String message) {
        scope.warn(
                source.orElse(new ResourceKey(ResourceKind.TELEMETRY, scope.settings.rootNamespace(), "-")), message);
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    private Optional<MeshServices.MeshService> serviceOf(String listenerName) {
        String[] parts = listenerName.split("\\|", -1);
        if (parts.length == 4 && parts[0].equals("inbound-vip")) {
            return scope.services.byHostname(parts[3]);
        }
        return Optional.empty();
    }

    /** The labels a workload selector can see on the proxy's pods (the Gateway API name labels, an Istio Gateway's selector, the pods'). */
    private List<Map<String, String>> labelSets(ProxyId proxy) {
        List<Map<String, String>> sets = new ArrayList<>();
        sets.add(Map.of(
                TelemetryResolver.GATEWAY_NAME_LABEL, proxy.name(),
                TelemetryResolver.ISTIO_GATEWAY_NAME_LABEL, proxy.name()));
        Optional<Map<String, String>> gatewaySelector = proxy.type() == ProxyId.Type.GATEWAY
                ? scope.snapshot
                        .get(
                                ResourceKind.ISTIO_GATEWAY,
                                proxy.namespace(),
                                proxy.name(),
                                io.fabric8.istio.api.networking.v1.Gateway.class)
                        .map(g -> g.getSpec() == null ? null : g.getSpec().getSelector())
                        .filter(s -> !s.isEmpty())
                : Optional.empty();
        gatewaySelector.ifPresent(sets::add);
        for (Pod pod : scope.snapshot.pods()) {
            if (!proxy.namespace().equals(pod.getMetadata().getNamespace())) {
                continue;
            }
            Map<String, String> labels = LabelSelector.labelsOf(pod);
            if (proxy.name().equals(labels.get(TelemetryResolver.GATEWAY_NAME_LABEL))
                    || gatewaySelector
                            .map(s -> LabelSelector.selects(s, labels))
                            .orElse(false)) {
                sets.add(labels);
            }
        }
        return sets;
    }
}
