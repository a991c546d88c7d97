package io.ambientjava.waypoint.filter;

import io.ambientjava.waypoint.config.RbacFilterConfig;
import io.ambientjava.waypoint.config.RbacPolicy;
import io.ambientjava.waypoint.config.RbacSubject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Runs a listener's RBAC filters in order, as Envoy's filter chain does: the first refusal stops the request. */
public final class RbacEnforcer {

    /**
     * @param allowed whether every filter let the request through
     * @param logged the policies of LOG filters that matched (for the access log)
     */
    public record Decision(boolean allowed, List<String> logged) {
        public Decision {
            logged = List.copyOf(logged);
        }
    }

    private RbacEnforcer() {}

    public static Decision evaluate(List<RbacFilterConfig> filters, RbacSubject subject) {
        List<String> logged = new ArrayList<>();
        for (RbacFilterConfig filter : filters) {
            if (filter.action() == RbacFilterConfig.Action.LOG) {
                Optional<RbacPolicy> match = filter.firstMatch(subject);
                match.ifPresent(p -> logged.add(p.name()));
                continue;
            }
            if (!filter.allows(subject)) {
                return new Decision(false, logged);
            }
        }
        return new Decision(true, logged);
    }
}
