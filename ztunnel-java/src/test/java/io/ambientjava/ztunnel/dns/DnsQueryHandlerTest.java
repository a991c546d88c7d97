package io.ambientjava.ztunnel.dns;

import static io.ambientjava.ztunnel.dns.DnsTestMessages.A;
import static io.ambientjava.ztunnel.dns.DnsTestMessages.AAAA;
import static io.ambientjava.ztunnel.dns.DnsTestMessages.MX;
import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.state.WorkloadStore;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class DnsQueryHandlerTest {
    private static final InetAddress VIP = InetAddress.ofLiteral("198.19.0.10");
    private static final InetAddress OUTSIDE = InetAddress.ofLiteral("198.18.200.1");

    private final WorkloadStore store = new WorkloadStore();
    private final DnsQueryHandler handler = new DnsQueryHandler(DnsSettings.enabled(List.of()), store);
    private final List<byte[]> forwarded = new CopyOnWriteArrayList<>();
    private final DnsForwarder upstream = query -> {
        byte[] bytes = ByteBufUtil.getBytes(query);
        forwarded.add(bytes);
        return CompletableFuture.completedFuture(Unpooled.wrappedBuffer(DnsTestMessages.answerA(bytes, OUTSIDE)));
    };

    DnsQueryHandlerTest() {
        store.upsert(Service.builder("bookinfo", "reviews.bookinfo.svc.cluster.local")
                .name("reviews")
                .vips("/198.19.0.10")
                .build());
    }

    private byte[] ask(byte[] query, DnsForwarder forwarder) {
        ByteBuf in = Unpooled.wrappedBuffer(query);
        ByteBuf out = handler.handle(in, UnpooledByteBufAllocator.DEFAULT, Optional.of("bookinfo"), forwarder)
                .join();
        assertThat(in.refCnt()).as("the query stays the caller's").isEqualTo(1);
        if (out == null) {
            return null;
        }
        try {
            return ByteBufUtil.getBytes(out);
        } finally {
            out.release();
        }
    }

    @Test
    void meshNamesAreAnsweredWithTheVipAuthoritatively() {
        DnsTestMessages.Answer answer =
                DnsTestMessages.read(ask(DnsTestMessages.query(0x1234, "reviews", A), upstream));
        assertThat(answer.id()).isEqualTo(0x1234);
        assertThat(answer.rcode()).isZero();
        assertThat(answer.flags() & 0x8000).as("QR").isNotZero();
        assertThat(answer.flags() & 0x0400).as("AA").isNotZero();
        assertThat(answer.flags() & 0x0100).as("RD copied").isNotZero();
        assertThat(answer.questionName()).isEqualTo("reviews.");
        assertThat(answer.addresses()).containsExactly(VIP);
        assertThat(forwarded).isEmpty();

        DnsTestMessages.Answer noData = DnsTestMessages.read(
                ask(DnsTestMessages.query(7, "reviews.bookinfo.svc.cluster.local", AAAA), upstream));
        assertThat(noData.rcode()).isZero();
        assertThat(noData.addresses()).isEmpty();
        assertThat(forwarded).isEmpty();
    }

    @Test
    void otherNamesAndOtherTypesAreForwardedAndTheUpstreamAnswerPassesUnchanged() {
        byte[] query = DnsTestMessages.query(0x4321, "www.example.org", A);
        byte[] answer = ask(query, upstream);
        assertThat(forwarded).singleElement().isEqualTo(query);
        assertThat(DnsTestMessages.read(answer).addresses()).containsExactly(OUTSIDE);
        assertThat(DnsTestMessages.read(answer).id()).isEqualTo(0x4321);

        ask(DnsTestMessages.query(9, "reviews.bookinfo.svc.cluster.local", MX), upstream);
        assertThat(forwarded).hasSize(2);
    }

    @Test
    void aFailedUpstreamIsServfail() {
        DnsForwarder broken = query -> CompletableFuture.failedFuture(new IllegalStateException("no upstream"));
        DnsTestMessages.Answer answer =
                DnsTestMessages.read(ask(DnsTestMessages.query(5, "www.example.org", A), broken));
        assertThat(answer.rcode()).isEqualTo(2);
        assertThat(answer.id()).isEqualTo(5);
        DnsForwarder throwing = query -> {
            throw new IllegalStateException("boom");
        };
        assertThat(DnsTestMessages.read(ask(DnsTestMessages.query(6, "www.example.org", A), throwing))
                        .rcode())
                .isEqualTo(2);
    }

    @Test
    void badQueriesAreFormerrOrDroppedNeverThrown() {
        assertThat(ask(new byte[] {1, 2, 3}, upstream))
                .as("shorter than a header")
                .isNull();
        byte[] response = DnsTestMessages.query(3, "reviews", A);
        response[2] |= (byte) 0x80;
        assertThat(ask(response, upstream)).as("a response is never answered").isNull();

        byte[] truncated = DnsTestMessages.query(0x0a0b, "reviews.bookinfo", A);
        byte[] cut = java.util.Arrays.copyOf(truncated, 16);
        DnsTestMessages.Answer formerr = DnsTestMessages.read(ask(cut, upstream));
        assertThat(formerr.id()).isEqualTo(0x0a0b);
        assertThat(formerr.rcode()).isEqualTo(1);

        byte[] twoQuestions = DnsTestMessages.query(4, "reviews", A);
        twoQuestions[5] = 2;
        assertThat(DnsTestMessages.read(ask(twoQuestions, upstream)).rcode()).isEqualTo(1);

        byte[] update = DnsTestMessages.query(8, "reviews", A);
        update[2] = (byte) (5 << 3); // opcode UPDATE
        assertThat(DnsTestMessages.read(ask(update, upstream)).rcode()).isEqualTo(4);
        assertThat(forwarded).isEmpty();
    }

    @Test
    void randomBytesNeverBreakTheHandler() {
        Random random = new Random(42);
        for (int i = 0; i < 2_000; i++) {
            byte[] junk = new byte[random.nextInt(64)];
            random.nextBytes(junk);
            if (junk.length > 2) {
                junk[2] &= 0x07; // a query with opcode 0 now and then, so the question parser sees junk too
            }
            byte[] answer = ask(junk, upstream);
            if (answer != null) {
                assertThat(answer.length).isGreaterThanOrEqualTo(12);
            }
        }
    }
}
