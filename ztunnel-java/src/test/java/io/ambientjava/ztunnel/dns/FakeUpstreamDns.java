package io.ambientjava.ztunnel.dns;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A resolver outside the mesh, for tests: answers A queries for the names it knows, NXDOMAIN for the rest, over
 * UDP; records who asked what.
 */
final class FakeUpstreamDns implements AutoCloseable {
    /** One query seen: its sender and name. */
    record Seen(InetSocketAddress from, String name) {}

    private final DatagramSocket socket;
    private final Map<String, InetAddress> names;
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final Thread thread;

    FakeUpstreamDns(DatagramSocket socket, Map<String, InetAddress> names) {
        this.socket = socket;
        this.names = Map.copyOf(names);
        this.thread = Thread.ofPlatform().daemon().name("fake-upstream-dns").start(this::serve);
    }

    List<Seen> seen() {
        return List.copyOf(seen);
    }

    private void serve() {
        byte[] buffer = new byte[1500];
        while (!socket.isClosed()) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(packet);
                byte[] query = Arrays.copyOf(packet.getData(), packet.getLength());
                String name = DnsTestMessages.read(query).questionName();
                seen.add(new Seen((InetSocketAddress) packet.getSocketAddress(), name));
                InetAddress address = names.get(name);
                byte[] answer = address != null ? DnsTestMessages.answerA(query, address) : nxdomain(query);
                socket.send(new DatagramPacket(answer, answer.length, packet.getSocketAddress()));
            } catch (IOException | RuntimeException e) {
                // closed, or a query this fake cannot read
            }
        }
    }

    private static byte[] nxdomain(byte[] query) {
        byte[] answer = query.clone();
        answer[2] = (byte) 0x81; // QR, RD
        answer[3] = (byte) 0x83; // RA, NXDOMAIN
        return answer;
    }

    @Override
    public void close() throws InterruptedException {
        socket.close();
        thread.join(2_000);
    }
}
