package io.ambientjava.ztunnel.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;

/** Closing a TCP connection with a reset, so the app sees a failure rather than a clean end. */
public final class Resets {

    private Resets() {}

    /** Closes {@code channel} with SO_LINGER 0 (RST). */
    public static void reset(Channel channel) {
        if (!channel.isOpen()) {
            return;
        }
        try {
            channel.config().setOption(ChannelOption.SO_LINGER, 0);
        } catch (RuntimeException alreadyClosed) {
            // close() below is all that is left
        }
        channel.close();
    }
}
