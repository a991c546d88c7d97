package io.ambientjava.hbone.server;

import io.netty.handler.ssl.SslContext;
import java.util.Objects;
import java.util.function.Supplier;

/** How the HBONE server secures its connections. */
public sealed interface ServerSecurity {

    /**
     * Mutual TLS (the only mode a mesh uses). The supplier is asked once per accepted connection, so a rotated
     * certificate applies to new connections; the context must require a client certificate and offer ALPN h2.
     */
    record MutualTls(Supplier<SslContext> sslContext) implements ServerSecurity {
        public MutualTls {
            Objects.requireNonNull(sslContext, "sslContext");
        }
    }

    /** HTTP/2 over cleartext with prior knowledge, no peer identity: for tests and benchmarks only. */
    record Plaintext() implements ServerSecurity {}

    static ServerSecurity mutualTls(Supplier<SslContext> sslContext) {
        return new MutualTls(sslContext);
    }

    static ServerSecurity plaintext() {
        return new Plaintext();
    }
}
