package io.ambientjava.identity;

import java.security.cert.X509Certificate;
import java.util.List;

/** The root certificates a workload trusts for its peers. */
public record TrustBundle(List<X509Certificate> roots) {

    public TrustBundle {
        roots = List.copyOf(roots);
        if (roots.isEmpty()) {
            throw new IllegalArgumentException("trust bundle has no root certificate");
        }
    }
}
