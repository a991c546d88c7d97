package io.ambientjava.waypoint.proxy;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code x-request-id} values for requests that come without one: random (version 4) UUIDs, as Envoy makes them.
 * They name a request in logs and traces and need to be unique, not unpredictable, so they come from the event
 * loop's {@link ThreadLocalRandom} rather than {@link UUID#randomUUID()}, whose SecureRandom reads
 * {@code /dev/urandom} under a lock every few requests.
 */
final class RequestIds {

    private RequestIds() {}

    static String next() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (random.nextLong() & ~0xF000L) | 0x4000L; // version 4
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L; // IETF variant
        return new UUID(high, low).toString();
    }
}
