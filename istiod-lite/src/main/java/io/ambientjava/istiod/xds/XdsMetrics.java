package io.ambientjava.istiod.xds;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

/** xDS server metrics under istiod's names, so existing dashboards read them. */
final class XdsMetrics {

    private final MeterRegistry registry;
    private final AtomicInteger connected = new AtomicInteger();

    XdsMetrics(MeterRegistry registry) {
        this.registry = registry;
        registry.gauge("pilot_xds", connected);
    }

    void connected() {
        connected.incrementAndGet();
    }

    void disconnected() {
        connected.decrementAndGet();
    }

    void pushed(String typeUrl) {
        counter("pilot_xds_pushes", typeUrl).increment();
    }

    void rejected(String typeUrl) {
        counter("pilot_total_xds_rejects", typeUrl).increment();
    }

    private Counter counter(String name, String typeUrl) {
        return Counter.builder(name).tag("type", shortType(typeUrl)).register(registry);
    }

    private static String shortType(String typeUrl) {
        return typeUrl.substring(typeUrl.lastIndexOf('.') + 1);
    }

    double rejects(String typeUrl) {
        Counter counter = registry.find("pilot_total_xds_rejects")
                .tag("type", shortType(typeUrl))
                .counter();
        return counter == null ? 0 : counter.count();
    }
}
