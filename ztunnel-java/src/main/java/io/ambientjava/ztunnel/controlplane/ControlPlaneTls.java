package io.ambientjava.ztunnel.controlplane;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.TrustBundle;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * TLS to istiod: its certificate must chain to {@code roots} and name {@code serverIdentity} as its SPIFFE ID.
 *
 * <p>Upstream ztunnel verifies istiod by the DNS name {@code istiod.istio-system.svc}. istiod-lite's serving
 * certificate carries that name and its SPIFFE ID ({@code spiffe://<td>/ns/istio-system/sa/istiod}); this ztunnel
 * checks the SPIFFE ID, which does not depend on the address it was given for istiod.
 */
public record ControlPlaneTls(Supplier<TrustBundle> roots, SpiffeId serverIdentity) {

    /** @param roots asked at every handshake, so new connections trust a rotated root */
    public ControlPlaneTls {
        Objects.requireNonNull(roots, "roots");
        Objects.requireNonNull(serverIdentity, "serverIdentity");
    }

    public ControlPlaneTls(TrustBundle roots, SpiffeId serverIdentity) {
        this(fixed(roots), serverIdentity);
    }

    /** istiod of {@code trustDomain}, verified against {@code roots}. */
    public static ControlPlaneTls istiod(TrustBundle roots, String trustDomain) {
        return istiod(fixed(roots), trustDomain);
    }

    /** istiod of {@code trustDomain}, verified against the roots {@code roots} gives at each handshake. */
    public static ControlPlaneTls istiod(Supplier<TrustBundle> roots, String trustDomain) {
        return new ControlPlaneTls(roots, new SpiffeId(trustDomain, "istio-system", "istiod"));
    }

    private static Supplier<TrustBundle> fixed(TrustBundle roots) {
        Objects.requireNonNull(roots, "roots");
        return () -> roots;
    }
}
