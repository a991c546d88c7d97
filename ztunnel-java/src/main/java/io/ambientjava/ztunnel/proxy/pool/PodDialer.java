package io.ambientjava.ztunnel.proxy.pool;

import io.ambientjava.hbone.client.HboneDialer;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Objects;

/**
 * Dials HBONE peers from inside a pod's network namespace with sockets from {@code socketFactory} (created in the
 * pod, marked 0x539). Part of the HBONE pool key, so a pod's connections are shared among that pod's requests only,
 * as upstream ztunnel keys its pool by source address too.
 *
 * <p>The HBONE client hands over a bootstrap that already names a channel class, which Netty does not let anyone
 * replace; so this copies its group, handler, options and attributes into a new bootstrap with the pod's socket
 * factory. The socket is created on the calling thread's behalf by the netns worker (a few microseconds, see
 * {@link io.ambientjava.ztunnel.inpod.netns.NettyInNetns#channelFactory}).
 */
public record PodDialer(String podUid, ChannelFactory<EpollSocketChannel> socketFactory) implements HboneDialer {

    public PodDialer {
        Objects.requireNonNull(podUid, "podUid");
        Objects.requireNonNull(socketFactory, "socketFactory");
    }

    @Override
    @SuppressWarnings("unchecked")
    public ChannelFuture connect(Bootstrap template, InetSocketAddress peer) {
        var config = template.config();
        Bootstrap bootstrap = new Bootstrap()
                .group(config.group())
                .channelFactory(socketFactory)
                .handler(config.handler());
        for (Map.Entry<ChannelOption<?>, Object> option : config.options().entrySet()) {
            bootstrap.option((ChannelOption<Object>) option.getKey(), option.getValue());
        }
        for (Map.Entry<AttributeKey<?>, Object> attribute : config.attrs().entrySet()) {
            bootstrap.attr((AttributeKey<Object>) attribute.getKey(), attribute.getValue());
        }
        return bootstrap.connect(peer);
    }

    @Override
    public String toString() {
        return "PodDialer(" + podUid + ")";
    }
}
