package io.ambientjava.ztunnel.admin;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * ztunnel's three operations servers: admin (15000, localhost), metrics (15020) and readiness (15021). Started
 * together; if one cannot bind, the others are closed again and the failure names the address.
 */
public final class OperationsServers implements AutoCloseable {

    /** Istio's ports. */
    public static final int ADMIN_PORT = 15000;

    public static final int METRICS_PORT = 15020;
    public static final int READINESS_PORT = 15021;

    private final SmallHttpServer admin;
    private final SmallHttpServer metrics;
    private final SmallHttpServer readiness;

    private OperationsServers(SmallHttpServer admin, SmallHttpServer metrics, SmallHttpServer readiness) {
        this.admin = admin;
        this.metrics = metrics;
        this.readiness = readiness;
    }

    /** Addresses to bind; port 0 picks a free port. */
    public record Addresses(InetSocketAddress admin, InetSocketAddress metrics, InetSocketAddress readiness) {}

    /** The three route tables. */
    public record Routes(HttpRoutes admin, HttpRoutes metrics, HttpRoutes readiness) {}

    public static OperationsServers start(
            Addresses addresses, Routes routes, EventLoopGroup group, Class<? extends ServerChannel> channelType) {
        List<SmallHttpServer> started = new ArrayList<>();
        try {
            started.add(SmallHttpServer.start("admin", addresses.admin(), group, channelType, routes.admin()));
            started.add(SmallHttpServer.start("metrics", addresses.metrics(), group, channelType, routes.metrics()));
            started.add(
                    SmallHttpServer.start("readiness", addresses.readiness(), group, channelType, routes.readiness()));
        } catch (RuntimeException e) {
            started.forEach(SmallHttpServer::close);
            throw e;
        }
        return new OperationsServers(started.get(0), started.get(1), started.get(2));
    }

    public InetSocketAddress adminAddress() {
        return admin.address();
    }

    public InetSocketAddress metricsAddress() {
        return metrics.address();
    }

    public InetSocketAddress readinessAddress() {
        return readiness.address();
    }

    /** {@code admin=127.0.0.1:15000 metrics=0.0.0.0:15020 readiness=0.0.0.0:15021}. */
    public String describe() {
        return "admin=" + hostPort(adminAddress()) + " metrics=" + hostPort(metricsAddress()) + " readiness="
                + hostPort(readinessAddress());
    }

    private static String hostPort(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    @Override
    public void close() {
        admin.close();
        metrics.close();
        readiness.close();
    }
}
