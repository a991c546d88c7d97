package io.ambientjava.istiod.xds;

import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's Delta ADS stream (incremental xDS, as ztunnel speaks it).
 *
 * <p>Per type URL the stream tracks what the client holds: the resource versions it reported on (re)connect in
 * {@code initial_resource_versions}, then whatever it ACKed. Every response carries only the difference between
 * that and the current snapshot (changed resources, and names to remove), with a fresh nonce. At most one
 * response per type is unacknowledged at a time; changes arriving meanwhile are folded into the next response
 * once the client answers. A NACK (a request with {@code error_detail}) is logged and counted, and the client is
 * taken to still hold its last ACKed state.
 */
final class DeltaStream implements StreamObserver<DeltaDiscoveryRequest>, Consumer<XdsSnapshot> {

    private static final Logger log = LoggerFactory.getLogger(DeltaStream.class);

    /** What one client holds and wants of one type. */
    private static final class TypeState {
        boolean wildcard;
        final Set<String> names = new HashSet<>();
        Map<String, String> acked = new HashMap<>();
        /** The snapshot version {@link #acked} equals in full (wildcard clients only), or -1. */
        long ackedVersion = -1;

        String pendingNonce;
        /** What the pending response changes in {@link #acked}: name to version, null for a removal. */
        Map<String, String> pendingChanges;

        long pendingVersion = -1;
        boolean dirty;
    }

    private final StreamObserver<DeltaDiscoveryResponse> responses;
    private final XdsCache cache;
    private final XdsMetrics metrics;
    private final Runnable onClose;
    private final Map<String, TypeState> types = new LinkedHashMap<>();
    private String client = "unknown";
    private ClientScope scope;
    private long nonces;
    private boolean closed;

    DeltaStream(
            StreamObserver<DeltaDiscoveryResponse> responses, XdsCache cache, XdsMetrics metrics, Runnable onClose) {
        this.responses = responses;
        this.cache = cache;
        this.metrics = metrics;
        this.onClose = onClose;
    }

    @Override
    public synchronized void onNext(DeltaDiscoveryRequest request) {
        if (closed) {
            return;
        }
        if (request.hasNode() && !request.getNode().getId().isEmpty()) {
            client = request.getNode().getId();
        }
        if (scope == null) {
            try {
                scope = request.hasNode() ? ClientScope.of(request.getNode()) : ClientScope.ZTUNNEL;
            } catch (IllegalArgumentException e) {
                log.warn("xds client {}: {}; closing the stream", client, e.getMessage());
                fail(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
                return;
            }
        }
        String typeUrl = request.getTypeUrl();
        if (!snapshot().serves(typeUrl)) {
            log.warn("xds client {} asked for unsupported type '{}'; closing the stream", client, typeUrl);
            fail(Status.INVALID_ARGUMENT.withDescription("unsupported type_url '" + typeUrl + "'; this server serves "
                    + (scope.proxy().isPresent()
                            ? "waypoints and gateways " + String.join(", ", TypeUrls.ENVOY_TYPES)
                            : TypeUrls.ADDRESS + " and " + TypeUrls.AUTHORIZATION)));
            return;
        }
        TypeState state = types.get(typeUrl);
        boolean first = state == null;
        if (first) {
            state = new TypeState();
            types.put(typeUrl, state);
            state.wildcard = request.getResourceNamesSubscribeList().isEmpty();
            state.acked = new HashMap<>(request.getInitialResourceVersionsMap());
        }
        if (!request.getResponseNonce().isEmpty()) {
            answer(typeUrl, state, request);
        }
        boolean subscriptionChanged = subscribe(state, request);
        if (first) {
            push(typeUrl, state, true);
        } else if (subscriptionChanged) {
            if (state.pendingNonce == null) {
                push(typeUrl, state, false);
            } else {
                state.dirty = true;
            }
        }
    }

    private void answer(String typeUrl, TypeState state, DeltaDiscoveryRequest request) {
        String nonce = request.getResponseNonce();
        if (!nonce.equals(state.pendingNonce)) {
            log.debug("xds client {} answered stale nonce {} for {}", client, nonce, typeUrl);
            return;
        }
        // Any error_detail is a NACK, whatever its code: upstream ztunnel sends only a message (code 0).
        if (request.hasErrorDetail()) {
            metrics.rejected(typeUrl);
            log.warn(
                    "xds client {} rejected (NACK) {} nonce {}: {}; it keeps its last accepted state ({} resources)",
                    client,
                    typeUrl,
                    nonce,
                    request.getErrorDetail().getMessage(),
                    state.acked.size());
        } else {
            state.pendingChanges.forEach((name, version) -> {
                if (version == null) {
                    state.acked.remove(name);
                } else {
                    state.acked.put(name, version);
                }
            });
            state.ackedVersion = state.pendingVersion;
            log.debug("xds client {} accepted {} nonce {}", client, typeUrl, nonce);
        }
        state.pendingNonce = null;
        state.pendingChanges = null;
        state.pendingVersion = -1;
        if (state.dirty) {
            state.dirty = false;
            push(typeUrl, state, false);
        }
    }

    private static boolean subscribe(TypeState state, DeltaDiscoveryRequest request) {
        boolean changed = false;
        for (String name : request.getResourceNamesSubscribeList()) {
            if (name.equals("*")) {
                changed |= !state.wildcard;
                state.wildcard = true;
            } else {
                changed |= state.names.add(name);
                state.ackedVersion = -1;
            }
        }
        for (String name : request.getResourceNamesUnsubscribeList()) {
            if (name.equals("*")) {
                changed |= state.wildcard;
                state.wildcard = false;
            } else {
                changed |= state.names.remove(name);
                state.acked.remove(name); // the client drops what it unsubscribes from
                state.ackedVersion = -1;
            }
        }
        return changed;
    }

    /** A new snapshot: send each subscribed type its differences, or remember them until the pending answer. */
    @Override
    public synchronized void accept(XdsSnapshot snapshot) {
        if (closed) {
            return;
        }
        types.forEach((typeUrl, state) -> {
            if (state.pendingNonce == null) {
                push(typeUrl, state, false);
            } else {
                state.dirty = true;
            }
        });
    }

    /** The Envoy resources of some waypoint or gateway changed: a proxy client gets its differences. */
    synchronized void proxiesChanged() {
        if (scope != null && scope.proxy().isPresent()) {
            accept(snapshot());
        }
    }

    /** What this client is served: the workload snapshot for ztunnels, its own resources for a proxy. */
    private XdsSnapshot snapshot() {
        if (scope == null || scope.proxy().isEmpty()) {
            return cache.current();
        }
        return cache.proxies().of(scope.proxy().get());
    }

    private void push(String typeUrl, TypeState state, boolean always) {
        XdsSnapshot snapshot = snapshot();
        SortedMap<String, XdsResource> offered = snapshot.of(typeUrl);
        DeltaDiscoveryResponse.Builder response = DeltaDiscoveryResponse.newBuilder()
                .setTypeUrl(typeUrl)
                .setSystemVersionInfo(Long.toString(snapshot.version()));
        Map<String, String> changes = new HashMap<>();
        List<String> removed = new ArrayList<>();
        boolean holdsPrevious = state.wildcard
                && state.names.isEmpty()
                && state.ackedVersion >= 0
                && state.ackedVersion == snapshot.version() - 1;
        Collection<String> candidates = holdsPrevious
                ? snapshot.changedSincePrevious(typeUrl)
                        .map(names -> (Collection<String>) names)
                        .orElse(null)
                : null;
        boolean everything = candidates == null;
        if (everything) {
            candidates = offered.keySet();
        }
        for (String name : candidates) {
            XdsResource resource = offered.get(name);
            if (resource != null && (state.wildcard || state.names.contains(name))) {
                if (!resource.version().equals(state.acked.get(name))) {
                    response.addResources(Resource.newBuilder()
                            .setName(name)
                            .setVersion(resource.version())
                            .setResource(resource.body()));
                    changes.put(name, resource.version());
                }
            } else if (!everything && state.acked.containsKey(name)) {
                removed.add(name);
            }
        }
        if (everything) {
            for (String name : state.acked.keySet()) {
                if (!offered.containsKey(name) || !(state.wildcard || state.names.contains(name))) {
                    removed.add(name);
                }
            }
        }
        Collections.sort(removed);
        removed.forEach(name -> changes.put(name, null));
        response.addAllRemovedResources(removed);
        if (!always && response.getResourcesCount() == 0 && removed.isEmpty()) {
            return;
        }
        String nonce = Long.toString(++nonces);
        response.setNonce(nonce);
        state.pendingNonce = nonce;
        state.pendingChanges = changes;
        state.pendingVersion = state.wildcard && state.names.isEmpty() ? snapshot.version() : -1;
        metrics.pushed(typeUrl);
        log.debug(
                "xds push to {}: {} nonce {} ({} resources, {} removed)",
                client,
                typeUrl,
                nonce,
                response.getResourcesCount(),
                removed.size());
        try {
            responses.onNext(response.build());
        } catch (RuntimeException e) {
            log.debug("xds client {} went away during a push: {}", client, e.toString());
            close();
        }
    }

    @Override
    public synchronized void onError(Throwable t) {
        log.info("xds client {} disconnected: {}", client, Status.fromThrowable(t));
        close();
    }

    @Override
    public synchronized void onCompleted() {
        log.info("xds client {} closed its stream", client);
        if (!closed) {
            responses.onCompleted();
        }
        close();
    }

    private void fail(Status status) {
        if (!closed) {
            responses.onError(status.asRuntimeException());
        }
        close();
    }

    private void close() {
        if (!closed) {
            closed = true;
            onClose.run();
        }
    }

    /** What the client has accepted, per type URL and resource name (for debugging and tests). */
    synchronized XdsClientView view() {
        Map<String, Map<String, String>> acked = new TreeMap<>();
        types.forEach((type, state) -> acked.put(type, Map.copyOf(state.acked)));
        String proxy = scope == null ? "" : scope.proxy().map(Object::toString).orElse("");
        return new XdsClientView(client, acked, proxy);
    }
}
