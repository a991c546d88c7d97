package io.ambientjava.waypoint.testsupport;

import io.ambientjava.waypoint.proxy.DownstreamListener;
import io.ambientjava.waypoint.xds.AdsClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.function.Predicate;

/**
 * The ingress gateway {@code default/edge} from the user's YAML: the real istiod-lite on a config folder, the
 * gateway's ADS client applying what it accepts to a {@link TestBed}, and a loopback listener for one of its
 * ports. Closing stops the listener, istiod-lite and the bed.
 */
public final class EdgeGateway implements AutoCloseable {

    public final IstiodLite istiodLite;
    public final TestBed bed;
    private DownstreamListener listener;

    private EdgeGateway(IstiodLite istiodLite, TestBed bed) {
        this.istiodLite = istiodLite;
        this.bed = bed;
    }

    /**
     * Starts once {@code ready} holds for the applied config (failing on a NACK), with a listener for the config's
     * {@code 0.0.0.0:<port>}.
     */
    public static EdgeGateway start(Path folder, int port, Predicate<TestBed> ready) {
        EdgeGateway gateway = new EdgeGateway(IstiodLite.start(folder), new TestBed());
        try {
            AdsClient client = gateway.istiodLite.subscribe(IstiodLite.EDGE_GATEWAY, gateway.bed.runtime::apply);
            IstiodLite.awaitAccepted(client, () -> ready.test(gateway.bed));
            gateway.listener = DownstreamListener.plain(
                            gateway.bed.group,
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                            gateway.bed.runtime,
                            "0.0.0.0",
                            port)
                    .join();
            return gateway;
        } catch (RuntimeException | Error e) {
            gateway.close();
            throw e;
        }
    }

    /** The loopback port of the listener. */
    public int port() {
        return listener.port();
    }

    @Override
    public void close() {
        if (listener != null) {
            listener.close();
        }
        try {
            istiodLite.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        bed.close();
    }
}
