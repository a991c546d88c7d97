package io.ambientjava.waypoint.filter;

import io.ambientjava.waypoint.config.HeaderMatch;
import io.ambientjava.waypoint.config.LocalRateLimitConfig;
import io.ambientjava.waypoint.config.RateLimitAction;
import io.ambientjava.waypoint.config.RateLimitPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The descriptor one {@code rate_limits} entry makes of a request, as Envoy's rate limit actions build it. */
final class RequestDescriptors {

    private RequestDescriptors() {}

    /** Empty when an action cannot produce its entry (a header absent, a match failing), or no action produced one. */
    static Optional<List<LocalRateLimitConfig.Entry>> of(
            RateLimitPolicy policy, RequestView request, Optional<String> remoteIp) {
        List<LocalRateLimitConfig.Entry> entries = new ArrayList<>();
        for (RateLimitAction action : policy.actions()) {
            switch (action) {
                case RateLimitAction.RequestHeaders h -> {
                    Optional<String> value = request.header(h.headerName());
                    if (value.isEmpty()) {
                        if (h.skipIfAbsent()) {
                            continue;
                        }
                        return Optional.empty();
                    }
                    entries.add(new LocalRateLimitConfig.Entry(h.descriptorKey(), value.get()));
                }
                case RateLimitAction.GenericKey g ->
                    entries.add(new LocalRateLimitConfig.Entry(g.descriptorKey(), g.descriptorValue()));
                case RateLimitAction.HeaderValueMatch m -> {
                    boolean all = true;
                    for (HeaderMatch header : m.headers()) {
                        if (!header.matches(request.header(header.name()))) {
                            all = false;
                            break;
                        }
                    }
                    if (all != m.expectMatch()) {
                        return Optional.empty();
                    }
                    entries.add(new LocalRateLimitConfig.Entry(m.descriptorKey(), m.descriptorValue()));
                }
                case RateLimitAction.RemoteAddress r -> {
                    if (remoteIp.isEmpty()) {
                        return Optional.empty();
                    }
                    entries.add(new LocalRateLimitConfig.Entry("remote_address", remoteIp.get()));
                }
            }
        }
        return entries.isEmpty() ? Optional.empty() : Optional.of(List.copyOf(entries));
    }
}
