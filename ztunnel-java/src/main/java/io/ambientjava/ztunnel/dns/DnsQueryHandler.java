package io.ambientjava.ztunnel.dns;

import io.ambientjava.ztunnel.state.WorkloadStore;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One query in, one answer out (or none): A/AAAA for mesh names answered from the workload state, everything
 * else forwarded; malformed queries answered FORMERR (or dropped when they lack a header); a failed upstream
 * answered SERVFAIL. Never throws: whatever goes wrong becomes an answer or a drop.
 */
public final class DnsQueryHandler {
    private static final Logger log = LoggerFactory.getLogger(DnsQueryHandler.class);

    private final DnsSettings settings;
    private final WorkloadStore store;
    private final MeshNameResolver resolver;

    public DnsQueryHandler(DnsSettings settings, WorkloadStore store) {
        this.settings = settings;
        this.store = store;
        this.resolver = new MeshNameResolver(settings.clusterDomain());
    }

    /**
     * Answers {@code query} (not consumed) for a pod of {@code clientNamespace}; completes with the answer to
     * send (the caller sends and releases it), or with null when nothing should be sent.
     */
    public CompletableFuture<ByteBuf> handle(
            ByteBuf query, ByteBufAllocator alloc, Optional<String> clientNamespace, DnsForwarder forwarder) {
        DnsWire.Incoming incoming;
        try {
            incoming = DnsWire.parse(query);
        } catch (RuntimeException e) {
            log.debug("dropping an unreadable DNS message: {}", e.toString());
            return CompletableFuture.completedFuture(null);
        }
        return switch (incoming) {
            case DnsWire.Dropped dropped -> {
                log.debug("dropping DNS message: {}", dropped.reason());
                yield CompletableFuture.completedFuture(null);
            }
            case DnsWire.Refused refused -> {
                log.debug("refusing DNS query {}: {}", refused.id(), refused.reason());
                yield CompletableFuture.completedFuture(
                        DnsWire.error(alloc, refused.id(), refused.flags(), refused.code()));
            }
            case DnsWire.Query q -> answer(q, query, alloc, clientNamespace, forwarder);
        };
    }

    private CompletableFuture<ByteBuf> answer(
            DnsWire.Query query,
            ByteBuf raw,
            ByteBufAllocator alloc,
            Optional<String> clientNamespace,
            DnsForwarder forwarder) {
        Optional<MeshNameResolver.Family> family = family(query.type());
        if (family.isPresent()) {
            try {
                Optional<List<InetAddress>> mesh =
                        resolver.resolve(store.snapshot(), query.name(), family.get(), clientNamespace);
                if (mesh.isPresent()) {
                    log.debug("{} {} answered from the mesh: {}", query.type(), query.name(), mesh.get());
                    return CompletableFuture.completedFuture(
                            DnsWire.answer(alloc, query, mesh.get(), settings.ttlSeconds()));
                }
            } catch (RuntimeException e) {
                log.warn("answering {} {} failed: {}", query.type(), query.name(), e.toString());
                return CompletableFuture.completedFuture(DnsWire.error(alloc, query, DnsResponseCode.SERVFAIL));
            }
        }
        CompletableFuture<ByteBuf> forwarded;
        try {
            forwarded = forwarder.forward(raw);
        } catch (RuntimeException e) {
            forwarded = CompletableFuture.failedFuture(e);
        }
        return forwarded.exceptionally(failure -> {
            log.debug("forwarding {} {} failed: {}", query.type(), query.name(), failure.toString());
            return DnsWire.error(alloc, query, DnsResponseCode.SERVFAIL);
        });
    }

    private static Optional<MeshNameResolver.Family> family(DnsRecordType type) {
        if (type.equals(DnsRecordType.A)) {
            return Optional.of(MeshNameResolver.Family.IPV4);
        }
        if (type.equals(DnsRecordType.AAAA)) {
            return Optional.of(MeshNameResolver.Family.IPV6);
        }
        return Optional.empty();
    }
}
