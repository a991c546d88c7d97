package io.ambientjava.istiod.translate.envoy;

import io.fabric8.istio.api.api.networking.v1alpha3.Delegate;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPMatchRequest;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPMatchRequestBuilder;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRouteBuilder;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatch;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchExact;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchPrefix;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchRegex;
import io.fabric8.istio.api.networking.v1.VirtualService;
import io.fabric8.istio.api.networking.v1.VirtualServiceBuilder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * VirtualService delegation as Istio merges it. A root VirtualService's http route with {@code delegate} stands for
 * the http routes of the named VirtualService, one without hosts (the delegate), in their order. Each delegate route
 * keeps its own match conditions where it has them and takes the root's elsewhere; a delegate match the root's
 * does not contain (a path outside the root's prefix, another header value, another port) is a conflict, and the
 * route is left out with a warning. Each delegate route also takes the root route's timeout, retries, fault,
 * mirrors, rewrite, CORS policy and header operations where it sets none. Delegation goes one level deep. Short
 * hostnames in a delegate resolve in the delegate's namespace.
 */
final class VirtualServiceDelegates {

    private final Map<String, VirtualService> delegates = new HashMap<>();
    private final BiFunction<String, String, String> resolveHost;

    /** {@code resolveHost}: a hostname as written in a namespace → the full hostname. */
    VirtualServiceDelegates(List<VirtualService> all, BiFunction<String, String, String> resolveHost) {
        this.resolveHost = resolveHost;
        for (VirtualService service : all) {
            if (service.getSpec() != null && isEmpty(service.getSpec().getHosts())) {
                delegates.put(
                        key(
                                service.getMetadata().getNamespace(),
                                service.getMetadata().getName()),
                        service);
            }
        }
    }

    /** {@code root} itself when none of its http routes delegates; else a copy with those routes replaced. */
    VirtualService expand(VirtualService root, Consumer<String> warn) {
        var spec = root.getSpec();
        if (spec == null || isEmpty(spec.getHttp()) || spec.getHttp().stream().allMatch(r -> r.getDelegate() == null)) {
            return root;
        }
        String namespace = root.getMetadata().getNamespace();
        List<HTTPRoute> expanded = new ArrayList<>();
        for (int i = 0; i < spec.getHttp().size(); i++) {
            HTTPRoute route = spec.getHttp().get(i);
            // an unnamed route keeps the name of its written place, which the expansion moves
            String writtenPlace = namespace + "/" + root.getMetadata().getName() + "#" + i;
            if (route.getDelegate() == null) {
                expanded.add(
                        blank(route.getName())
                                ? new HTTPRouteBuilder(route)
                                        .withName(writtenPlace)
                                        .build()
                                : route);
                continue;
            }
            for (HTTPRoute merged : delegated(route, "http[" + i + "]", namespace, warn)) {
                expanded.add(
                        blank(merged.getName())
                                ? new HTTPRouteBuilder(merged)
                                        .withName(writtenPlace)
                                        .build()
                                : merged);
            }
        }
        VirtualService copy = new VirtualServiceBuilder(root).build();
        copy.getSpec().setHttp(expanded);
        return copy;
    }

    private List<HTTPRoute> delegated(HTTPRoute root, String path, String rootNamespace, Consumer<String> warn) {
        Delegate delegate = root.getDelegate();
        String namespace = blank(delegate.getNamespace()) ? rootNamespace : delegate.getNamespace();
        String name = namespace + "/" + delegate.getName();
        VirtualService target = delegates.get(key(namespace, delegate.getName()));
        if (target == null) {
            warn.accept(path + ".delegate names " + name
                    + ", which is not a VirtualService without hosts; the route is left out");
            return List.of();
        }
        List<HTTPRoute> routes = target.getSpec().getHttp() == null
                ? List.of()
                : target.getSpec().getHttp();
        List<HTTPRoute> merged = new ArrayList<>();
        for (int j = 0; j < routes.size(); j++) {
            HTTPRoute own = new HTTPRouteBuilder(routes.get(j)).build();
            String at = path + ".delegate " + name + " http[" + j + "]";
            if (own.getDelegate() != null) {
                warn.accept(at + " delegates again; delegation goes one level deep, the route is left out");
                continue;
            }
            resolveHosts(own, namespace);
            List<HTTPMatchRequest> matches = mergeMatches(root.getMatch(), own.getMatch());
            if (matches == null) {
                warn.accept(at + " matches requests its root route's match does not; the route is left out");
                continue;
            }
            merged.add(inherit(root, own, matches));
        }
        return merged;
    }

    private void resolveHosts(HTTPRoute route, String namespace) {
        if (route.getRoute() != null) {
            route.getRoute().stream()
                    .filter(d -> d.getDestination() != null)
                    .forEach(d -> d.getDestination()
                            .setHost(resolveHost.apply(d.getDestination().getHost(), namespace)));
        }
        if (route.getMirror() != null) {
            route.getMirror().setHost(resolveHost.apply(route.getMirror().getHost(), namespace));
        }
        if (route.getMirrors() != null) {
            route.getMirrors().stream()
                    .filter(m -> m.getDestination() != null)
                    .forEach(m -> m.getDestination()
                            .setHost(resolveHost.apply(m.getDestination().getHost(), namespace)));
        }
    }

    private static HTTPRoute inherit(HTTPRoute root, HTTPRoute own, List<HTTPMatchRequest> matches) {
        own.setMatch(matches);
        own.setName(joinedName(root.getName(), own.getName()));
        if (own.getRewrite() == null) {
            own.setRewrite(root.getRewrite());
        }
        if (own.getDirectResponse() == null) {
            own.setDirectResponse(root.getDirectResponse());
        }
        if (own.getTimeout() == null) {
            own.setTimeout(root.getTimeout());
        }
        if (own.getRetries() == null) {
            own.setRetries(root.getRetries());
        }
        if (own.getFault() == null) {
            own.setFault(root.getFault());
        }
        if (own.getMirror() == null) {
            own.setMirror(root.getMirror());
        }
        if (own.getMirrorPercent() == null) {
            own.setMirrorPercent(root.getMirrorPercent());
        }
        if (own.getMirrorPercentage() == null) {
            own.setMirrorPercentage(root.getMirrorPercentage());
        }
        if (own.getCorsPolicy() == null) {
            own.setCorsPolicy(root.getCorsPolicy());
        }
        if (isEmpty(own.getMirrors())) {
            own.setMirrors(root.getMirrors());
        }
        if (own.getHeaders() == null) {
            own.setHeaders(root.getHeaders());
        }
        return own;
    }

    /** The merged conditions, or null when a delegate match fits none of the root's. */
    static List<HTTPMatchRequest> mergeMatches(List<HTTPMatchRequest> root, List<HTTPMatchRequest> own) {
        if (isEmpty(root)) {
            return own;
        }
        if (isEmpty(own)) {
            return root;
        }
        List<HTTPMatchRequest> out = new ArrayList<>();
        for (HTTPMatchRequest leaf : own) {
            boolean fits = false;
            for (HTTPMatchRequest parent : root) {
                if (!conflicts(parent, leaf)) {
                    out.add(merge(parent, leaf));
                    fits = true;
                }
            }
            if (!fits) {
                return null;
            }
        }
        return out;
    }

    private static HTTPMatchRequest merge(HTTPMatchRequest root, HTTPMatchRequest leaf) {
        HTTPMatchRequest out = new HTTPMatchRequestBuilder(leaf).build();
        out.setName(joinedName(root.getName(), leaf.getName()));
        if (out.getUri() == null) {
            out.setUri(root.getUri());
        }
        if (out.getScheme() == null) {
            out.setScheme(root.getScheme());
        }
        if (out.getMethod() == null) {
            out.setMethod(root.getMethod());
        }
        if (out.getAuthority() == null) {
            out.setAuthority(root.getAuthority());
        }
        out.setHeaders(union(root.getHeaders(), leaf.getHeaders()));
        out.setWithoutHeaders(union(root.getWithoutHeaders(), leaf.getWithoutHeaders()));
        out.setQueryParams(union(root.getQueryParams(), leaf.getQueryParams()));
        out.setSourceLabels(union(root.getSourceLabels(), leaf.getSourceLabels()));
        if (out.getPort() == null || out.getPort() == 0) {
            out.setPort(root.getPort());
        }
        if (blank(out.getSourceNamespace())) {
            out.setSourceNamespace(root.getSourceNamespace());
        }
        if (isEmpty(out.getGateways())) {
            out.setGateways(root.getGateways());
        }
        if (blank(out.getStatPrefix())) {
            out.setStatPrefix(root.getStatPrefix());
        }
        return out;
    }

    /** Whether {@code leaf} asks for something {@code root} excludes (Istio's rule, condition by condition). */
    static boolean conflicts(HTTPMatchRequest root, HTTPMatchRequest leaf) {
        if (conflicts(root.getUri(), leaf.getUri())
                || conflicts(root.getScheme(), leaf.getScheme())
                || conflicts(root.getMethod(), leaf.getMethod())
                || conflicts(root.getAuthority(), leaf.getAuthority())) {
            return true;
        }
        if (conflicts(orEmpty(root.getHeaders()), orEmpty(leaf.getHeaders()))
                || conflicts(orEmpty(root.getWithoutHeaders()), orEmpty(leaf.getWithoutHeaders()))
                || conflicts(orEmpty(root.getQueryParams()), orEmpty(leaf.getQueryParams()))) {
            return true;
        }
        if (Boolean.TRUE.equals(root.getIgnoreUriCase()) != Boolean.TRUE.equals(leaf.getIgnoreUriCase())) {
            return true;
        }
        long rootPort = root.getPort() == null ? 0 : root.getPort();
        long leafPort = leaf.getPort() == null ? 0 : leaf.getPort();
        if (rootPort > 0 && leafPort > 0 && rootPort != leafPort) {
            return true;
        }
        if (!blank(root.getSourceNamespace()) && !root.getSourceNamespace().equals(leaf.getSourceNamespace())) {
            return true;
        }
        Map<String, String> rootLabels = orEmpty(root.getSourceLabels());
        for (var label : orEmpty(leaf.getSourceLabels()).entrySet()) {
            if (rootLabels.containsKey(label.getKey())
                    && !Objects.equals(rootLabels.get(label.getKey()), label.getValue())) {
                return true;
            }
        }
        if (!isEmpty(root.getGateways()) && !isEmpty(leaf.getGateways())) {
            return !Set.copyOf(root.getGateways()).containsAll(leaf.getGateways());
        }
        return false;
    }

    private static boolean conflicts(Map<String, StringMatch> root, Map<String, StringMatch> leaf) {
        return leaf.entrySet().stream().anyMatch(e -> conflicts(root.get(e.getKey()), e.getValue()));
    }

    /**
     * A delegate's string condition must lie inside the root's: an exact value or a prefix under the root's prefix,
     * or the root's exact value itself. A regex on either side conflicts with any condition on the other, and so
     * does a root condition that is only "present" ({@code {}}). No condition on either side never conflicts.
     */
    static boolean conflicts(StringMatch root, StringMatch leaf) {
        if (root == null || leaf == null) {
            return false;
        }
        Object rootType = root.getMatchType();
        Object leafType = leaf.getMatchType();
        if ((rootType instanceof StringMatchRegex && leafType != null)
                || (leafType instanceof StringMatchRegex && rootType != null)) {
            return true;
        }
        if (rootType instanceof StringMatchExact exact) {
            return !(leafType instanceof StringMatchExact other && Objects.equals(other.getExact(), exact.getExact()));
        }
        if (rootType instanceof StringMatchPrefix prefix) {
            if (leafType instanceof StringMatchPrefix other) {
                return !other.getPrefix().startsWith(prefix.getPrefix());
            }
            if (leafType instanceof StringMatchExact other) {
                return !other.getExact().startsWith(prefix.getPrefix());
            }
        }
        return true;
    }

    private static String joinedName(String root, String own) {
        if (blank(own)) {
            return root;
        }
        return blank(root) ? own : root + "-" + own;
    }

    private static <V> Map<String, V> union(Map<String, V> root, Map<String, V> own) {
        Map<String, V> out = new LinkedHashMap<>(orEmpty(root));
        out.putAll(orEmpty(own));
        return out;
    }

    private static <V> Map<String, V> orEmpty(Map<String, V> map) {
        return map == null ? Map.of() : map;
    }

    private static boolean isEmpty(List<?> list) {
        return list == null || list.isEmpty();
    }

    private static boolean blank(String s) {
        return s == null || s.isEmpty();
    }

    private static String key(String namespace, String name) {
        return namespace + "/" + name;
    }
}
