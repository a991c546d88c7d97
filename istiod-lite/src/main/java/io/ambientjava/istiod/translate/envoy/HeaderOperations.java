package io.ambientjava.istiod.translate.envoy;

import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.fabric8.istio.api.api.networking.v1alpha3.HeadersHeaderOperations;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Istio header operations ({@code set}, {@code add}, {@code remove}) as Envoy header options: {@code set} overwrites
 * ({@code OVERWRITE_IF_EXISTS_OR_ADD}), {@code add} appends ({@code APPEND_IF_EXISTS_OR_ADD}).
 */
final class HeaderOperations {

    /** What to add and what to remove, for one direction. */
    record Ops(List<HeaderValueOption> add, List<String> remove) {
        static final Ops NONE = new Ops(List.of(), List.of());
    }

    private HeaderOperations() {}

    static Ops of(HeadersHeaderOperations ops) {
        if (ops == null) {
            return Ops.NONE;
        }
        List<HeaderValueOption> add = new ArrayList<>();
        sorted(ops.getSet())
                .forEach((k, v) ->
                        add.add(option(k, v, HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)));
        sorted(ops.getAdd())
                .forEach((k, v) -> add.add(option(k, v, HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD)));
        return new Ops(add, ops.getRemove() == null ? List.of() : List.copyOf(ops.getRemove()));
    }

    static HeaderValueOption option(String name, String value, HeaderValueOption.HeaderAppendAction action) {
        return HeaderValueOption.newBuilder()
                .setHeader(HeaderValue.newBuilder().setKey(name).setValue(value))
                .setAppendAction(action)
                .build();
    }

    private static Map<String, String> sorted(Map<String, String> map) {
        return map == null ? Map.of() : new TreeMap<>(map);
    }
}
