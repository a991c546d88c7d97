package io.ambientjava.istiod.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ambientjava.istiod.testsupport.MockApiServer;
import io.ambientjava.istiod.testsupport.SharedMockApiServer;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Elections on a Lease against fabric8's mock API server in CRUD mode. */
class ControllerElectionTest {

    private static final String NAMESPACE = "istio-system";
    private static final String LEASE = "istio-namespace-controller-election";
    private static final ControllerElection.Timing QUICK =
            new ControllerElection.Timing(Duration.ofMillis(1500), Duration.ofMillis(1000), Duration.ofMillis(200));
    private static final Duration WAIT = Duration.ofSeconds(15);

    @RegisterExtension
    static final SharedMockApiServer API = new SharedMockApiServer();

    private static MockApiServer api() {
        return API.server();
    }

    private final List<KubernetesClient> clients = new ArrayList<>();
    private final List<ControllerElection<Controller>> elections = new ArrayList<>();
    private final List<String> events = new CopyOnWriteArrayList<>();

    /** Stands in for a controller: records when it starts and stops. */
    private final class Controller implements AutoCloseable {
        private final String replica;

        Controller(String replica) {
            this.replica = replica;
            events.add("start " + replica);
        }

        @Override
        public void close() {
            events.add("stop " + replica);
        }
    }

    @AfterEach
    void stop() {
        elections.forEach(ControllerElection::close);
        clients.forEach(KubernetesClient::close);
    }

    private ControllerElection<Controller> replica(String name) {
        KubernetesClient client = api().newClient();
        clients.add(client);
        ControllerElection<Controller> election = ControllerElection.start(
                client, NAMESPACE, LEASE, name, QUICK, () -> new Controller(name), Duration.ofSeconds(5));
        elections.add(election);
        return election;
    }

    private KubernetesClient admin() {
        KubernetesClient admin = api().newClient();
        clients.add(admin);
        return admin;
    }

    private Lease lease() {
        return admin().leases().inNamespace(NAMESPACE).withName(LEASE).get();
    }

    @Test
    void oneReplicaRunsTheControllerAndTheOtherTakesOverWhenItCloses() {
        ControllerElection<Controller> first = replica("istiod-a");
        assertThat(first.controller())
                .as("the first replica leads once start returns")
                .isPresent();
        assertThat(lease().getSpec().getHolderIdentity()).isEqualTo("istiod-a");

        ControllerElection<Controller> second = replica("istiod-b");
        assertThat(second.controller()).isEmpty();
        assertThat(second.leader()).contains("istiod-a");
        await().during(Duration.ofMillis(800))
                .atMost(WAIT)
                .until(() -> second.controller().isEmpty());
        assertThat(events).containsExactly("start istiod-a");

        first.close();
        assertThat(first.controller()).isEmpty();
        await().atMost(WAIT).until(() -> second.controller().isPresent());
        assertThat(events).containsExactly("start istiod-a", "stop istiod-a", "start istiod-b");
        assertThat(lease().getSpec().getHolderIdentity()).isEqualTo("istiod-b");
    }

    @Test
    void aLeaderWhoseLeaseIsTakenStopsItsControllerAndStandsAgain() {
        ControllerElection<Controller> first = replica("istiod-a");
        assertThat(first.controller()).isPresent();

        // another holder takes the Lease (a replica that saw it expire while this one could not renew); the holder
        // renews meanwhile, so a write can meet a 409 and is done again on what is there then
        await().atMost(WAIT).until(() -> {
            Lease taken = lease();
            taken.getSpec().setHolderIdentity("istiod-elsewhere");
            taken.getSpec().setRenewTime(java.time.ZonedDateTime.now().plusSeconds(30));
            taken.getSpec().setLeaseDurationSeconds(60);
            try {
                admin().leases().inNamespace(NAMESPACE).resource(taken).update();
                return true;
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
                return false;
            }
        });

        await().atMost(WAIT).until(() -> first.controller().isEmpty());
        assertThat(events).containsExactly("start istiod-a", "stop istiod-a");
        await().atMost(WAIT).until(() -> first.leader().orElse("").equals("istiod-elsewhere"));
    }

    @Test
    void timingsThatCannotWorkAreRefused() {
        assertThatThrownBy(() -> new ControllerElection.Timing(
                        Duration.ofSeconds(10), Duration.ofSeconds(15), Duration.ofSeconds(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("need leaseDuration > renewDeadline > 2.2 × retryPeriod > 0");
        assertThatThrownBy(() -> new ControllerElection.Timing(
                        Duration.ofSeconds(30), Duration.ofSeconds(15), Duration.ofMillis(7500)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(ControllerElection.Timing.defaults().retryPeriod()).isEqualTo(Duration.ofSeconds(5));
    }
}
