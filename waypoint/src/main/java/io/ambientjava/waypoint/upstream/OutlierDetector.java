package io.ambientjava.waypoint.upstream;

import io.ambientjava.waypoint.config.OutlierConfig;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * Envoy's consecutive-5xx and consecutive-gateway-failure ejection. An ejected host returns after
 * {@code baseEjectionTime × times ejected} (at most {@code maxEjectionTime}); at most {@code maxEjectionPercent}
 * of the hosts are out at once, though one host may always be ejected when the percent is non-zero.
 */
final class OutlierDetector {

    private final LongSupplier clock;
    private volatile Optional<OutlierConfig> config;

    OutlierDetector(Optional<OutlierConfig> config, LongSupplier clock) {
        this.config = config;
        this.clock = clock;
    }

    void update(Optional<OutlierConfig> newConfig) {
        config = newConfig;
    }

    /** @param status the response status, or 0 for a connect failure, reset or timeout (a gateway failure) */
    void record(HostState host, int status, Collection<HostState> all) {
        OutlierConfig c = config.orElse(null);
        if (c == null) {
            return;
        }
        if (c.splitExternalLocalOriginErrors()) {
            if (status == 0) {
                boolean eject;
                synchronized (host) {
                    if (host.ejected) {
                        return;
                    }
                    host.consecutiveLocalOriginFailures++;
                    eject = c.consecutiveLocalOriginFailure() > 0
                            && host.consecutiveLocalOriginFailures >= c.consecutiveLocalOriginFailure()
                            && roll(c.enforcingConsecutiveLocalOriginFailure());
                }
                if (eject) {
                    tryEject(host, c, all);
                }
                return;
            }
            synchronized (host) {
                host.consecutiveLocalOriginFailures = 0; // the host answered: locally it is reachable
            }
        }
        boolean gateway = status == 0 || status == 502 || status == 503 || status == 504;
        boolean serverError = status == 0 || status >= 500;
        boolean eject = false;
        synchronized (host) {
            if (host.ejected) {
                return;
            }
            if (!serverError) {
                host.consecutive5xx = 0;
                host.consecutiveGatewayFailures = 0;
                return;
            }
            host.consecutive5xx++;
            if (gateway) {
                host.consecutiveGatewayFailures++;
            } else {
                host.consecutiveGatewayFailures = 0;
            }
            if (c.consecutive5xx() > 0
                    && host.consecutive5xx >= c.consecutive5xx()
                    && roll(c.enforcingConsecutive5xx())) {
                eject = true;
            } else if (c.consecutiveGatewayFailure() > 0
                    && host.consecutiveGatewayFailures >= c.consecutiveGatewayFailure()
                    && roll(c.enforcingConsecutiveGatewayFailure())) {
                eject = true;
            }
        }
        if (eject) {
            tryEject(host, c, all);
        }
    }

    private void tryEject(HostState host, OutlierConfig c, Collection<HostState> all) {
        long now = clock.getAsLong();
        synchronized (this) {
            int ejectedNow = 0;
            for (HostState h : all) {
                if (h.isEjected(now)) {
                    ejectedNow++;
                }
            }
            boolean allowed = c.maxEjectionPercent() > 0
                    && (ejectedNow == 0 || (ejectedNow + 1) * 100 <= c.maxEjectionPercent() * all.size());
            if (!allowed) {
                return;
            }
            synchronized (host) {
                host.ejectionCount++;
                long duration = Math.min(
                        c.baseEjectionTime().toNanos() * host.ejectionCount,
                        Math.max(
                                c.maxEjectionTime().toNanos(),
                                c.baseEjectionTime().toNanos()));
                host.ejected = true;
                host.ejectedUntilNanos = now + duration;
                host.consecutiveLocalOriginFailures = 0;
                host.consecutive5xx = 0;
                host.consecutiveGatewayFailures = 0;
            }
        }
    }

    private static boolean roll(int percent) {
        return percent >= 100 || (percent > 0 && ThreadLocalRandom.current().nextInt(100) < percent);
    }
}
