package io.ambientjava.waypoint.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** Envoy's RBAC {@code Principal}: a condition on who sends the request. */
public sealed interface RbacPrincipal {

    boolean matches(RbacSubject s);

    record Any() implements RbacPrincipal {
        @Override
        public boolean matches(RbacSubject s) {
            return true;
        }
    }

    record And(List<RbacPrincipal> ids) implements RbacPrincipal {
        public And {
            ids = List.copyOf(ids);
        }

        @Override
        public boolean matches(RbacSubject s) {
            return ids.stream().allMatch(i -> i.matches(s));
        }
    }

    record Or(List<RbacPrincipal> ids) implements RbacPrincipal {
        public Or {
            ids = List.copyOf(ids);
        }

        @Override
        public boolean matches(RbacSubject s) {
            return ids.stream().anyMatch(i -> i.matches(s));
        }
    }

    record Not(RbacPrincipal id) implements RbacPrincipal {
        public Not {
            Objects.requireNonNull(id, "id");
        }

        @Override
        public boolean matches(RbacSubject s) {
            return !id.matches(s);
        }
    }

    /**
     * An mTLS client. Without a name matcher any authenticated client matches; a plaintext client never does.
     */
    record Authenticated(Optional<StringMatch> principalName) implements RbacPrincipal {
        public Authenticated {
            Objects.requireNonNull(principalName, "principalName");
        }

        @Override
        public boolean matches(RbacSubject s) {
            return s.peerPrincipal()
                    .map(p -> principalName.map(m -> m.matches(p)).orElse(true))
                    .orElse(false);
        }
    }

    record DirectRemoteIp(CidrMatch range) implements RbacPrincipal {
        @Override
        public boolean matches(RbacSubject s) {
            return s.directRemoteIp().map(range::contains).orElse(false);
        }
    }

    record RemoteIp(CidrMatch range) implements RbacPrincipal {
        @Override
        public boolean matches(RbacSubject s) {
            return s.remoteIp().map(range::contains).orElse(false);
        }
    }

    record Header(HeaderMatch match) implements RbacPrincipal {
        @Override
        public boolean matches(RbacSubject s) {
            return match.matches(s.header(match.name()));
        }
    }

    record UrlPath(StringMatch match) implements RbacPrincipal {
        @Override
        public boolean matches(RbacSubject s) {
            return match.matches(s.path());
        }
    }

    /** A value of the request's dynamic metadata (the verified JWT payload). */
    record Metadata(String filter, List<String> path, ValueMatch value, boolean invert) implements RbacPrincipal {
        public Metadata {
            Objects.requireNonNull(filter, "filter");
            path = List.copyOf(path);
            Objects.requireNonNull(value, "value");
        }

        @Override
        public boolean matches(RbacSubject s) {
            return value.matches(s.metadata(filter, path)) != invert;
        }
    }
}
