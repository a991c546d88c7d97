package io.ambientjava.perf.tunnel;

import io.ambientjava.perf.net.DialThenRelay;
import io.ambientjava.perf.net.EpollGroups;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;

/**
 * The TLS baseline: the entry accepts plain TCP and carries each connection over its own mutual TLS 1.3
 * connection to the exit, which terminates TLS and dials the target. Same Netty and BoringSSL as HBONE, but no
 * HTTP/2: what HBONE costs beyond this is the price of multiplexing and CONNECT.
 */
public final class TlsTunnel implements Tunnel {

    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(128 * 1024, 512 * 1024);

    private final EventLoopGroup entryGroup;
    private final EventLoopGroup exitGroup;
    private final Channel entryListener;
    private final Channel exitListener;

    private TlsTunnel(
            EventLoopGroup entryGroup, EventLoopGroup exitGroup, Channel entryListener, Channel exitListener) {
        this.entryGroup = entryGroup;
        this.exitGroup = exitGroup;
        this.entryListener = entryListener;
        this.exitListener = exitListener;
    }

    public static TlsTunnel start(InetSocketAddress target, TunnelTls tls, int threadsPerSide)
            throws InterruptedException {
        EventLoopGroup entryGroup = EpollGroups.create("tls-entry", threadsPerSide);
        EventLoopGroup exitGroup = EpollGroups.create("tls-exit", threadsPerSide);
        try {
            Channel exit = listen(exitGroup, new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                            .addLast(tls.exitServer().newHandler(ch.alloc()))
                            .addLast(new DialThenRelay(
                                    DialThenRelay.Trigger.AFTER_TLS_HANDSHAKE, inbound -> dialPlain(inbound, target)));
                }
            });
            InetSocketAddress exitAddress = (InetSocketAddress) exit.localAddress();
            Channel entry = listen(entryGroup, new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                            .addLast(new DialThenRelay(
                                    DialThenRelay.Trigger.ON_ACCEPT,
                                    inbound -> dialTls(inbound, exitAddress, tls.entryClient())));
                }
            });
            return new TlsTunnel(entryGroup, exitGroup, entry, exit);
        } catch (RuntimeException | InterruptedException e) {
            EpollGroups.shutdown(entryGroup);
            EpollGroups.shutdown(exitGroup);
            throw e;
        }
    }

    static Channel listen(EventLoopGroup group, ChannelInitializer<SocketChannel> initializer)
            throws InterruptedException {
        return new ServerBootstrap()
                .group(group)
                .channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childHandler(initializer)
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .sync()
                .channel();
    }

    /** A plain TCP connection to the target on the inbound channel's event loop (no hop between threads). */
    static Future<Channel> dialPlain(Channel inbound, InetSocketAddress target) {
        Promise<Channel> ready = inbound.eventLoop().newPromise();
        ChannelFuture connect = new Bootstrap()
                .group(inbound.eventLoop())
                .channel(EpollSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        // The relay joins once connected.
                    }
                })
                .connect(target);
        connect.addListener(f -> {
            if (f.isSuccess()) {
                ready.setSuccess(connect.channel());
            } else {
                ready.setFailure(f.cause());
            }
        });
        return ready;
    }

    private static Future<Channel> dialTls(Channel inbound, InetSocketAddress exit, SslContext client) {
        Promise<Channel> ready = inbound.eventLoop().newPromise();
        ChannelFuture connect = new Bootstrap()
                .group(inbound.eventLoop())
                .channel(EpollSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(client.newHandler(ch.alloc(), exit.getHostString(), exit.getPort()));
                    }
                })
                .connect(exit);
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                ready.setFailure(f.cause());
                return;
            }
            SslHandler ssl = connect.channel().pipeline().get(SslHandler.class);
            ssl.handshakeFuture().addListener(h -> {
                if (h.isSuccess()) {
                    ready.setSuccess(connect.channel());
                } else {
                    connect.channel().close();
                    ready.setFailure(h.cause());
                }
            });
        });
        return ready;
    }

    @Override
    public InetSocketAddress entryAddress() {
        return (InetSocketAddress) entryListener.localAddress();
    }

    @Override
    public void close() {
        entryListener.close().awaitUninterruptibly();
        exitListener.close().awaitUninterruptibly();
        EpollGroups.shutdown(entryGroup);
        EpollGroups.shutdown(exitGroup);
    }
}
