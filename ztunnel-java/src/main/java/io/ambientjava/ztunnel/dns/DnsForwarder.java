package io.ambientjava.ztunnel.dns;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/** Sends a query to the upstream resolvers and brings back their answer, as it came. */
@FunctionalInterface
public interface DnsForwarder {
    /**
     * Forwards {@code query} (not consumed; the forwarder takes its own reference if it needs one). The future
     * completes with the upstream's answer (the caller releases it), or fails when no upstream answered.
     */
    CompletableFuture<ByteBuf> forward(ByteBuf query);
}
