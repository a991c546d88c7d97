package io.ambientjava.waypoint.config;

import java.util.List;
import java.util.Objects;

/** Envoy's RBAC {@code Permission}: a condition on the request and where it is going. */
public sealed interface RbacPermission {

    boolean matches(RbacSubject s);

    record Any() implements RbacPermission {
        @Override
        public boolean matches(RbacSubject s) {
            return true;
        }
    }

    record And(List<RbacPermission> rules) implements RbacPermission {
        public And {
            rules = List.copyOf(rules);
        }

        @Override
        public boolean matches(RbacSubject s) {
            return rules.stream().allMatch(r -> r.matches(s));
        }
    }

    record Or(List<RbacPermission> rules) implements RbacPermission {
        public Or {
            rules = List.copyOf(rules);
        }

        @Override
        public boolean matches(RbacSubject s) {
            return rules.stream().anyMatch(r -> r.matches(s));
        }
    }

    record Not(RbacPermission rule) implements RbacPermission {
        public Not {
            Objects.requireNonNull(rule, "rule");
        }

        @Override
        public boolean matches(RbacSubject s) {
            return !rule.matches(s);
        }
    }

    record Header(HeaderMatch match) implements RbacPermission {
        @Override
        public boolean matches(RbacSubject s) {
            return match.matches(s.header(match.name()));
        }
    }

    record UrlPath(StringMatch match) implements RbacPermission {
        @Override
        public boolean matches(RbacSubject s) {
            return match.matches(s.path());
        }
    }

    record DestinationPort(int port) implements RbacPermission {
        @Override
        public boolean matches(RbacSubject s) {
            return s.destinationPort() == port;
        }
    }

    record DestinationIp(CidrMatch range) implements RbacPermission {
        @Override
        public boolean matches(RbacSubject s) {
            return s.destinationIp().map(range::contains).orElse(false);
        }
    }

    record RequestedServerName(StringMatch match) implements RbacPermission {
        @Override
        public boolean matches(RbacSubject s) {
            return match.matches(s.requestedServerName());
        }
    }
}
