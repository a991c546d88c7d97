package io.ambientjava.ztunnel.telemetry;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.ztunnel.state.PortMap;
import io.ambientjava.ztunnel.state.Protocol;
import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.state.Workload;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/** Synthetic connections for telemetry tests: a client pod calling the echo service on another pod. */
public final class Connections {

    public static final Instant STARTED = Instant.parse("2026-08-01T10:00:00.123Z");
    private static final AtomicLong IDS = new AtomicLong();

    public static final Workload CLIENT = Workload.builder("Kubernetes//Pod/default/client-7d4b9", "default")
            .name("client-7d4b9")
            .serviceAccount("client")
            .workloadName("client")
            .canonicalName("client")
            .canonicalRevision("v1")
            .addresses("198.18.1.2")
            .protocol(Protocol.HBONE)
            .node("node1")
            .build();

    public static final Workload ECHO = Workload.builder("Kubernetes//Pod/default/echo-5f6c8", "default")
            .name("echo-5f6c8")
            .serviceAccount("echo")
            .workloadName("echo")
            .canonicalName("echo")
            .canonicalRevision("v2")
            .addresses("198.18.1.3")
            .protocol(Protocol.HBONE)
            .node("node1")
            .service("default/echo.default.svc.cluster.local", PortMap.of(80, 8080))
            .build();

    public static final Service ECHO_SERVICE = Service.builder("default", "echo.default.svc.cluster.local")
            .name("echo")
            .vips("/198.19.0.10")
            .ports(PortMap.of(80, 8080))
            .build();

    public static final SpiffeId CLIENT_ID = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/client");
    public static final SpiffeId ECHO_ID = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/echo");

    private Connections() {}

    /** client → echo through the service, mTLS, as the given side reports it. */
    public static ConnectionInfo clientToEcho(Reporter reporter) {
        return new ConnectionInfo(
                IDS.incrementAndGet(),
                reporter,
                new InetSocketAddress("198.18.1.2", 40312),
                new InetSocketAddress("198.18.1.3", 8080),
                Optional.of(CLIENT),
                Optional.of(ECHO),
                Optional.of(ECHO_SERVICE),
                Optional.of(CLIENT_ID),
                Optional.of(ECHO_ID),
                SecurityPolicy.MUTUAL_TLS,
                STARTED);
    }

    /** A plaintext connection from an unknown client to an unknown destination. */
    public static ConnectionInfo unknownPlaintext(Reporter reporter) {
        return new ConnectionInfo(
                IDS.incrementAndGet(),
                reporter,
                new InetSocketAddress("198.18.9.9", 5555),
                new InetSocketAddress("198.18.1.3", 9090),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                SecurityPolicy.NONE,
                STARTED);
    }
}
