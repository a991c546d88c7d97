package io.ambientjava.ztunnel.dns;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** DNS messages built and read by hand, independent of the codec under test. */
final class DnsTestMessages {
    static final int A = 1;
    static final int AAAA = 28;
    static final int MX = 15;

    private DnsTestMessages() {}

    static byte[] query(int id, String name, int type) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeShort(out, id);
        writeShort(out, 0x0100); // RD
        writeShort(out, 1);
        writeShort(out, 0);
        writeShort(out, 0);
        writeShort(out, 0);
        writeName(out, name);
        writeShort(out, type);
        writeShort(out, 1);
        return out.toByteArray();
    }

    /** An answer to {@code query} (from the question on) with one A record, as a fake upstream sends it. */
    static byte[] answerA(byte[] query, InetAddress address) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(query[0]);
        out.write(query[1]);
        writeShort(out, 0x8180); // QR, RD, RA
        writeShort(out, 1);
        writeShort(out, 1);
        writeShort(out, 0);
        writeShort(out, 0);
        out.write(query, 12, questionEnd(query) - 12);
        writeShort(out, 0xC00C); // pointer to the question's name
        writeShort(out, A);
        writeShort(out, 1);
        writeShort(out, 0);
        writeShort(out, 60);
        writeShort(out, 4);
        out.writeBytes(address.getAddress());
        return out.toByteArray();
    }

    /** What an answer says. */
    record Answer(int id, int flags, int rcode, String questionName, List<InetAddress> addresses) {}

    static Answer read(byte[] message) {
        ByteBuffer in = ByteBuffer.wrap(message);
        int id = Short.toUnsignedInt(in.getShort());
        int flags = Short.toUnsignedInt(in.getShort());
        int questions = Short.toUnsignedInt(in.getShort());
        int answers = Short.toUnsignedInt(in.getShort());
        in.getShort();
        in.getShort();
        String name = "";
        for (int i = 0; i < questions; i++) {
            name = readName(in, message);
            in.getShort();
            in.getShort();
        }
        List<InetAddress> addresses = new ArrayList<>();
        for (int i = 0; i < answers; i++) {
            readName(in, message);
            int type = Short.toUnsignedInt(in.getShort());
            in.getShort();
            in.getInt();
            int length = Short.toUnsignedInt(in.getShort());
            byte[] data = new byte[length];
            in.get(data);
            if (type == A || type == AAAA) {
                try {
                    addresses.add(InetAddress.getByAddress(data));
                } catch (java.net.UnknownHostException e) {
                    throw new IllegalArgumentException(e);
                }
            }
        }
        return new Answer(id, flags, flags & 0xf, name, addresses);
    }

    private static int questionEnd(byte[] query) {
        int at = 12;
        while (query[at] != 0) {
            at += (query[at] & 0xff) + 1;
        }
        return at + 1 + 4;
    }

    private static String readName(ByteBuffer in, byte[] message) {
        StringBuilder name = new StringBuilder();
        int position = -1;
        while (true) {
            int length = Byte.toUnsignedInt(in.get());
            if (length == 0) {
                break;
            }
            if ((length & 0xC0) == 0xC0) {
                int pointer = ((length & 0x3f) << 8) | Byte.toUnsignedInt(in.get());
                if (position < 0) {
                    position = in.position();
                }
                in.position(pointer);
                continue;
            }
            byte[] label = new byte[length];
            in.get(label);
            name.append(new String(label, StandardCharsets.US_ASCII)).append('.');
        }
        if (position >= 0) {
            in.position(position);
        }
        return name.toString();
    }

    private static void writeName(ByteArrayOutputStream out, String name) {
        for (String label : name.split("\\.")) {
            if (label.isEmpty()) {
                continue;
            }
            byte[] bytes = label.getBytes(StandardCharsets.US_ASCII);
            out.write(bytes.length);
            out.writeBytes(bytes);
        }
        out.write(0);
    }

    private static void writeShort(ByteArrayOutputStream out, int value) {
        out.write((value >> 8) & 0xff);
        out.write(value & 0xff);
    }
}
