package io.ambientjava.ztunnel.dns;

import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Resolves names with Netty's DNS resolver against the node's upstream resolvers (tried in order; TCP when an
 * answer is truncated). Answers are cached for their TTL, a failure for a few seconds, so a busy ServiceEntry costs a
 * query per TTL rather than per connection. Names are taken as fully qualified: no search domains are appended.
 */
public final class UpstreamHostnameResolver implements HostnameResolver {

    /** How long "no such name" is remembered. */
    private static final int NEGATIVE_TTL_SECONDS = 5;

    private final DnsNameResolver resolver;
    private final ConcurrentHashMap<String, AtomicInteger> turns = new ConcurrentHashMap<>();

    /**
     * @param loop an epoll event loop the resolver's sockets live on (in the ztunnel's own network namespace)
     * @param upstreams the resolvers, in order; not empty
     */
    public UpstreamHostnameResolver(EventLoop loop, List<InetSocketAddress> upstreams, Duration queryTimeout) {
        if (upstreams.isEmpty()) {
            throw new IllegalArgumentException("no upstream resolver to resolve hostnames with");
        }
        this.resolver = new DnsNameResolverBuilder(loop)
                .datagramChannelType(EpollDatagramChannel.class)
                .socketChannelType(EpollSocketChannel.class)
                .nameServerProvider(new SequentialDnsServerAddressStreamProvider(upstreams))
                .resolvedAddressTypes(ResolvedAddressTypes.IPV4_PREFERRED)
                .searchDomains(List.of())
                .ndots(1)
                .negativeTtl(NEGATIVE_TTL_SECONDS)
                .queryTimeoutMillis(queryTimeout.toMillis())
                .build();
    }

    @Override
    public CompletableFuture<InetAddress> resolve(String hostname) {
        String name = hostname.toLowerCase(Locale.ROOT);
        CompletableFuture<InetAddress> result = new CompletableFuture<>();
        resolver.resolveAll(name).addListener(done -> {
            if (!done.isSuccess()) {
                Throwable cause = done.cause();
                result.completeExceptionally(new UnresolvedHostnameException(
                        "cannot resolve " + hostname + ": "
                                + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage()),
                        cause));
                return;
            }
            @SuppressWarnings("unchecked")
            List<InetAddress> addresses = (List<InetAddress>) done.getNow();
            if (addresses.isEmpty()) {
                result.completeExceptionally(new UnresolvedHostnameException(hostname + " has no address"));
                return;
            }
            int turn = turns.computeIfAbsent(name, n -> new AtomicInteger()).getAndIncrement();
            result.complete(addresses.get(Math.floorMod(turn, addresses.size())));
        });
        return result;
    }

    @Override
    public void close() {
        resolver.close();
    }
}
