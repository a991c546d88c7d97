package io.ambientjava.ztunnel.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRecordEncoder;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * Reads the parts of a DNS query the proxy decides on (header and the one question) and writes its own answers;
 * names and records are encoded by Netty's DNS codec. Forwarded queries and their answers pass as they are.
 */
public final class DnsWire {
    static final int HEADER_LENGTH = 12;
    private static final int QR = 0x8000;
    private static final int OPCODE_MASK = 0x7800;
    private static final int RD = 0x0100;
    private static final int AA = 0x0400;
    private static final int RA = 0x0080;

    private DnsWire() {}

    /** What arrived. */
    public sealed interface Incoming {}

    /** A standard query with one question. */
    public record Query(int id, int flags, DnsQuestion question) implements Incoming {
        public String name() {
            return question.name();
        }

        public DnsRecordType type() {
            return question.type();
        }
    }

    /** A message with a header whose body cannot be read, or that asks something we do not serve. */
    public record Refused(int id, int flags, DnsResponseCode code, String reason) implements Incoming {}

    /** Not worth an answer: too short to have a header, or itself a response. */
    public record Dropped(String reason) implements Incoming {}

    /** Reads {@code message} without consuming or releasing it. */
    public static Incoming parse(ByteBuf message) {
        int start = message.readerIndex();
        if (message.readableBytes() < HEADER_LENGTH) {
            return new Dropped("message of " + message.readableBytes() + " bytes is shorter than a DNS header");
        }
        int id = message.getUnsignedShort(start);
        int flags = message.getUnsignedShort(start + 2);
        int questions = message.getUnsignedShort(start + 4);
        if ((flags & QR) != 0) {
            return new Dropped("a response, not a query");
        }
        if ((flags & OPCODE_MASK) != 0) {
            return new Refused(id, flags, DnsResponseCode.NOTIMP, "opcode " + ((flags & OPCODE_MASK) >> 11));
        }
        if (questions != 1) {
            return new Refused(id, flags, DnsResponseCode.FORMERR, questions + " questions");
        }
        ByteBuf body = message.duplicate().readerIndex(start + HEADER_LENGTH);
        try {
            DnsQuestion question = DnsRecordDecoder.DEFAULT.decodeQuestion(body);
            return new Query(id, flags, question);
        } catch (Exception e) {
            return new Refused(id, flags, DnsResponseCode.FORMERR, "unreadable question: " + e.getMessage());
        }
    }

    /** The id of a message, when it has a header. */
    public static Optional<Integer> id(ByteBuf message) {
        return message.readableBytes() < 2
                ? Optional.empty()
                : Optional.of(message.getUnsignedShort(message.readerIndex()));
    }

    /** An authoritative answer to {@code query} with {@code addresses} (none: no data). */
    public static ByteBuf answer(ByteBufAllocator alloc, Query query, List<InetAddress> addresses, int ttl) {
        ByteBuf out = alloc.buffer(HEADER_LENGTH + 64 + addresses.size() * 32);
        try {
            header(out, query.id(), query.flags(), DnsResponseCode.NOERROR, true, 1, addresses.size());
            DnsRecordEncoder.DEFAULT.encodeQuestion(query.question(), out);
            for (InetAddress address : addresses) {
                DnsRecordType type = address instanceof Inet4Address ? DnsRecordType.A : DnsRecordType.AAAA;
                DefaultDnsRawRecord record =
                        new DefaultDnsRawRecord(query.name(), type, ttl, Unpooled.wrappedBuffer(address.getAddress()));
                try {
                    DnsRecordEncoder.DEFAULT.encodeRecord(record, out);
                } finally {
                    record.release();
                }
            }
            return out;
        } catch (Exception e) {
            out.release();
            throw new IllegalStateException("cannot encode the answer for " + query.name() + ": " + e.getMessage(), e);
        }
    }

    /** An error answer (no question echoed: the question may be what was wrong). */
    public static ByteBuf error(ByteBufAllocator alloc, int id, int flags, DnsResponseCode code) {
        ByteBuf out = alloc.buffer(HEADER_LENGTH);
        header(out, id, flags, code, false, 0, 0);
        return out;
    }

    /** An error answer echoing the question (SERVFAIL when the upstreams failed). */
    public static ByteBuf error(ByteBufAllocator alloc, Query query, DnsResponseCode code) {
        ByteBuf out = alloc.buffer(HEADER_LENGTH + 64);
        try {
            header(out, query.id(), query.flags(), code, false, 1, 0);
            DnsRecordEncoder.DEFAULT.encodeQuestion(query.question(), out);
            return out;
        } catch (Exception e) {
            out.release();
            return error(alloc, query.id(), query.flags(), code);
        }
    }

    private static void header(
            ByteBuf out, int id, int queryFlags, DnsResponseCode code, boolean authoritative, int qd, int an) {
        int flags = QR | (queryFlags & RD) | RA | (code.intValue() & 0xf);
        if (authoritative) {
            flags |= AA;
        }
        out.writeShort(id);
        out.writeShort(flags);
        out.writeShort(qd);
        out.writeShort(an);
        out.writeShort(0);
        out.writeShort(0);
    }
}
