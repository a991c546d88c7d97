package io.ambientjava.ztunnel.dns;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A resolver outside the mesh, for tests: answers A queries for the names it knows, NXDOMAIN for the rest, over UDP
 * and (when given a server socket) TCP; records who asked what, and how.
 */
final class FakeUpstreamDns implements AutoCloseable {
    /** One query seen: its sender, name and transport. */
    record Seen(InetSocketAddress from, String name, boolean tcp) {}

    private final DatagramSocket socket;
    private final Map<String, InetAddress> names;
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private final ServerSocket tcpSocket;
    private final Thread tcpThread;

    FakeUpstreamDns(DatagramSocket socket, ServerSocket tcpSocket, Map<String, InetAddress> names) {
        this.socket = socket;
        this.tcpSocket = tcpSocket;
        this.names = Map.copyOf(names);
        this.thread = Thread.ofPlatform().daemon().name("fake-upstream-dns").start(this::serve);
        this.tcpThread =
                Thread.ofPlatform().daemon().name("fake-upstream-dns-tcp").start(this::serveTcp);
    }

    private void serveTcp() {
        while (!tcpSocket.isClosed()) {
            try (Socket connection = tcpSocket.accept()) {
                connection.setSoTimeout(5_000);
                DataInputStream in = new DataInputStream(connection.getInputStream());
                byte[] query = new byte[in.readUnsignedShort()];
                in.readFully(query);
                byte[] answer = answer(query, (InetSocketAddress) connection.getRemoteSocketAddress(), true);
                DataOutputStream out = new DataOutputStream(connection.getOutputStream());
                out.writeShort(answer.length);
                out.write(answer);
                out.flush();
            } catch (IOException | RuntimeException e) {
                // closed, or a query this fake cannot read
            }
        }
    }

    private byte[] answer(byte[] query, InetSocketAddress from, boolean tcp) {
        String name = DnsTestMessages.read(query).questionName();
        seen.add(new Seen(from, name, tcp));
        InetAddress address = names.get(name);
        return address != null ? DnsTestMessages.answerA(query, address) : nxdomain(query);
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
                byte[] answer = answer(query, (InetSocketAddress) packet.getSocketAddress(), false);
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
    public void close() throws InterruptedException, IOException {
        socket.close();
        tcpSocket.close();
        thread.join(2_000);
        tcpThread.join(2_000);
    }
}
