package io.ambientjava.waypoint.upstream;

import io.ambientjava.hbone.NettyTransport;
import io.ambientjava.waypoint.config.ClusterConfig;
import io.ambientjava.waypoint.config.DnsDiscovery;
import io.ambientjava.waypoint.config.EndpointConfig;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.NoopAuthoritativeDnsServerCache;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.resolver.dns.NoopDnsCnameCache;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves the names of the STRICT_DNS and LOGICAL_DNS clusters of the current config into their endpoints, as Envoy
 * does: every name of a cluster on its own timer, again every {@code dns_refresh_rate} (or when the answer's TTL runs
 * out, with {@code respect_dns_ttl}). STRICT_DNS makes every address an endpoint, LOGICAL_DNS the first one. A name
 * that fails to resolve keeps its last good addresses; before its first answer it contributes none. An IP literal is
 * an endpoint as it is, without a query.
 *
 * <p>Queries go to the given upstream servers in order (TCP when an answer is truncated), with no search domain
 * (the names are fully qualified), no hosts file and no cache: every refresh asks. The resolver and its one event
 * loop thread are made when the first name needs them. A cluster whose endpoints changed is announced to
 * {@link #onChange}'s listener, which reads {@link #endpoints()}; clusters that are no longer configured (or no
 * longer DNS clusters) stop resolving at {@link #retain}.
 */
public final class DnsClusters implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DnsClusters.class);

    /** How long one query waits for its answer (per upstream tried). */
    public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(5);

    private static final Comparator<InetAddress> BY_ADDRESS = Comparator.comparingInt(
                    (InetAddress a) -> a.getAddress().length)
            .thenComparing(InetAddress::getAddress, Arrays::compareUnsigned);

    private final List<InetSocketAddress> upstreams;
    private final Duration queryTimeout;
    private final AtomicLong queries = new AtomicLong();
    private volatile Runnable onChange = () -> {};

    // guarded by this
    private final Map<String, ClusterResolution> clusters = new HashMap<>();
    private EventLoopGroup group;
    private EventLoop loop;
    private DnsNameResolver resolver;
    private boolean closed;

    /** @param upstreams the DNS servers, tried in order; empty: names are never resolved (and say so once) */
    public DnsClusters(List<InetSocketAddress> upstreams) {
        this(upstreams, DEFAULT_QUERY_TIMEOUT);
    }

    public DnsClusters(List<InetSocketAddress> upstreams, Duration queryTimeout) {
        this.upstreams = List.copyOf(upstreams);
        this.queryTimeout = Objects.requireNonNull(queryTimeout, "queryTimeout");
        for (InetSocketAddress upstream : this.upstreams) {
            if (upstream.isUnresolved()) {
                throw new IllegalArgumentException("DNS upstream " + upstream + " is not an address");
            }
        }
    }

    /** Without a DNS server: only IP literals become endpoints; every name is logged as unresolvable. */
    public static DnsClusters withoutUpstreams() {
        return new DnsClusters(List.of());
    }

    public List<InetSocketAddress> upstreams() {
        return upstreams;
    }

    /** Who hears that a cluster's endpoints changed (called off the caller's thread, without a lock held). */
    public void onChange(Runnable listener) {
        this.onChange = Objects.requireNonNull(listener, "listener");
    }

    /**
     * Starts resolving the DNS clusters among {@code configured} that are new or whose names or DNS settings changed
     * (keeping, for a changed one, the addresses its names had), and stops the ones no longer there. An unchanged
     * cluster goes on as it was, its endpoints and timers untouched.
     */
    public synchronized void retain(Map<String, ClusterConfig> configured) {
        if (closed) {
            return;
        }
        for (Map.Entry<String, ClusterConfig> e : configured.entrySet()) {
            Optional<DnsDiscovery> dns = e.getValue().dns();
            if (dns.isEmpty()) {
                continue;
            }
            ClusterResolution current = clusters.get(e.getKey());
            if (current != null && current.discovery.equals(dns.get())) {
                continue;
            }
            ClusterResolution next = new ClusterResolution(e.getKey(), dns.get(), current);
            if (current != null) {
                current.stop();
            }
            clusters.put(e.getKey(), next);
            next.start();
        }
        clusters.entrySet().removeIf(e -> {
            ClusterConfig still = configured.get(e.getKey());
            if (still != null && still.dns().isPresent()) {
                return false;
            }
            e.getValue().stop();
            log.info("DNS cluster {} is gone: its names are no longer resolved", e.getKey());
            return true;
        });
    }

    /** The current endpoints of every DNS cluster being resolved (empty lists for those with none yet). */
    public synchronized Map<String, List<EndpointConfig>> endpoints() {
        Map<String, List<EndpointConfig>> out = new HashMap<>();
        clusters.forEach((name, c) -> out.put(name, c.endpoints));
        return out;
    }

    /** The DNS clusters being resolved. */
    public synchronized Set<String> clusters() {
        return Set.copyOf(clusters.keySet());
    }

    /** DNS queries sent so far (an A and an AAAA query count as two). */
    public long queriesSent() {
        return queries.get();
    }

    /** Stops every timer and the resolver. Not from the resolver's own thread. */
    @Override
    public void close() {
        EventLoopGroup stoppedGroup;
        DnsNameResolver stoppedResolver;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            clusters.values().forEach(ClusterResolution::stop);
            clusters.clear();
            stoppedGroup = group;
            stoppedResolver = resolver;
            group = null;
            loop = null;
            resolver = null;
        }
        if (stoppedResolver != null) {
            stoppedResolver.close();
        }
        if (stoppedGroup != null) {
            stoppedGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** The resolver's loop, the resolver made on first use. Under the lock. */
    private EventLoop resolverLoop() {
        if (resolver == null) {
            group = NettyTransport.newEventLoopGroup(1, "waypoint-dns");
            loop = group.next();
            resolver = new DnsNameResolverBuilder(loop)
                    .datagramChannelType(
                            NettyTransport.isEpoll(group) ? EpollDatagramChannel.class : NioDatagramChannel.class)
                    .socketChannelType(NettyTransport.socketChannelClass(group))
                    .nameServerProvider(new SequentialDnsServerAddressStreamProvider(upstreams))
                    .searchDomains(List.of())
                    .ndots(1)
                    .resolveCache(NoopDnsCache.INSTANCE)
                    .cnameCache(NoopDnsCnameCache.INSTANCE)
                    .authoritativeDnsServerCache(NoopAuthoritativeDnsServerCache.INSTANCE)
                    .hostsFileEntriesResolver((name, types) -> null)
                    .queryTimeoutMillis(Math.max(1, queryTimeout.toMillis()))
                    .recursionDesired(true)
                    .build();
            log.info("DNS clusters resolve with {}", upstreams);
        }
        return loop;
    }

    /** What one lookup found: addresses and their smallest TTL, or why there are none. */
    private record Answer(List<InetAddress> addresses, long ttlSeconds, String problem) {
        boolean found() {
            return !addresses.isEmpty();
        }

        static Answer none(String problem) {
            return new Answer(List.of(), 0, problem);
        }

        /** Both families' answers together (for {@code ALL}). */
        Answer and(Answer other) {
            if (!found()) {
                return other.found() ? other : none(problem + "; " + other.problem);
            }
            if (!other.found()) {
                return this;
            }
            List<InetAddress> all = new ArrayList<>(addresses);
            all.addAll(other.addresses);
            return new Answer(List.copyOf(all), minTtl(ttlSeconds, other.ttlSeconds), "");
        }

        private static long minTtl(long a, long b) {
            return a == 0 ? b : b == 0 ? a : Math.min(a, b);
        }
    }

    private CompletableFuture<Answer> lookup(DnsNameResolver r, String host, DnsDiscovery.LookupFamily family) {
        return switch (family) {
            case V4_ONLY -> query(r, host, DnsRecordType.A);
            case V6_ONLY -> query(r, host, DnsRecordType.AAAA);
            case V4_PREFERRED ->
                query(r, host, DnsRecordType.A)
                        .thenCompose(a -> a.found()
                                ? CompletableFuture.completedFuture(a)
                                : query(r, host, DnsRecordType.AAAA).thenApply(a::and));
            case AUTO ->
                query(r, host, DnsRecordType.AAAA)
                        .thenCompose(a -> a.found()
                                ? CompletableFuture.completedFuture(a)
                                : query(r, host, DnsRecordType.A).thenApply(a::and));
            case ALL -> query(r, host, DnsRecordType.A).thenCombine(query(r, host, DnsRecordType.AAAA), Answer::and);
        };
    }

    /** One question; never fails: a failure is an answer without addresses. */
    private CompletableFuture<Answer> query(DnsNameResolver r, String host, DnsRecordType type) {
        CompletableFuture<Answer> out = new CompletableFuture<>();
        queries.incrementAndGet();
        Future<List<DnsRecord>> answer;
        try {
            answer = r.resolveAll(new DefaultDnsQuestion(host, type));
        } catch (RuntimeException e) {
            out.complete(Answer.none(type.name() + ": " + describe(e)));
            return out;
        }
        answer.addListener(done -> {
            if (!answer.isSuccess()) {
                out.complete(Answer.none(type.name() + ": " + describe(answer.cause())));
                return;
            }
            List<DnsRecord> records = answer.getNow();
            List<InetAddress> addresses = new ArrayList<>();
            long ttl = Long.MAX_VALUE;
            try {
                for (DnsRecord record : records) {
                    if (record.type().equals(type) && record instanceof DnsRawRecord raw) {
                        ByteBuf content = raw.content();
                        byte[] bytes = new byte[content.readableBytes()];
                        content.getBytes(content.readerIndex(), bytes);
                        if (bytes.length == (type.equals(DnsRecordType.A) ? 4 : 16)) {
                            addresses.add(InetAddress.getByAddress(host, bytes));
                            ttl = Math.min(ttl, record.timeToLive());
                        }
                    }
                }
            } catch (UnknownHostException e) {
                // not reached: the length was checked
            } finally {
                records.forEach(ReferenceCountUtil::release);
            }
            out.complete(
                    addresses.isEmpty()
                            ? Answer.none(type.name() + ": no " + type.name() + " record")
                            : new Answer(List.copyOf(addresses), ttl, ""));
        });
        return out;
    }

    /** The failure and its first cause (Netty's "Failed to resolve" holds the why, a timeout say, as its cause). */
    private static String describe(Throwable e) {
        String text = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        Throwable cause = e.getCause();
        if (cause != null && cause != e) {
            text += ": " + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
        }
        return text;
    }

    /** One DNS cluster: its names, their last good addresses, the endpoints made of them. Guarded by the outer lock. */
    private final class ClusterResolution {
        final String name;
        final DnsDiscovery discovery;
        final List<TargetResolution> targets = new ArrayList<>();
        List<EndpointConfig> endpoints;
        boolean stopped;

        ClusterResolution(String name, DnsDiscovery discovery, ClusterResolution previous) {
            this.name = name;
            this.discovery = discovery;
            for (DnsDiscovery.Target t : discovery.targets()) {
                targets.add(new TargetResolution(
                        this, t, previous == null ? List.of() : previous.lastGood(t.host(), discovery)));
            }
            this.endpoints = compute();
        }

        /** What {@code host} resolved to here, if it still fits {@code next}'s lookup family. */
        List<InetAddress> lastGood(String host, DnsDiscovery next) {
            if (next.lookupFamily() != discovery.lookupFamily() || next.logical() != discovery.logical()) {
                return List.of();
            }
            for (TargetResolution t : targets) {
                if (t.target.host().equals(host)) {
                    return t.addresses;
                }
            }
            return List.of();
        }

        void start() {
            targets.forEach(TargetResolution::start);
        }

        void stop() {
            stopped = true;
            targets.forEach(TargetResolution::cancel);
        }

        List<EndpointConfig> compute() {
            List<EndpointConfig> out = new ArrayList<>();
            for (TargetResolution t : targets) {
                List<InetAddress> addresses =
                        discovery.logical() && !t.addresses.isEmpty() ? t.addresses.subList(0, 1) : t.addresses;
                for (InetAddress a : addresses) {
                    out.add(t.target.at(a));
                }
            }
            return List.copyOf(out);
        }

        /** @return whether the endpoints changed */
        boolean recompute() {
            List<EndpointConfig> next = compute();
            if (next.equals(endpoints)) {
                return false;
            }
            endpoints = next;
            return true;
        }
    }

    private enum State {
        PENDING,
        RESOLVED,
        FAILING
    }

    /** One name of a cluster on its own timer. Guarded by the outer lock; queries run on the resolver's loop. */
    private final class TargetResolution {
        final ClusterResolution cluster;
        final DnsDiscovery.Target target;
        List<InetAddress> addresses;
        State state = State.PENDING;
        ScheduledFuture<?> timer;

        TargetResolution(ClusterResolution cluster, DnsDiscovery.Target target, List<InetAddress> seeded) {
            this.cluster = cluster;
            this.target = target;
            Optional<InetAddress> literal = target.literal();
            this.addresses = literal.map(List::of).orElse(seeded);
            if (literal.isPresent()) {
                state = State.RESOLVED;
            }
        }

        void start() {
            if (state == State.RESOLVED && target.literal().isPresent()) {
                return; // an IP: nothing to resolve
            }
            if (upstreams.isEmpty()) {
                state = State.FAILING;
                log.warn(
                        "DNS cluster {}: {} cannot be resolved: no DNS upstream (no --dns-upstream given and no"
                                + " nameserver in /etc/resolv.conf); it gives the cluster no endpoint",
                        cluster.name,
                        target.host());
                return;
            }
            resolverLoop().execute(this::resolve);
        }

        void cancel() {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
        }

        /** On the resolver's loop. */
        void resolve() {
            DnsNameResolver r;
            synchronized (DnsClusters.this) {
                if (cluster.stopped || closed) {
                    return;
                }
                timer = null;
                r = resolver;
            }
            lookup(r, target.host(), cluster.discovery.lookupFamily())
                    .thenAccept(this::answered)
                    .exceptionally(e -> {
                        log.error("DNS cluster {}: resolving {} failed", cluster.name, target.host(), e);
                        return null;
                    });
        }

        private void answered(Answer answer) {
            boolean changed = false;
            synchronized (DnsClusters.this) {
                if (cluster.stopped || closed) {
                    return;
                }
                DnsDiscovery discovery = cluster.discovery;
                Duration next = discovery.refreshRate();
                try {
                    if (answer.found()) {
                        changed = found(answer.addresses());
                        if (discovery.respectTtl() && answer.ttlSeconds() > 0) {
                            next = Duration.ofSeconds(answer.ttlSeconds());
                        }
                    } else if (state != State.FAILING) {
                        log.warn(
                                "DNS cluster {}: cannot resolve {} ({}); {}",
                                cluster.name,
                                target.host(),
                                answer.problem(),
                                addresses.isEmpty()
                                        ? "it has no address yet"
                                        : "keeping its last addresses " + text(addresses));
                        state = State.FAILING;
                    }
                } finally {
                    timer = loop.schedule(this::resolve, next.toNanos(), TimeUnit.NANOSECONDS);
                }
            }
            if (changed) {
                try {
                    onChange.run();
                } catch (RuntimeException e) {
                    log.error("DNS cluster {}: applying its new endpoints failed", cluster.name, e);
                }
            }
        }

        /** @return whether the cluster's endpoints changed */
        private boolean found(List<InetAddress> answer) {
            List<InetAddress> got = cluster.discovery.logical()
                    ? answer
                    : answer.stream().sorted(BY_ADDRESS).distinct().toList();
            if (state != State.RESOLVED) {
                log.info(
                        "DNS cluster {}: {} {} {}",
                        cluster.name,
                        target.host(),
                        state == State.FAILING ? "resolves again, to" : "resolves to",
                        text(got));
            } else if (!got.equals(addresses)) {
                log.info("DNS cluster {}: {} now resolves to {}", cluster.name, target.host(), text(got));
            }
            state = State.RESOLVED;
            addresses = got;
            return cluster.recompute();
        }
    }

    private static String text(List<InetAddress> addresses) {
        return addresses.stream().map(InetAddress::getHostAddress).toList().toString();
    }
}
