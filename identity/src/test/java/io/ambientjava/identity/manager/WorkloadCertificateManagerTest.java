package io.ambientjava.identity.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.identity.SpiffeId;
import io.ambientjava.identity.WorkloadCertificate;
import io.ambientjava.identity.ca.CaOptions;
import io.ambientjava.identity.ca.MeshCertificateAuthority;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Timing logic against a fake clock and scheduler; certificates from the real CA on the same clock. */
@Timeout(10)
class WorkloadCertificateManagerTest {

    private static final SpiffeId ALICE = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/alice");
    private static final SpiffeId BOB = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/bob");
    private static final Duration TTL = Duration.ofHours(10);

    private final FakeTime time = new FakeTime(Instant.parse("2026-03-01T00:00:00Z"));
    private final MeshCertificateAuthority ca = MeshCertificateAuthority.createSelfSigned(
            "cluster.local", CaOptions.defaults().withClock(time).withClockSkew(Duration.ZERO));
    private final ScriptedProvider provider = new ScriptedProvider(ca.trustBundle());
    private final List<String> rotations = new ArrayList<>();
    private final WorkloadCertificateManager manager = newManager(RenewalPolicy.defaults());

    private WorkloadCertificateManager newManager(RenewalPolicy policy) {
        WorkloadCertificateManager created = new WorkloadCertificateManager(provider, time.scheduler(), time, policy);
        created.addListener((identity, previous, current) ->
                rotations.add(identity + " " + previous.notAfter() + " -> " + current.notAfter()));
        return created;
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void firstCallFetchesAndConcurrentCallersShareTheFetch() throws Exception {
        CompletableFuture<WorkloadCertificate> first = manager.certificateFor(ALICE);
        CompletableFuture<WorkloadCertificate> second = manager.certificateFor(ALICE);

        assertThat(provider.fetchCount()).isEqualTo(1);
        assertThat(first).isNotDone();
        WorkloadCertificate cert = ca.issue(ALICE, TTL);
        provider.lastFetch().complete(cert);

        assertThat(first.get(1, TimeUnit.SECONDS)).isSameAs(cert);
        assertThat(second.get(1, TimeUnit.SECONDS)).isSameAs(cert);
        assertThat(manager.certificateFor(ALICE).get(1, TimeUnit.SECONDS)).isSameAs(cert);
        assertThat(manager.current(ALICE)).contains(cert);
        assertThat(provider.fetchCount()).isEqualTo(1);
        assertThat(manager.trustBundle()).isEqualTo(ca.trustBundle());
    }

    @Test
    void identitiesAreFetchedSeparately() throws Exception {
        CompletableFuture<WorkloadCertificate> alice = manager.certificateFor(ALICE);
        provider.lastFetch().complete(ca.issue(ALICE, TTL));
        CompletableFuture<WorkloadCertificate> bob = manager.certificateFor(BOB);
        provider.lastFetch().complete(ca.issue(BOB, TTL));

        assertThat(alice.get(1, TimeUnit.SECONDS).identity()).isEqualTo(ALICE);
        assertThat(bob.get(1, TimeUnit.SECONDS).identity()).isEqualTo(BOB);
        assertThat(provider.asked()).containsExactly(ALICE, BOB);
    }

    @Test
    void renewsAtHalfLifeAndTellsListeners() throws Exception {
        WorkloadCertificate first = obtain(ALICE);

        time.advance(Duration.ofHours(5).minusSeconds(1));
        assertThat(provider.fetchCount()).isEqualTo(1);
        time.advance(Duration.ofSeconds(1));
        assertThat(provider.fetchCount()).isEqualTo(2);

        assertThat(manager.certificateFor(ALICE).get(1, TimeUnit.SECONDS))
                .as("old one while renewing")
                .isSameAs(first);
        WorkloadCertificate second = ca.issue(ALICE, TTL);
        provider.lastFetch().complete(second);

        assertThat(manager.certificateFor(ALICE).get(1, TimeUnit.SECONDS)).isSameAs(second);
        assertThat(rotations).containsExactly(ALICE + " " + first.notAfter() + " -> " + second.notAfter());
        time.advance(Duration.ofHours(5));
        assertThat(provider.fetchCount())
                .as("next renewal at the new certificate's half-life")
                .isEqualTo(3);
    }

    @Test
    void renewalFractionIsConfigurable() {
        manager.close();
        WorkloadCertificateManager eager = newManager(
                new RenewalPolicy(0.8, RenewalPolicy.DEFAULT_INITIAL_BACKOFF, RenewalPolicy.DEFAULT_MAX_BACKOFF));
        eager.certificateFor(ALICE);
        provider.lastFetch().complete(ca.issue(ALICE, TTL));

        time.advance(Duration.ofHours(8).minusSeconds(1));
        assertThat(provider.fetchCount()).isEqualTo(1);
        time.advance(Duration.ofSeconds(1));
        assertThat(provider.fetchCount()).isEqualTo(2);
        eager.close();
    }

    @Test
    void failedRenewalKeepsTheOldCertificateAndRetriesWithCappedExponentialBackoff() throws Exception {
        manager.close();
        WorkloadCertificateManager backingOff =
                newManager(new RenewalPolicy(0.5, Duration.ofSeconds(1), Duration.ofSeconds(8)));
        backingOff.certificateFor(ALICE);
        WorkloadCertificate first = ca.issue(ALICE, TTL);
        provider.lastFetch().complete(first);
        time.advance(Duration.ofHours(5));

        List<Long> retryDelays = new ArrayList<>();
        Instant failedAt = time.instant();
        for (int attempt = 0; attempt < 6; attempt++) {
            int fetches = provider.fetchCount();
            provider.lastFetch().completeExceptionally(new IllegalStateException("CA unreachable"));
            assertThat(backingOff.certificateFor(ALICE).get(1, TimeUnit.SECONDS))
                    .isSameAs(first);
            failedAt = time.instant();
            for (int step = 0; step < 100 && provider.fetchCount() == fetches; step++) {
                time.advance(Duration.ofMillis(500));
            }
            retryDelays.add(Duration.between(failedAt, time.instant()).toMillis());
        }

        assertThat(retryDelays).containsExactly(1000L, 2000L, 4000L, 8000L, 8000L, 8000L);
        WorkloadCertificate renewed = ca.issue(ALICE, TTL);
        provider.lastFetch().complete(renewed);
        assertThat(backingOff.certificateFor(ALICE).get(1, TimeUnit.SECONDS)).isSameAs(renewed);
        assertThat(rotations).hasSize(1);
        backingOff.close();
    }

    @Test
    void expiredCertificateIsNeverHandedOutWhileRenewalsFail() throws Exception {
        manager.close();
        WorkloadCertificateManager slowRetry =
                newManager(new RenewalPolicy(0.5, Duration.ofHours(3), Duration.ofHours(3)));
        slowRetry.certificateFor(ALICE);
        WorkloadCertificate first = ca.issue(ALICE, TTL);
        provider.lastFetch().complete(first);
        time.advance(Duration.ofHours(5)); // renewal starts
        provider.lastFetch().completeExceptionally(new IllegalStateException("CA unreachable"));
        time.advance(Duration.ofHours(3)); // retry at 8 h
        provider.lastFetch().completeExceptionally(new IllegalStateException("CA still unreachable"));
        time.advance(Duration.ofHours(2)); // expiry (10 h); next retry due at 11 h
        int fetches = provider.fetchCount();

        CompletableFuture<WorkloadCertificate> afterExpiry = slowRetry.certificateFor(ALICE);

        assertThatThrownBy(() -> afterExpiry.get(1, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(CertificateUnavailableException.class)
                .hasMessageContaining("expired at " + first.notAfter())
                .hasMessageContaining("CA still unreachable");
        assertThat(provider.fetchCount()).as("no extra fetch during backoff").isEqualTo(fetches);
        assertThat(slowRetry.current(ALICE)).isEmpty();
        slowRetry.close();
    }

    @Test
    void callerOfAnExpiredCertificateWaitsForTheRenewalInFlight() throws Exception {
        WorkloadCertificate first = obtain(ALICE);
        time.advance(Duration.ofHours(5)); // renewal in flight, never answered
        time.advance(Duration.ofHours(5)); // first has expired

        CompletableFuture<WorkloadCertificate> waiting = manager.certificateFor(ALICE);
        assertThat(waiting).isNotDone();
        assertThat(provider.fetchCount()).isEqualTo(2);
        WorkloadCertificate renewed = ca.issue(ALICE, TTL);
        provider.lastFetch().complete(renewed);

        assertThat(waiting.get(1, TimeUnit.SECONDS)).isSameAs(renewed).isNotSameAs(first);
    }

    @Test
    void callerOfAnExpiredCertificateFailsWhenTheRenewalInFlightFails() {
        WorkloadCertificate first = obtain(ALICE);
        time.advance(Duration.ofHours(10));

        CompletableFuture<WorkloadCertificate> waiting = manager.certificateFor(ALICE);
        provider.lastFetch().completeExceptionally(new IllegalStateException("CA said no"));

        assertThatThrownBy(() -> waiting.get(1, TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(CertificateUnavailableException.class)
                .hasMessageContaining(ALICE + " expired at " + first.notAfter())
                .hasMessageContaining("CA said no");
    }

    @Test
    void failedFirstFetchFailsTheCallersAndTheNextCallTriesAgain() throws Exception {
        CompletableFuture<WorkloadCertificate> first = manager.certificateFor(ALICE);
        provider.lastFetch().completeExceptionally(new IllegalStateException("no route to CA"));

        assertThatThrownBy(() -> first.get(1, TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(CertificateUnavailableException.class)
                .hasMessageContaining("cannot obtain a certificate for " + ALICE)
                .hasMessageContaining("no route to CA");
        assertThat(time.pendingTasks()).isZero();

        CompletableFuture<WorkloadCertificate> retry = manager.certificateFor(ALICE);
        assertThat(provider.fetchCount()).isEqualTo(2);
        provider.lastFetch().complete(ca.issue(ALICE, TTL));
        assertThat(retry.get(1, TimeUnit.SECONDS).identity()).isEqualTo(ALICE);
    }

    @Test
    void certificateForAnotherIdentityFromTheProviderIsRefused() {
        CompletableFuture<WorkloadCertificate> future = manager.certificateFor(ALICE);
        WorkloadCertificate bobs = ca.issue(BOB, TTL);
        provider.lastFetch().complete(new WorkloadCertificate(ALICE, bobs.privateKey(), bobs.chain())); // mislabelled

        assertThatThrownBy(() -> future.get(1, TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(CertificateUnavailableException.class)
                .hasMessageContaining("certificate for " + BOB + " when asked for " + ALICE);
    }

    @Test
    void alreadyExpiredCertificateFromTheProviderIsRefused() {
        CompletableFuture<WorkloadCertificate> future = manager.certificateFor(ALICE);
        WorkloadCertificate stale = ca.issue(ALICE, Duration.ofMinutes(1));
        time.advance(Duration.ofMinutes(2));
        provider.lastFetch().complete(stale);

        assertThatThrownBy(() -> future.get(1, TimeUnit.SECONDS)).cause().hasMessageContaining("that expired at");
    }

    @Test
    void providerThatThrowsFailsTheFuture() {
        WorkloadCertificateManager throwing = new WorkloadCertificateManager(
                new CertificateProvider() {
                    @Override
                    public CompletableFuture<WorkloadCertificate> fetch(SpiffeId identity) {
                        throw new IllegalStateException("boom");
                    }

                    @Override
                    public io.ambientjava.identity.TrustBundle trustBundle() {
                        return ca.trustBundle();
                    }
                },
                time.scheduler(),
                time,
                RenewalPolicy.defaults());

        assertThatThrownBy(() -> throwing.certificateFor(ALICE).get(1, TimeUnit.SECONDS))
                .cause()
                .hasMessageContaining("boom");
        throwing.close();
    }

    @Test
    void forgetStopsRenewalAndFailsWaitersAndTheNextCallStartsOver() throws Exception {
        obtain(ALICE);
        manager.forget(ALICE);
        time.advance(Duration.ofHours(6));
        assertThat(provider.fetchCount()).as("no renewal after forget").isEqualTo(1);
        assertThat(manager.current(ALICE)).isEmpty();

        CompletableFuture<WorkloadCertificate> waiting = manager.certificateFor(ALICE);
        assertThat(provider.fetchCount()).isEqualTo(2);
        manager.forget(ALICE);
        assertThatThrownBy(() -> waiting.get(1, TimeUnit.SECONDS)).cause().hasMessageContaining("forgotten");
        provider.lastFetch().complete(ca.issue(ALICE, TTL)); // arrives too late: dropped
        assertThat(manager.current(ALICE)).isEmpty();
    }

    @Test
    void failingListenerDoesNotStopRotationOrOtherListeners() throws Exception {
        List<SpiffeId> heard = new ArrayList<>();
        manager.addListener((identity, previous, current) -> {
            throw new IllegalStateException("listener bug");
        });
        manager.addListener((identity, previous, current) -> heard.add(identity));
        obtain(ALICE);
        time.advance(Duration.ofHours(5));
        WorkloadCertificate renewed = ca.issue(ALICE, TTL);
        provider.lastFetch().complete(renewed);

        assertThat(heard).containsExactly(ALICE);
        assertThat(manager.certificateFor(ALICE).get(1, TimeUnit.SECONDS)).isSameAs(renewed);
    }

    @Test
    void closedManagerRefusesRequests() {
        manager.close();

        assertThatThrownBy(() -> manager.certificateFor(ALICE).get(1, TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(CertificateUnavailableException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void backoffDoublesUpToTheCap() {
        RenewalPolicy policy = new RenewalPolicy(0.5, Duration.ofMillis(100), Duration.ofMillis(500));

        assertThat(List.of(1, 2, 3, 4, 5, 50).stream().map(policy::backoff).map(Duration::toMillis))
                .containsExactly(100L, 200L, 400L, 500L, 500L, 500L);
        assertThatThrownBy(() -> new RenewalPolicy(1.0, Duration.ofSeconds(1), Duration.ofSeconds(2)))
                .hasMessageContaining("renewAtFraction");
        assertThatThrownBy(() -> new RenewalPolicy(0.5, Duration.ofSeconds(3), Duration.ofSeconds(2)))
                .hasMessageContaining("initialBackoff");
    }

    private WorkloadCertificate obtain(SpiffeId identity) {
        CompletableFuture<WorkloadCertificate> future = manager.certificateFor(identity);
        WorkloadCertificate cert = ca.issue(identity, TTL);
        provider.lastFetch().complete(cert);
        return future.join();
    }
}
