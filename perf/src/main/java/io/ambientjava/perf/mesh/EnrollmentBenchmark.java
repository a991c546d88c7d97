package io.ambientjava.perf.mesh;

import io.ambientjava.cni.redirect.PodRedirector;
import io.ambientjava.testing.netns.NetnsTopology;
import io.ambientjava.testing.netns.Node;
import io.ambientjava.testing.netns.Pod;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What enrolling a pod costs in one redirection mode.
 *
 * <ul>
 *   <li>Enroll to first redirected byte: a fresh pod with a listener on 15001 (standing in for ztunnel), then
 *       the redirector's apply, then a connect from the pod to its gateway's port 9 and one byte written; the
 *       clock stops when the listener has read that byte. Also the apply alone.
 *   <li>The N-th pod's enroll: N-1 bare network namespaces enrolled one after the other, then the N-th; every
 *       enroll is timed, so the first ones (nothing enrolled) compare with the last ones (N-1 enrolled).
 *       Bounded by the plan's budget.
 * </ul>
 */
final class EnrollmentBenchmark {
    private static final int OUTBOUND_PORT = 15001;
    private static final int DISCARD_PORT = 9;
    private static final int ACCEPT_TIMEOUT_MILLIS = 5_000;

    private final EnrollmentPlan plan;
    private final PrintStream progress;

    EnrollmentBenchmark(EnrollmentPlan plan, PrintStream progress) {
        this.plan = plan;
        this.progress = progress;
    }

    EnrollmentResult measure(NodeRedirection redirection) throws Exception {
        PodRedirector redirector = redirection.redirector();
        List<Long> apply = new ArrayList<>();
        List<Long> firstByte = new ArrayList<>();
        try (NetnsTopology net = NetnsTopology.singleNode()) {
            Node node = net.node(1);
            for (int i = 0; i < plan.samples(); i++) {
                Pod pod = node.addPod("enroll-" + i);
                long[] took = enrollAndConnect(redirector, pod, node);
                apply.add(took[0]);
                firstByte.add(took[1]);
                redirector.remove(pod.netnsPath());
            }
        }
        progress.println("mesh: enrollment " + redirection.mode().label() + ": " + plan.scalePods()
                + " pods for the N-th enroll ...");
        List<Long> scale = new ArrayList<>();
        try (BareNetnsSet pods = BareNetnsSet.create(redirection.mode().label(), plan.scalePods())) {
            long deadline = System.nanoTime() + plan.scaleBudget().toNanos();
            // Not removed one by one: nftables rules go with the namespaces, the eBPF map entries and links with
            // the redirection's uninstall (the caller's close).
            for (Path netns : pods.paths()) {
                long from = System.nanoTime();
                redirector.apply(netns);
                long to = System.nanoTime();
                scale.add(to - from);
                if (to > deadline) {
                    break;
                }
            }
        }
        return new EnrollmentResult(
                redirection.mode(),
                apply,
                firstByte,
                plan.scalePods(),
                scale,
                scale.stream().mapToLong(Long::longValue).sum() / 1e9);
    }

    /** [apply nanos, apply start to byte read nanos]. */
    private static long[] enrollAndConnect(PodRedirector redirector, Pod pod, Node node) throws Exception {
        try (ServerSocketChannel listener =
                pod.call(() -> ServerSocketChannel.open().bind(new InetSocketAddress("0.0.0.0", OUTBOUND_PORT)))) {
            long from = System.nanoTime();
            redirector.apply(pod.netnsPath());
            long applied = System.nanoTime();
            try (SocketChannel app = pod.call(SocketChannel::open)) {
                app.connect(new InetSocketAddress(node.gateway(), DISCARD_PORT));
                app.write(ByteBuffer.wrap(new byte[] {1}));
                try (SocketChannel accepted = accept(listener)) {
                    accepted.socket().setSoTimeout(ACCEPT_TIMEOUT_MILLIS);
                    if (accepted.socket().getInputStream().read() < 0) {
                        throw new IOException("redirected connection in " + pod + " closed before its byte");
                    }
                    return new long[] {applied - from, System.nanoTime() - from};
                }
            }
        }
    }

    private static SocketChannel accept(ServerSocketChannel listener) throws IOException {
        listener.socket().setSoTimeout(ACCEPT_TIMEOUT_MILLIS);
        try {
            return listener.socket().accept().getChannel();
        } catch (SocketTimeoutException e) {
            throw new IOException(
                    "no redirected connection reached the 15001 listener within " + ACCEPT_TIMEOUT_MILLIS + " ms", e);
        }
    }
}
