package io.ambientjava.ztunnel.dns;

import java.net.InetAddress;
import java.util.concurrent.CompletableFuture;

/**
 * Finds the address of an endpoint known only by its DNS name (a ServiceEntry with {@code resolution: DNS}, a
 * WorkloadEntry whose address is a name), when a connection is about to go to it, as Istio's ztunnel does.
 */
public interface HostnameResolver extends AutoCloseable {

    /**
     * One address of {@code hostname}; successive calls take turns over all of them. Fails when the name has no
     * address or no resolver answered, with a message naming {@code hostname}.
     */
    CompletableFuture<InetAddress> resolve(String hostname);

    @Override
    void close();

    /** For a ztunnel with no upstream resolver: every name fails, saying so. */
    static HostnameResolver none(String why) {
        return new HostnameResolver() {
            @Override
            public CompletableFuture<InetAddress> resolve(String hostname) {
                return CompletableFuture.failedFuture(
                        new UnresolvedHostnameException("cannot resolve " + hostname + ": " + why));
            }

            @Override
            public void close() {}
        };
    }
}
