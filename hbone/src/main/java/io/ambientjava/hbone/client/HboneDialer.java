package io.ambientjava.hbone.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * Opens the TCP connection to an HBONE peer: from which source address, network namespace or socket. The
 * bootstrap arrives with group, channel class, options and handler set; a dialer may replace the channel
 * factory (for a socket created inside a pod's network namespace), bind a local address, or add options.
 *
 * <p>Dialers are part of the pool key: connections are shared only between requests with equal dialers, so
 * use value types (records, enums) for them.
 */
@FunctionalInterface
public interface HboneDialer {

    ChannelFuture connect(Bootstrap bootstrap, InetSocketAddress peer);

    /** Connects from whatever address the kernel picks. */
    static HboneDialer direct() {
        return Direct.INSTANCE;
    }

    /** Connects from {@code local} (ephemeral port). */
    static HboneDialer fromLocalAddress(InetAddress local) {
        return new FromLocalAddress(local);
    }

    enum Direct implements HboneDialer {
        INSTANCE;

        @Override
        public ChannelFuture connect(Bootstrap bootstrap, InetSocketAddress peer) {
            return bootstrap.connect(peer);
        }
    }

    record FromLocalAddress(InetAddress local) implements HboneDialer {
        public FromLocalAddress {
            Objects.requireNonNull(local, "local");
        }

        @Override
        public ChannelFuture connect(Bootstrap bootstrap, InetSocketAddress peer) {
            return bootstrap.connect(peer, new InetSocketAddress(local, 0));
        }
    }
}
