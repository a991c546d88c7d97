package io.ambientjava.waypoint.upstream;

import io.netty.channel.Channel;

/**
 * One upstream HTTP exchange slot: a channel that speaks HTTP objects (an HTTP/1.1 connection, or an HTTP/2 stream
 * with its frames turned into HTTP objects). The holder adds its handler last and removes it before releasing.
 */
public interface Lease {

    Channel channel();

    HostState host();

    /**
     * Whether the slot carried an exchange before: a kept-alive HTTP/1.1 connection, which the server may have been
     * closing while this request went out.
     */
    default boolean reused() {
        return false;
    }

    /** @param reusable the exchange ended cleanly and an HTTP/1.1 connection may carry the next one */
    void release(boolean reusable);
}
