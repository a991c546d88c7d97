package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.ConfigResource;
import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.translate.LabelSelector;
import io.ambientjava.istiod.translate.WaypointIndex;
import io.fabric8.istio.api.api.telemetry.v1alpha1.AccessLogging;
import io.fabric8.istio.api.api.telemetry.v1alpha1.Metrics;
import io.fabric8.istio.api.api.telemetry.v1alpha1.MetricsOverrides;
import io.fabric8.istio.api.api.telemetry.v1alpha1.ProviderRef;
import io.fabric8.istio.api.api.telemetry.v1alpha1.Tracing;
import io.fabric8.istio.api.api.telemetry.v1alpha1.TracingCustomTag;
import io.fabric8.istio.api.api.telemetry.v1alpha1.WorkloadMode;
import io.fabric8.istio.api.api.type.v1beta1.PolicyTargetReference;
import io.fabric8.istio.api.telemetry.v1.Telemetry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which Telemetry resources apply to one listener of a proxy, and what they add up to, by Istio's rules: the root
 * namespace's resource without selector or targetRefs (mesh), then the proxy's namespace's (namespace), then one
 * selecting the proxy (a {@code selector} matching the proxy's pod labels, or {@code targetRefs} naming its
 * Gateway, or the {@code istio-waypoint} GatewayClass from the root namespace), then one whose {@code targetRefs}
 * name the listener's Service. A more specific level overrides field by field: tracing providers, sampling and
 * span reporting replace, custom tags merge by name; metric overrides append in order (the later wins per tag),
 * metric providers replace; access logging providers, {@code disabled} and the filter replace. Only the first
 * tracing and access logging entries that apply to servers count ({@code mode} CLIENT is a client proxy's, which a
 * waypoint is not). Several resources on one level: the oldest counts, the others are reported.
 */
final class TelemetryResolver {

    static final String GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";
    static final String ISTIO_GATEWAY_NAME_LABEL = "istio.io/gateway-name";

    /** What the applicable resources add up to for one listener. */
    record Effective(
            Optional<List<String>> tracingProviders,
            Optional<Double> samplingPercent,
            Map<String, TracingCustomTag> customTags,
            boolean disableSpanReporting,
            Optional<ResourceKey> tracingSource,
            Optional<List<String>> metricsProviders,
            List<MetricsOverrides> metricOverrides,
            Optional<ResourceKey> metricsSource,
            boolean accessLoggingSet,
            Optional<List<String>> accessLogProviders,
            boolean accessLogDisabled,
            Optional<String> accessLogFilter,
            Optional<ResourceKey> accessLogSource) {}

    private final TranslationScope scope;
    private final List<ConfigResource> telemetries;
    private final Set<String> reported = new HashSet<>();

    TelemetryResolver(TranslationScope scope) {
        this.scope = scope;
        this.telemetries = new ArrayList<>(scope.snapshot.all(ResourceKind.TELEMETRY));
        telemetries.sort(Comparator.comparing((ConfigResource r) -> {
                    String created = r.object().getMetadata().getCreationTimestamp();
                    return created == null ? "" : created;
                })
                .thenComparing(r -> r.key().namespace() + "/" + r.key().name()));
    }

    boolean isEmpty() {
        return telemetries.isEmpty();
    }

    /**
     * @param proxyLabels the labels a selector can see on the proxy's pods
     * @param service the listener's Service (namespace, name), for a waypoint's per-service listener
     */
    Effective resolve(
            ProxyId proxy, List<Map<String, String>> proxyLabels, Optional<MeshServices.MeshService> service) {
        String root = scope.settings.rootNamespace();
        List<ConfigResource> levels = new ArrayList<>();
        pick(r -> r.key().namespace().equals(root) && unscoped(r), "mesh-wide (root namespace)")
                .ifPresent(levels::add);
        if (!proxy.namespace().equals(root)) {
            pick(r -> r.key().namespace().equals(proxy.namespace()) && unscoped(r), "namespace " + proxy.namespace())
                    .ifPresent(levels::add);
        }
        pick(r -> selectsProxy(r, proxy, proxyLabels), "proxy " + proxy).ifPresent(levels::add);
        service.flatMap(s -> pick(r -> targetsService(r, s), "service " + s.hostname()))
                .ifPresent(levels::add);
        return merge(levels);
    }

    private Optional<ConfigResource> pick(java.util.function.Predicate<ConfigResource> applies, String level) {
        List<ConfigResource> matching = telemetries.stream().filter(applies).toList();
        if (matching.size() > 1) {
            for (ConfigResource extra : matching.subList(1, matching.size())) {
                if (reported.add(extra.key() + level)) {
                    scope.warn(
                            extra.key(),
                            "ignored for " + level + ": " + matching.getFirst().key()
                                    + " is older and applies at the same level (only one may)");
                }
            }
        }
        return matching.isEmpty() ? Optional.empty() : Optional.of(matching.getFirst());
    }

    private static io.fabric8.istio.api.api.telemetry.v1alpha1.Telemetry spec(ConfigResource r) {
        var spec = r.as(Telemetry.class).getSpec();
        return spec == null ? new io.fabric8.istio.api.api.telemetry.v1alpha1.Telemetry() : spec;
    }

    private static List<PolicyTargetReference> refs(ConfigResource r) {
        var spec = spec(r);
        List<PolicyTargetReference> refs = new ArrayList<>();
        if (spec.getTargetRefs() != null) {
            refs.addAll(spec.getTargetRefs());
        }
        if (spec.getTargetRef() != null) {
            refs.add(spec.getTargetRef());
        }
        return refs;
    }

    private static boolean unscoped(ConfigResource r) {
        var spec = spec(r);
        boolean selector = spec.getSelector() != null
                && spec.getSelector().getMatchLabels() != null
                && !spec.getSelector().getMatchLabels().isEmpty();
        return !selector && refs(r).isEmpty();
    }

    private boolean selectsProxy(ConfigResource r, ProxyId proxy, List<Map<String, String>> labels) {
        String ns = r.key().namespace();
        var spec = spec(r);
        for (PolicyTargetReference ref : refs(r)) {
            String kind = ref.getKind() == null ? "" : ref.getKind();
            if (kind.equals("Gateway")
                    && ns.equals(proxy.namespace())
                    && proxy.name().equals(ref.getName())) {
                return true;
            }
            if (kind.equals("GatewayClass")
                    && WaypointIndex.WAYPOINT_CLASS.equals(ref.getName())
                    && ns.equals(scope.settings.rootNamespace())
                    && proxy.type() == ProxyId.Type.WAYPOINT) {
                return true;
            }
        }
        if (!refs(r).isEmpty() || !ns.equals(proxy.namespace())) {
            return false;
        }
        Map<String, String> selector =
                spec.getSelector() == null ? Map.of() : spec.getSelector().getMatchLabels();
        return selector != null
                && !selector.isEmpty()
                && labels.stream().anyMatch(l -> LabelSelector.selects(selector, l));
    }

    private static boolean targetsService(ConfigResource r, MeshServices.MeshService service) {
        for (PolicyTargetReference ref : refs(r)) {
            String group = ref.getGroup() == null ? "" : ref.getGroup();
            String namespace = ref.getNamespace() == null || ref.getNamespace().isEmpty()
                    ? r.key().namespace()
                    : ref.getNamespace();
            if ("Service".equals(ref.getKind())
                    && group.isEmpty()
                    && service.name().equals(ref.getName())
                    && service.namespace().equals(namespace)) {
                return true;
            }
        }
        return false;
    }

    private static boolean forServer(WorkloadMode mode) {
        return mode == null || mode != WorkloadMode.CLIENT;
    }

    private static Optional<List<String>> providers(List<ProviderRef> refs) {
        if (refs == null || refs.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(refs.stream().map(ProviderRef::getName).toList());
    }

    private static Effective merge(List<ConfigResource> levels) {
        Optional<List<String>> tracingProviders = Optional.empty();
        Optional<Double> sampling = Optional.empty();
        Map<String, TracingCustomTag> tags = new LinkedHashMap<>();
        boolean disableSpans = false;
        Optional<ResourceKey> tracingSource = Optional.empty();
        Optional<List<String>> metricsProviders = Optional.empty();
        List<MetricsOverrides> overrides = new ArrayList<>();
        Optional<ResourceKey> metricsSource = Optional.empty();
        boolean logSet = false;
        Optional<List<String>> logProviders = Optional.empty();
        boolean logDisabled = false;
        Optional<String> logFilter = Optional.empty();
        Optional<ResourceKey> logSource = Optional.empty();
        for (ConfigResource r : levels) {
            var spec = spec(r);
            Optional<Tracing> tracing = list(spec.getTracing()).stream()
                    .filter(t ->
                            forServer(t.getMatch() == null ? null : t.getMatch().getMode()))
                    .findFirst();
            if (tracing.isPresent()) {
                Tracing t = tracing.get();
                tracingSource = Optional.of(r.key());
                if (providers(t.getProviders()).isPresent()) {
                    tracingProviders = providers(t.getProviders());
                }
                if (t.getRandomSamplingPercentage() != null) {
                    sampling = Optional.of(t.getRandomSamplingPercentage());
                }
                if (t.getCustomTags() != null) {
                    tags.putAll(t.getCustomTags());
                }
                if (t.getDisableSpanReporting() != null) {
                    disableSpans = t.getDisableSpanReporting();
                }
            }
            for (Metrics m : list(spec.getMetrics())) {
                metricsSource = Optional.of(r.key());
                if (providers(m.getProviders()).isPresent()) {
                    metricsProviders = providers(m.getProviders());
                }
                for (MetricsOverrides o : list(m.getOverrides())) {
                    if (forServer(o.getMatch() == null ? null : o.getMatch().getMode())) {
                        overrides.add(o);
                    }
                }
            }
            Optional<AccessLogging> logging = list(spec.getAccessLogging()).stream()
                    .filter(a ->
                            forServer(a.getMatch() == null ? null : a.getMatch().getMode()))
                    .findFirst();
            if (logging.isPresent()) {
                AccessLogging a = logging.get();
                logSet = true;
                logSource = Optional.of(r.key());
                if (providers(a.getProviders()).isPresent()) {
                    logProviders = providers(a.getProviders());
                }
                if (a.getDisabled() != null) {
                    logDisabled = a.getDisabled();
                }
                if (a.getFilter() != null
                        && a.getFilter().getExpression() != null
                        && !a.getFilter().getExpression().isBlank()) {
                    logFilter = Optional.of(a.getFilter().getExpression());
                }
            }
        }
        return new Effective(
                tracingProviders,
                sampling,
                tags,
                disableSpans,
                tracingSource,
                metricsProviders,
                overrides,
                metricsSource,
                logSet,
                logProviders,
                logDisabled,
                logFilter,
                logSource);
    }

    private static <T> List<T> list(List<T> list) {
        return list == null ? List.of() : list;
    }
}
