package io.ambientjava.waypoint.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import io.ambientjava.testing.RequiresCommand;
import io.ambientjava.waypoint.config.ListenerTranslator;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.LocalCommands;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TlsBackend;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS passthrough at an ingress gateway: the waypoint reads the client hello's SNI and sends the untouched TLS
 * connection to the backend its filter chain names; curl verifies the backend's own certificate end to end.
 */
@RequiresCommand({"curl", "openssl"})
class TlsPassthroughTest {

    @TempDir
    Path dir;

    private final TestBed bed = new TestBed();
    private final List<TlsBackend> backends = new ArrayList<>();

    @AfterEach
    void close() {
        backends.forEach(TlsBackend::close);
        bed.close();
    }

    private InetSocketAddress backend(String name, String hostname) throws Exception {
        TlsBackend backend = TlsBackend.start(bed.group, dir, name, hostname);
        backends.add(backend);
        return backend.address();
    }

    private static Filter tcpProxyTo(String cluster) {
        return Filter.newBuilder()
                .setName(ListenerTranslator.TCP_PROXY)
                .setTypedConfig(Any.pack(TcpProxy.newBuilder()
                        .setStatPrefix(cluster)
                        .setCluster(cluster)
                        .build()))
                .build();
    }

    /** {@code serverNames} per cluster in order; an empty list makes that cluster the default chain. */
    private static Listener passthrough(boolean inspector, List<List<String>> serverNames, String... clusters) {
        Listener.Builder listener = Envoy.httpListener(TestBed.VIP, TestBed.PORT, TestBed.HOST).toBuilder()
                .clearFilterChains();
        if (inspector) {
            listener.addListenerFilters(ListenerFilter.newBuilder()
                    .setName(ListenerTranslator.TLS_INSPECTOR)
                    .setTypedConfig(Any.pack(TlsInspector.getDefaultInstance())));
        }
        for (int i = 0; i < clusters.length; i++) {
            FilterChain.Builder chain = FilterChain.newBuilder().addFilters(tcpProxyTo(clusters[i]));
            if (!serverNames.get(i).isEmpty()) {
                chain.setFilterChainMatch(FilterChainMatch.newBuilder().addAllServerNames(serverNames.get(i)));
            }
            listener.addFilterChains(chain);
        }
        return listener.build();
    }

    private void cluster(String name, InetSocketAddress endpoint) {
        bed.push(Envoy.edsCluster(name).build());
        bed.push(Envoy.plainEndpoints(name, List.of(endpoint)));
    }

    private String curl(String hostname, String ca) throws Exception {
        return LocalCommands.curlHttps(dir, ca, hostname, bed.listener.port(), "/");
    }

    @Test
    void eachServerNameReachesItsBackendWithTheBackendsOwnCertificate() throws Exception {
        cluster("outbound|443||shop", backend("shop", "shop.example"));
        cluster("outbound|443||admin", backend("admin", "admin.example.org"));
        bed.push(passthrough(
                true,
                List.of(List.of("shop.example"), List.of("*.example.org")),
                "outbound|443||shop",
                "outbound|443||admin"));

        assertThat(curl("shop.example", "shop")).isEqualTo("shop over passthrough");
        assertThat(curl("admin.example.org", "admin")).as("by the wildcard").isEqualTo("admin over passthrough");
        assertThat(curl("other.example", "shop"))
                .as("no chain for the name and no default: closed at once")
                .doesNotContain("over passthrough")
                .doesNotContain("timed out");
        String plain = LocalCommands.run(
                dir, "curl", "-sS", "--max-time", "10", "http://127.0.0.1:" + bed.listener.port() + "/");
        assertThat(plain)
                .as("not TLS at all")
                .doesNotContain("over passthrough")
                .doesNotContain("timed out");
        assertThat(bed.records).as("no HTTP is seen, so no request is logged").isEmpty();

        bed.push(passthrough(
                true, List.of(List.of("shop.example"), List.of()), "outbound|443||shop", "outbound|443||admin"));
        assertThat(curl("admin.example.org", "admin")).as("the default chain").isEqualTo("admin over passthrough");
    }

    @Test
    void chainsByServerNameWithoutTlsTerminationNeedTheTlsInspector() {
        assertThatThrownBy(() -> ListenerTranslator.translate(
                        passthrough(false, List.of(List.of("shop.example"), List.of()), "a", "b")))
                .hasMessageContaining("listener_filters")
                .hasMessageContaining("tls_inspector");
        Listener otherFilter = passthrough(true, List.of(List.of("shop.example")), "a").toBuilder()
                .setListenerFilters(0, ListenerFilter.newBuilder().setName("envoy.filters.listener.http_inspector"))
                .build();
        assertThatThrownBy(() -> ListenerTranslator.translate(otherFilter))
                .hasMessageContaining("listener_filters[0].name");
    }
}
