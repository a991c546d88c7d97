package io.ambientjava.ztunnel.controlplane;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.TrustBundle;
import java.util.Objects;

/**
 * TLS to istiod: its certificate must chain to {@code roots} and name {@code serverIdentity} as its SPIFFE ID.
 *
 * <p>Upstream ztunnel verifies istiod by the DNS name {@code istiod.istio-system.svc}. istiod-lite's serving
 * certificate carries that name and its SPIFFE ID ({@code spiffe://<td>/ns/istio-system/sa/istiod}); this ztunnel
 * checks the SPIFFE ID, which does not depend on the address it was given for istiod.
 */
public record ControlPlaneTls(TrustBundle roots, SpiffeId serverIdentity) {

    public ControlPlaneTls {
        Objects.requireNonNull(roots, "roots");
        Objects.requireNonNull(serverIdentity, "serverIdentity");
    }

    /** istiod of {@code trustDomain}, verified against {@code roots}. */
    public static ControlPlaneTls istiod(TrustBundle roots, String trustDomain) {
        return new ControlPlaneTls(roots, new SpiffeId(trustDomain, "istio-system", "istiod"));
    }
}
