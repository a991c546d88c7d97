package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ResourceKind;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import java.util.Optional;

/** The CA certificates Gateway API {@code caCertificateRefs} name: the {@code ca.crt} of a ConfigMap or a Secret. */
final class CaCertificateRefs {

    private CaCertificateRefs() {}

    /** Empty when the object is missing, has no {@code ca.crt}, or {@code kind} is neither ConfigMap nor Secret. */
    static Optional<String> caOf(ConfigSnapshot snapshot, String kind, String namespace, String name) {
        return switch (kind) {
            case "ConfigMap" ->
                snapshot.get(ResourceKind.CONFIG_MAP, namespace, name, ConfigMap.class)
                        .map(m -> m.getData() == null ? null : m.getData().get("ca.crt"));
            case "Secret" ->
                snapshot.get(ResourceKind.SECRET, namespace, name, Secret.class)
                        .flatMap(s -> GatewayCredential.value(s, "ca.crt"));
            default -> Optional.empty();
        };
    }
}
