package io.ambientjava.ztunnel.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.ztunnel.state.Protocol;
import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.state.StateSnapshot;
import io.ambientjava.ztunnel.state.Workload;
import io.ambientjava.ztunnel.state.WorkloadStore;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MeshNameResolverTest {
    private static final InetAddress REVIEWS_VIP = InetAddress.ofLiteral("198.19.0.10");
    private static final InetAddress REVIEWS_VIP6 = InetAddress.ofLiteral("fd00::10");
    private final MeshNameResolver resolver = new MeshNameResolver("cluster.local");

    private static StateSnapshot state() {
        WorkloadStore store = new WorkloadStore();
        store.upsert(Service.builder("bookinfo", "reviews.bookinfo.svc.cluster.local")
                .name("reviews")
                .vips("/198.19.0.10", "/fd00::10")
                .build());
        store.upsert(Service.builder("external", "api.example.com")
                .name("api")
                .vips("/198.19.0.20")
                .build());
        store.upsert(Service.builder("bookinfo", "db.bookinfo.svc.cluster.local")
                .name("db")
                .build());
        store.upsert(Workload.builder("Kubernetes//Pod/bookinfo/db-0", "bookinfo")
                .name("db-0")
                .addresses("198.18.0.30")
                .protocol(Protocol.HBONE)
                .services(Map.of(
                        io.ambientjava.ztunnel.state.NamespacedHostname.parse("bookinfo/db.bookinfo.svc.cluster.local"),
                        io.ambientjava.ztunnel.state.PortMap.empty()))
                .build());
        return store.snapshot();
    }

    private Optional<List<InetAddress>> v4(String name, String clientNamespace) {
        return resolver.resolve(state(), name, MeshNameResolver.Family.IPV4, Optional.ofNullable(clientNamespace));
    }

    @Test
    void theFullHostnameAnswersWithTheVipOfTheAskedFamily() {
        assertThat(v4("reviews.bookinfo.svc.cluster.local.", null)).contains(List.of(REVIEWS_VIP));
        assertThat(v4("Reviews.Bookinfo.SVC.cluster.local", null)).contains(List.of(REVIEWS_VIP));
        assertThat(resolver.resolve(
                        state(), "reviews.bookinfo.svc.cluster.local", MeshNameResolver.Family.IPV6, Optional.empty()))
                .contains(List.of(REVIEWS_VIP6));
    }

    @Test
    void shortFormsExpandAsThePodsSearchPathWould() {
        assertThat(v4("reviews", "bookinfo")).contains(List.of(REVIEWS_VIP));
        assertThat(v4("reviews", "default")).isEmpty(); // another namespace's reviews
        assertThat(v4("reviews", null)).isEmpty();
        assertThat(v4("reviews.bookinfo", "default")).contains(List.of(REVIEWS_VIP));
        assertThat(v4("reviews.bookinfo.svc", "default")).contains(List.of(REVIEWS_VIP));
        // a complete name the stub still suffixed with a search domain
        assertThat(v4("reviews.bookinfo.svc.cluster.local.default.svc.cluster.local", "default"))
                .contains(List.of(REVIEWS_VIP));
        assertThat(v4("api.example.com.bookinfo.svc.cluster.local", "bookinfo"))
                .contains(List.of(InetAddress.ofLiteral("198.19.0.20")));
    }

    @Test
    void aHeadlessServiceAnswersWithItsEndpoints() {
        assertThat(v4("db.bookinfo.svc.cluster.local", null)).contains(List.of(InetAddress.ofLiteral("198.18.0.30")));
    }

    @Test
    void aMeshNameWithoutAddressesOfTheFamilyIsNoDataNotForwarded() {
        assertThat(resolver.resolve(state(), "api.example.com", MeshNameResolver.Family.IPV6, Optional.empty()))
                .contains(List.of());
    }

    @Test
    void otherNamesAreNotTheMeshs() {
        assertThat(v4("example.org", "bookinfo")).isEmpty();
        assertThat(v4("", "bookinfo")).isEmpty();
        assertThat(v4("ratings.bookinfo.svc.cluster.local", "bookinfo")).isEmpty();
    }

    @Test
    void anotherClusterDomainIsHonoured() {
        MeshNameResolver custom = new MeshNameResolver("Mesh.Example.");
        WorkloadStore store = new WorkloadStore();
        store.upsert(Service.builder("a", "web.a.svc.mesh.example")
                .name("web")
                .vips("/198.19.0.40")
                .build());
        assertThat(custom.resolve(store.snapshot(), "web.a", MeshNameResolver.Family.IPV4, Optional.empty()))
                .contains(List.of(InetAddress.ofLiteral("198.19.0.40")));
    }
}
