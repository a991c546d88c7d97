package io.ambientjava.istiod.translate;

import io.ambientjava.istiod.config.ConfigResource;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ResourceKind;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Kinds istiod-lite reads (their CRDs are installed, and a user's YAML often has them) but does not turn into
 * configuration: each such resource is reported, so that none is accepted and then silently has no effect. (ServiceEntries
 * and WorkloadEntries are translated; their translators report the parts that are not.)
 */
final class UnappliedKinds {

    private static final Map<ResourceKind, String> REASONS = new EnumMap<>(Map.of(
            ResourceKind.SIDECAR,
            "Sidecar has no effect in ambient mode: it configures sidecar proxies, and this mesh runs none"));

    private UnappliedKinds() {}

    static void report(ConfigSnapshot snapshot, List<TranslationWarning> warnings) {
        REASONS.forEach((kind, reason) -> {
            for (ConfigResource resource : snapshot.all(kind)) {
                warnings.add(new TranslationWarning(resource.key(), reason));
            }
        });
    }
}
