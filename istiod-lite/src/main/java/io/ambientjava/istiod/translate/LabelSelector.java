package io.ambientjava.istiod.translate;

import java.util.Map;

/** Equality-based label selection ({@code matchLabels}), as Services and Istio workload selectors use it. */
public final class LabelSelector {

    private LabelSelector() {}

    /** True when every selector label is present with the same value; an empty selector selects everything. */
    public static boolean selects(Map<String, String> selector, Map<String, String> labels) {
        if (selector == null || selector.isEmpty()) {
            return true;
        }
        Map<String, String> actual = labels == null ? Map.of() : labels;
        return selector.entrySet().stream().allMatch(e -> e.getValue().equals(actual.get(e.getKey())));
    }

    public static Map<String, String> labelsOf(io.fabric8.kubernetes.api.model.HasMetadata resource) {
        Map<String, String> labels = resource.getMetadata().getLabels();
        return labels == null ? Map.of() : labels;
    }
}
