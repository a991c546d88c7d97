package io.ambientjava.waypoint.filter;

import io.ambientjava.waypoint.config.HeaderMutations;
import io.netty.handler.codec.http.HttpHeaders;

/** Applies Envoy header additions (by append action), then removals, to request or response headers. */
public final class HeaderMutator {

    private HeaderMutator() {}

    public static void apply(HeaderMutations mutations, HttpHeaders headers) {
        for (HeaderMutations.HeaderAdd add : mutations.add()) {
            boolean exists = headers.contains(add.name());
            switch (add.action()) {
                case APPEND_IF_EXISTS_OR_ADD -> headers.add(add.name(), add.value());
                case ADD_IF_ABSENT -> {
                    if (!exists) {
                        headers.add(add.name(), add.value());
                    }
                }
                case OVERWRITE_IF_EXISTS_OR_ADD -> headers.set(add.name(), add.value());
                case OVERWRITE_IF_EXISTS -> {
                    if (exists) {
                        headers.set(add.name(), add.value());
                    }
                }
            }
        }
        for (String name : mutations.remove()) {
            headers.remove(name);
        }
    }
}
