package io.ambientjava.ztunnel.proxy.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.ztunnel.state.GatewayAddress;
import io.ambientjava.ztunnel.state.HealthStatus;
import io.ambientjava.ztunnel.state.NamespacedHostname;
import io.ambientjava.ztunnel.state.NetworkAddress;
import io.ambientjava.ztunnel.state.PortMap;
import io.ambientjava.ztunnel.state.Protocol;
import io.ambientjava.ztunnel.state.Service;
import io.ambientjava.ztunnel.state.StateSnapshot;
import io.ambientjava.ztunnel.state.Workload;
import io.ambientjava.ztunnel.state.WorkloadStore;
import io.ambientjava.ztunnel.state.lb.RoundRobinPicker;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OutboundRouterTest {

    private static final String ECHO = "default/echo.default.svc.cluster.local";
    private static final InetSocketAddress VIP = new InetSocketAddress("198.19.0.10", 80);

    private final WorkloadStore store = new WorkloadStore();
    private final OutboundRouter router = new OutboundRouter(new RoundRobinPicker(), 15008, "cluster.local");
    private final Workload client = pod("client", "198.18.1.2").build();

    @Test
    void aVipGoesToAnEndpointOverHboneWithItsIdentityExpected() {
        store.upsert(
                pod("echo-1", "198.18.1.3").service(ECHO, PortMap.of(80, 8080)).build());
        store.upsert(echo().build());

        OutboundRoute route = route(VIP);

        assertThat(route).isInstanceOfSatisfying(OutboundRoute.Hbone.class, hbone -> {
            assertThat(hbone.peer()).isEqualTo(new InetSocketAddress("198.18.1.3", 15008));
            assertThat(hbone.target()).isEqualTo(new InetSocketAddress("198.18.1.3", 8080));
            assertThat(hbone.expectedIdentities()).containsExactly(id("default", "echo-1"));
            assertThat(hbone.viaWaypoint()).isFalse();
            assertThat(hbone.service()).map(Service::name).contains("echo");
            assertThat(hbone.retryableEndpoint()).contains(uid("echo-1"));
        });
    }

    @Test
    void endpointsTakeTurnsAndFailedOnesAreSkipped() {
        store.upsert(
                pod("echo-1", "198.18.1.3").service(ECHO, PortMap.of(80, 8080)).build());
        store.upsert(
                pod("echo-2", "198.18.2.3").service(ECHO, PortMap.of(80, 8080)).build());
        store.upsert(echo().build());

        List<InetSocketAddress> targets = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            targets.add(((OutboundRoute.Hbone) route(VIP)).target());
        }
        OutboundRoute afterFailure = router.route(snapshot(), client, VIP, Set.of(uid("echo-1")));
        OutboundRoute allFailed = router.route(snapshot(), client, VIP, Set.of(uid("echo-1"), uid("echo-2")));

        assertThat(targets)
                .containsOnly(new InetSocketAddress("198.18.1.3", 8080), new InetSocketAddress("198.18.2.3", 8080))
                .filteredOn(t -> t.getHostString().equals("198.18.1.3"))
                .hasSize(2);
        assertThat(((OutboundRoute.Hbone) afterFailure).target().getHostString())
                .isEqualTo("198.18.2.3");
        assertThat(allFailed)
                .isInstanceOfSatisfying(
                        OutboundRoute.Unroutable.class,
                        u -> assertThat(u.reason())
                                .isEqualTo("no further usable endpoint for service " + ECHO + " port 80"));
    }

    @Test
    void aServiceWithoutUsableEndpointsIsUnroutable() {
        store.upsert(pod("echo-1", "198.18.1.3")
                .service(ECHO, PortMap.of(80, 8080))
                .status(HealthStatus.UNHEALTHY)
                .build());
        store.upsert(echo().build());

        assertThat(route(VIP)).isInstanceOfSatisfying(OutboundRoute.Unroutable.class, u -> {
            assertThat(u.reason()).isEqualTo("no usable endpoint for service " + ECHO + " port 80");
            assertThat(u.service()).isPresent();
        });
    }

    @Test
    void aPortTheServiceDoesNotServeIsNotTheService() {
        store.upsert(echo().build());

        assertThat(route(new InetSocketAddress("198.19.0.10", 443)))
                .isInstanceOfSatisfying(
                        OutboundRoute.Passthrough.class,
                        p -> assertThat(p.service()).isEmpty());
    }

    @Test
    void plainTcpEndpointsArePassedThrough() {
        store.upsert(pod("legacy", "198.18.1.9")
                .protocol(Protocol.TCP)
                .service(ECHO, PortMap.of(80, 8080))
                .build());
        store.upsert(echo().build());

        assertThat(route(VIP)).isInstanceOfSatisfying(OutboundRoute.Passthrough.class, p -> {
            assertThat(p.target()).isEqualTo(new InetSocketAddress("198.18.1.9", 8080));
            assertThat(p.destinationWorkload()).map(Workload::name).contains("legacy");
            assertThat(p.retryableEndpoint()).contains(uid("legacy"));
        });
    }

    @Test
    void anEndpointKnownOnlyByNameIsResolvedThenPassedThrough() {
        store.upsert(
                Workload.builder("Kubernetes/networking.istio.io/ServiceEntry/default/api/api.external.test", "default")
                        .name("api")
                        .hostname("api.external.test")
                        .protocol(Protocol.TCP)
                        .service(ECHO, PortMap.of(80, 8443))
                        .build());
        store.upsert(echo().build());

        OutboundRoute route = route(VIP);

        assertThat(route).isInstanceOfSatisfying(OutboundRoute.ByHostname.class, byName -> {
            assertThat(byName.hostname()).isEqualTo("api.external.test");
            assertThat(byName.port()).isEqualTo(8443);
            assertThat(byName.service()).map(Service::name).contains("echo");
            assertThat(byName.retryableEndpoint())
                    .contains("Kubernetes/networking.istio.io/ServiceEntry/default/api/api.external.test");
            assertThat(router.resolved(byName, InetAddress.ofLiteral("198.18.77.1")))
                    .isInstanceOfSatisfying(OutboundRoute.Passthrough.class, p -> {
                        assertThat(p.target()).isEqualTo(new InetSocketAddress("198.18.77.1", 8443));
                        assertThat(p.service()).map(Service::name).contains("echo");
                        assertThat(p.retryableEndpoint()).isEqualTo(byName.retryableEndpoint());
                    });
        });
    }

    @Test
    void aNamedEndpointSpeakingHboneGetsATunnelToTheResolvedAddress() {
        Workload vm = Workload.builder(uid("vm-by-name"), "default")
                .name("vm-by-name")
                .serviceAccount("vm")
                .hostname("vm1.external.test")
                .protocol(Protocol.HBONE)
                .service(ECHO, PortMap.of(80, 8080))
                .build();
        store.upsert(vm);
        store.upsert(echo().build());

        OutboundRoute.ByHostname byName = (OutboundRoute.ByHostname) route(VIP);

        assertThat(router.resolved(byName, InetAddress.ofLiteral("198.18.1.77")))
                .isInstanceOfSatisfying(OutboundRoute.Hbone.class, hbone -> {
                    assertThat(hbone.peer()).isEqualTo(new InetSocketAddress("198.18.1.77", 15008));
                    assertThat(hbone.target()).isEqualTo(new InetSocketAddress("198.18.1.77", 8080));
                    assertThat(hbone.expectedIdentities()).containsExactly(id("default", "vm"));
                });
    }

    @Test
    void aWorkloadAddressedDirectlyIsReachedOnItsPort() {
        store.upsert(pod("server", "198.18.2.2").build());

        OutboundRoute route = route(new InetSocketAddress("198.18.2.2", 9000));

        assertThat(route).isInstanceOfSatisfying(OutboundRoute.Hbone.class, hbone -> {
            assertThat(hbone.peer()).isEqualTo(new InetSocketAddress("198.18.2.2", 15008));
            assertThat(hbone.target()).isEqualTo(new InetSocketAddress("198.18.2.2", 9000));
            assertThat(hbone.expectedIdentities()).containsExactly(id("default", "server"));
            assertThat(hbone.retryableEndpoint()).isEmpty();
        });
    }

    @Test
    void addressesOutsideTheMeshArePassedThrough() {
        InetSocketAddress outside = new InetSocketAddress("198.18.3.7", 443);

        assertThat(route(outside))
                .isEqualTo(
                        new OutboundRoute.Passthrough(outside, Optional.empty(), Optional.empty(), Optional.empty()));
    }

    @Test
    void aServiceWaypointGetsTheConnectForTheVip() {
        store.upsert(pod("waypoint", "198.18.2.9").build());
        store.upsert(
                pod("echo-1", "198.18.1.3").service(ECHO, PortMap.of(80, 8080)).build());
        store.upsert(echo().waypoint(GatewayAddress.ofAddress(NetworkAddress.parse("/198.18.2.9"), 15008))
                .build());

        assertThat(route(VIP)).isInstanceOfSatisfying(OutboundRoute.Hbone.class, hbone -> {
            assertThat(hbone.viaWaypoint()).isTrue();
            assertThat(hbone.peer()).isEqualTo(new InetSocketAddress("198.18.2.9", 15008));
            assertThat(hbone.target()).isEqualTo(VIP);
            assertThat(hbone.expectedIdentities()).containsExactly(id("default", "waypoint"));
            assertThat(hbone.destinationWorkload()).isEmpty();
        });
    }

    @Test
    void aWaypointNamedByHostnameIsOneOfItsServicesEndpoints() {
        String waypointService = "default/waypoint.default.svc.cluster.local";
        store.upsert(pod("waypoint-1", "198.18.2.9")
                .service(waypointService, PortMap.of(15008, 15008))
                .build());
        store.upsert(Service.builder("default", "waypoint.default.svc.cluster.local")
                .vips("/198.19.0.99")
                .ports(PortMap.of(15008, 15008))
                .build());
        store.upsert(pod("server", "198.18.2.2")
                .waypoint(GatewayAddress.ofHostname(NamespacedHostname.parse(waypointService), 15008))
                .build());

        OutboundRoute route = route(new InetSocketAddress("198.18.2.2", 8080));

        assertThat(route).isInstanceOfSatisfying(OutboundRoute.Hbone.class, hbone -> {
            assertThat(hbone.peer()).isEqualTo(new InetSocketAddress("198.18.2.9", 15008));
            assertThat(hbone.target()).isEqualTo(new InetSocketAddress("198.18.2.2", 8080));
            assertThat(hbone.destinationWorkload()).map(Workload::name).contains("server");
        });
    }

    @Test
    void aWaypointThatCannotBeFoundMakesTheServiceUnroutable() {
        store.upsert(echo().waypoint(GatewayAddress.ofAddress(NetworkAddress.parse("/198.18.2.9"), 15008))
                .build());

        assertThat(route(VIP))
                .isInstanceOfSatisfying(
                        OutboundRoute.Unroutable.class,
                        u -> assertThat(u.reason()).isEqualTo("waypoint /198.18.2.9 has no usable workload"));
    }

    @Test
    void theWaypointItselfGoesStraightToTheDestination() {
        Workload waypoint = pod("waypoint", "198.18.2.9").build();
        store.upsert(waypoint);
        store.upsert(pod("server", "198.18.2.2")
                .waypoint(GatewayAddress.ofAddress(NetworkAddress.parse("/198.18.2.9"), 15008))
                .build());

        OutboundRoute route = router.route(snapshot(), waypoint, new InetSocketAddress("198.18.2.2", 8080), Set.of());

        assertThat(route).isInstanceOfSatisfying(OutboundRoute.Hbone.class, hbone -> {
            assertThat(hbone.viaWaypoint()).isFalse();
            assertThat(hbone.peer()).isEqualTo(new InetSocketAddress("198.18.2.2", 15008));
        });
    }

    @Test
    void serviceSubjectAltNamesAreAcceptedToo() {
        store.upsert(
                pod("echo-1", "198.18.1.3").service(ECHO, PortMap.of(80, 8080)).build());
        store.upsert(echo().subjectAltNames(List.of("spiffe://cluster.local/ns/default/sa/alt", "not-a-spiffe-id"))
                .build());

        assertThat(((OutboundRoute.Hbone) route(VIP)).expectedIdentities())
                .containsExactlyInAnyOrder(id("default", "echo-1"), id("default", "alt"));
    }

    @Test
    void lookupsStayInTheClientsNetwork() {
        store.upsert(pod("server", "198.18.2.2").network("east").build());

        assertThat(route(new InetSocketAddress("198.18.2.2", 80))).isInstanceOf(OutboundRoute.Passthrough.class);
    }

    @Test
    void aPassthroughServiceSendsTheCallToTheAddressItWasMadeTo() {
        // a ServiceEntry with resolution NONE whose address is an outside host's, and one whose address is a pod's
        store.upsert(passthrough("legacy", "198.18.77.7"));
        store.upsert(pod("db-0", "198.18.1.9").build());
        store.upsert(passthrough("db", "198.18.1.9"));

        assertThat(route(new InetSocketAddress("198.18.77.7", 5432)))
                .isInstanceOfSatisfying(OutboundRoute.Passthrough.class, passthrough -> {
                    assertThat(passthrough.target()).isEqualTo(new InetSocketAddress("198.18.77.7", 5432));
                    assertThat(passthrough.service()).map(Service::name).contains("legacy");
                });
        assertThat(route(new InetSocketAddress("198.18.1.9", 5432)))
                .isInstanceOfSatisfying(OutboundRoute.Hbone.class, hbone -> {
                    assertThat(hbone.target()).isEqualTo(new InetSocketAddress("198.18.1.9", 5432));
                    assertThat(hbone.service()).map(Service::name).contains("db");
                    assertThat(hbone.expectedIdentities()).containsExactly(id("default", "db-0"));
                });
    }

    /** A ServiceEntry with resolution NONE as istiod sends it: {@code <name>.example.com} at {@code address}. */
    private static Service passthrough(String name, String address) {
        return Service.builder("default", name + ".example.com")
                .name(name)
                .vips("/" + address)
                .ports(PortMap.of(5432, 5432))
                .loadBalancing(new io.ambientjava.ztunnel.state.LoadBalancing(
                        List.of(),
                        io.ambientjava.ztunnel.state.LoadBalancing.Mode.PASSTHROUGH,
                        io.ambientjava.ztunnel.state.LoadBalancing.HealthPolicy.ALLOW_ALL))
                .build();
    }

    private OutboundRoute route(InetSocketAddress destination) {
        return router.route(snapshot(), client, destination, Set.of());
    }

    private StateSnapshot snapshot() {
        return store.snapshot();
    }

    private static Service.Builder echo() {
        return Service.builder("default", "echo.default.svc.cluster.local")
                .name("echo")
                .vips("/198.19.0.10")
                .ports(PortMap.of(80, 8080));
    }

    private static Workload.Builder pod(String name, String ip) {
        return Workload.builder(uid(name), "default")
                .name(name)
                .serviceAccount(name)
                .addresses(ip)
                .protocol(Protocol.HBONE);
    }

    private static String uid(String name) {
        return "Kubernetes//Pod/default/" + name;
    }

    private static SpiffeId id(String namespace, String serviceAccount) {
        return new SpiffeId("cluster.local", namespace, serviceAccount);
    }
}
