package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import io.ambientjava.istiod.translate.MeshSettings;
import io.ambientjava.istiod.translate.ServiceEntryAddresses;
import io.ambientjava.istiod.translate.TranslationWarning;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Consumer;

/** What every proxy translation of one snapshot shares: the indexes, and the warnings collected so far. */
final class TranslationScope {

    final ConfigSnapshot snapshot;
    final MeshSettings settings;
    final MeshServices services;
    final DestinationRules destinationRules;
    final VirtualServices virtualServices;
    private final Set<TranslationWarning> warnings = new LinkedHashSet<>();

    TranslationScope(ConfigSnapshot snapshot, MeshSettings settings, ServiceEntryAddresses entryAddresses) {
        this.snapshot = snapshot;
        this.settings = settings;
        this.services = new MeshServices(snapshot, settings, entryAddresses);
        this.destinationRules = new DestinationRules(snapshot, services, settings, this::warn);
        this.virtualServices = new VirtualServices(snapshot, services, this::warn);
    }

    void warn(ResourceKey resource, String message) {
        warnings.add(new TranslationWarning(resource, message));
    }

    Consumer<String> warnTo(ResourceKey resource) {
        return message -> warn(resource, message);
    }

    Consumer<String> warnTo(ResourceKind kind, HasMetadata object) {
        return warnTo(new ResourceKey(
                kind,
                kind.namespaced() ? object.getMetadata().getNamespace() : "",
                object.getMetadata().getName()));
    }

    ClusterSet clusterSet(String proxyNamespace) {
        return new ClusterSet(services, destinationRules, settings, proxyNamespace, this::warn);
    }

    Set<TranslationWarning> warnings() {
        return warnings;
    }
}
