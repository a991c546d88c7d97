package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.ConfigResource;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ResourceKind;
import io.fabric8.istio.api.networking.v1.VirtualService;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The VirtualServices of a snapshot in Istio's order (oldest first, then by namespace and name), and which apply
 * to a host at a given gateway ({@code mesh} for waypoints). Those without hosts are delegates: they are merged
 * into the routes that name them ({@link VirtualServiceDelegates}) and bind nowhere themselves.
 */
final class VirtualServices {

    /** A VirtualService with its hosts made full hostnames. */
    record Bound(ConfigResource resource, VirtualService service, List<String> hosts) {}

    private final List<Bound> all = new ArrayList<>();

    VirtualServices(
            ConfigSnapshot snapshot,
            MeshServices services,
            java.util.function.BiConsumer<io.ambientjava.istiod.config.ResourceKey, String> warn) {
        List<ConfigResource> resources = new ArrayList<>(snapshot.all(ResourceKind.VIRTUAL_SERVICE));
        resources.sort(Comparator.comparing((ConfigResource r) -> {
                    String created = r.object().getMetadata().getCreationTimestamp();
                    return created == null ? "" : created;
                })
                .thenComparing(ConfigResource::key));
        VirtualServiceDelegates delegates = new VirtualServiceDelegates(
                resources.stream().map(r -> r.as(VirtualService.class)).toList(), services::resolve);
        for (ConfigResource resource : resources) {
            VirtualService written = resource.as(VirtualService.class);
            if (written.getSpec() == null
                    || written.getSpec().getHosts() == null
                    || written.getSpec().getHosts().isEmpty()) {
                continue; // a delegate: it applies through the VirtualServices that name it
            }
            VirtualService service = delegates.expand(written, w -> warn.accept(resource.key(), w));
            if (service.getSpec().getTls() != null
                    && !service.getSpec().getTls().isEmpty()
                    && GatewayNames.of(service.getSpec().getGateways()).contains(GatewayNames.MESH)) {
                warn.accept(
                        resource.key(),
                        "tls routes (SNI) are applied at ingress gateways (TLS passthrough), not by waypoints");
            }
            String namespace = service.getMetadata().getNamespace();
            List<String> hosts = service.getSpec().getHosts().stream()
                    .map(h -> services.resolve(h, namespace))
                    .toList();
            all.add(new Bound(resource, service, hosts));
        }
    }

    /** Those bound to {@code gateway} ({@code mesh} or {@code ns/name}). */
    List<Bound> at(String gateway) {
        return all.stream().filter(b -> bindsTo(b, gateway)).toList();
    }

    List<Bound> all() {
        return List.copyOf(all);
    }

    static boolean bindsTo(Bound bound, String gateway) {
        return GatewayNames.contains(
                GatewayNames.of(bound.service().getSpec().getGateways()),
                gateway,
                bound.service().getMetadata().getNamespace());
    }

    /** Those for the mesh whose hosts name {@code hostname} (exactly, or by a {@code *.suffix} wildcard). */
    List<Bound> forMeshHost(String hostname) {
        return at(GatewayNames.MESH).stream()
                .filter(b -> b.hosts().stream().anyMatch(h -> HostMatch.matches(h, hostname)))
                .toList();
    }
}
