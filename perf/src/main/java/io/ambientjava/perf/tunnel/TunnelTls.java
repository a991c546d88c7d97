package io.ambientjava.perf.tunnel;

import io.netty.handler.ssl.SslContext;
import java.util.Objects;

/** The two mTLS contexts of a tunnel: the entry side dials as a client, the exit side accepts as a server. */
public record TunnelTls(SslContext entryClient, SslContext exitServer) {

    public TunnelTls {
        Objects.requireNonNull(entryClient, "entryClient");
        Objects.requireNonNull(exitServer, "exitServer");
    }
}
