package io.ambientjava.hbone.client;

import io.ambientjava.identity.SpiffeId;
import io.netty.handler.ssl.SslContext;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/** Who the client is and how it secures HBONE connections. */
public sealed interface ClientSecurity {

    /** The source identity, part of the pool key; empty for plaintext. */
    Optional<SpiffeId> identity();

    /**
     * Mutual TLS as {@code identity}. The supplier is asked for every new connection, so a rotated certificate
     * is used from then on; connections already open keep theirs.
     */
    record MutualTls(SpiffeId source, Supplier<SslContext> sslContext) implements ClientSecurity {
        public MutualTls {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(sslContext, "sslContext");
        }

        @Override
        public Optional<SpiffeId> identity() {
            return Optional.of(source);
        }
    }

    /** HTTP/2 over cleartext with prior knowledge: for tests and benchmarks only. */
    record Plaintext() implements ClientSecurity {
        @Override
        public Optional<SpiffeId> identity() {
            return Optional.empty();
        }
    }

    static ClientSecurity mutualTls(SpiffeId source, Supplier<SslContext> sslContext) {
        return new MutualTls(source, sslContext);
    }

    static ClientSecurity plaintext() {
        return new Plaintext();
    }
}
