package io.ambientjava.waypoint.config;

import java.util.List;
import java.util.Objects;

/** Headers to add or set, then to remove (Envoy: {@code *_headers_to_add}, {@code *_headers_to_remove}). */
public record HeaderMutations(List<HeaderAdd> add, List<String> remove) {

    public static final HeaderMutations NONE = new HeaderMutations(List.of(), List.of());

    public HeaderMutations {
        add = List.copyOf(add);
        remove = List.copyOf(remove);
    }

    public boolean isEmpty() {
        return add.isEmpty() && remove.isEmpty();
    }

    /** Envoy's {@code HeaderValueOption.HeaderAppendAction}. */
    public enum AppendAction {
        APPEND_IF_EXISTS_OR_ADD,
        ADD_IF_ABSENT,
        OVERWRITE_IF_EXISTS_OR_ADD,
        OVERWRITE_IF_EXISTS
    }

    public record HeaderAdd(String name, String value, AppendAction action) {
        public HeaderAdd {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            Objects.requireNonNull(action, "action");
        }
    }
}
