package io.ambientjava.ztunnel.caclient;

import io.ambientjava.ztunnel.controlplane.ControlPlaneTls;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How to reach the mesh CA ({@code istio.v1.auth.IstioCertificateService}).
 *
 * @param host the CA host (plaintext gRPC, e.g. istiod-lite's loopback port 15010)
 * @param tokenFile a file holding ztunnel's bearer token; read again on every request, so a rotated token is used
 * @param clusterId sent as the {@code clusterid} header, as upstream ztunnel does
 * @param validity the certificate lifetime asked for ({@code validity_duration})
 * @param timeout the deadline of one request
 * @param tls TLS to istiod (its port 15012); plaintext when empty
 */
public record CaClientSettings(
        String host,
        int port,
        Path tokenFile,
        String clusterId,
        Duration validity,
        Duration timeout,
        Optional<ControlPlaneTls> tls) {

    public static final Duration DEFAULT_VALIDITY = Duration.ofHours(24);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    public CaClientSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(tokenFile, "tokenFile");
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(tls, "tls");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("CA port " + port + " is not in 1..65535");
        }
        if (validity.isNegative() || validity.isZero() || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("validity and timeout must be positive");
        }
    }

    public static CaClientSettings of(String host, int port, Path tokenFile) {
        return new CaClientSettings(
                host, port, tokenFile, "Kubernetes", DEFAULT_VALIDITY, DEFAULT_TIMEOUT, Optional.empty());
    }

    /** The same over TLS, istiod verified as {@code tls} says. */
    public CaClientSettings withTls(ControlPlaneTls tls) {
        return new CaClientSettings(host, port, tokenFile, clusterId, validity, timeout, Optional.of(tls));
    }

    public String address() {
        return host + ":" + port;
    }
}
