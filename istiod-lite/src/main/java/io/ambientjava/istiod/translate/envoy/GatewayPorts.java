package io.ambientjava.istiod.translate.envoy;

import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * What each port of an ingress gateway serves: plain HTTP, or HTTPS with one certificate. The first server (Istio
 * Gateway) or listener (Gateway API) on a port decides; another that wants the port otherwise is reported and
 * skipped, as there are no SNI filter chains yet.
 */
final class GatewayPorts {

    private final Map<Integer, Optional<GatewayCredential>> tlsByPort = new TreeMap<>();

    /**
     * Takes {@code port} for plain HTTP ({@code tls} empty) or HTTPS with {@code tls}; false, with a warning about
     * {@code what}, when the port already serves something else.
     */
    boolean claim(int port, Optional<GatewayCredential> tls, String what, Consumer<String> warn) {
        Optional<GatewayCredential> before = tlsByPort.putIfAbsent(port, tls);
        if (before == null || before.map(GatewayCredential::source).equals(tls.map(GatewayCredential::source))) {
            return true;
        }
        warn.accept(what + " is skipped: port " + port + " already serves "
                + before.map(c -> "HTTPS with " + c.source()).orElse("plain HTTP")
                + " (one certificate per port, no SNI selection yet)");
        return false;
    }

    /** The port's listener {@code 0.0.0.0_<port>} routed by {@code http.<port>}, terminating TLS if it is HTTPS. */
    Listener listener(int port) {
        String name = EnvoyNames.gatewayListener(port);
        Listener plain = ListenerTranslator.http(name, "0.0.0.0", port, EnvoyNames.gatewayRoute(port));
        return tlsByPort
                .getOrDefault(port, Optional.empty())
                .map(c -> ListenerTranslator.withTls(plain, c.certificateChainPem(), c.privateKeyPem()))
                .orElse(plain);
    }
}
