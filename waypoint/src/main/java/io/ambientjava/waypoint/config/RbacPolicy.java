package io.ambientjava.waypoint.config;

import java.util.List;
import java.util.Objects;

/** One named RBAC policy: it matches when any permission and any principal match. */
public record RbacPolicy(String name, List<RbacPermission> permissions, List<RbacPrincipal> principals) {

    public RbacPolicy {
        Objects.requireNonNull(name, "name");
        permissions = List.copyOf(permissions);
        principals = List.copyOf(principals);
    }

    public boolean matches(RbacSubject s) {
        return permissions.stream().anyMatch(p -> p.matches(s))
                && principals.stream().anyMatch(p -> p.matches(s));
    }
}
