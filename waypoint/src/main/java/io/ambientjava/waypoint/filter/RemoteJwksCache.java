package io.ambientjava.waypoint.filter;

import com.nimbusds.jose.jwk.JWKSet;
import io.ambientjava.waypoint.config.JwksSource;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key set of one {@code remote_jwks} source: fetched with the JDK's HTTP client (never on an event loop),
 * kept for {@code cache_duration}, refreshed in the background while requests use it, and kept when a refresh
 * fails. Caches are shared by every config naming the same source, so a config push does not refetch.
 */
public final class RemoteJwksCache {

    private static final Logger LOG = LoggerFactory.getLogger(RemoteJwksCache.class);
    private static final ConcurrentMap<JwksSource.Remote, RemoteJwksCache> CACHES = new ConcurrentHashMap<>();
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
    /** At most one refetch for an unknown {@code kid} in this interval, so forged kids cannot flood the issuer. */
    private static final Duration UNKNOWN_KID_REFETCH_INTERVAL = Duration.ofSeconds(1);
    /** How soon a failed background refresh is tried again, unless cache_duration is shorter. */
    private static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(5);

    private final JwksSource.Remote source;
    private final LongSupplier nanoTime;

    private JWKSet keys; // null until a fetch succeeds
    private long fetchedAtNanos;
    private long lastUsedNanos;
    private long lastKidRefetchNanos;
    private boolean kidRefetchedBefore;
    private CompletableFuture<JWKSet> inFlight;
    private boolean refreshScheduled;

    RemoteJwksCache(JwksSource.Remote source, LongSupplier nanoTime) {
        this.source = source;
        this.nanoTime = nanoTime;
    }

    public static RemoteJwksCache of(JwksSource.Remote source) {
        return CACHES.computeIfAbsent(source, s -> new RemoteJwksCache(s, System::nanoTime));
    }

    /**
     * The keys to verify a token signed with {@code kid} (null: none named): at once when cached, else when a
     * fetch ends. Completes with null, never exceptionally, when no key set could be had within the timeout.
     */
    public synchronized CompletableFuture<JWKSet> keysFor(String kid) {
        long now = nanoTime.getAsLong();
        lastUsedNanos = now;
        if (keys == null) {
            return fetch().copy().completeOnTimeout(null, source.timeout().toNanos(), TimeUnit.NANOSECONDS);
        }
        if (kid != null && keys.getKeyByKeyId(kid) == null && mayRefetchForKid(now)) {
            lastKidRefetchNanos = now;
            kidRefetchedBefore = true;
            JWKSet known = keys;
            return fetch().copy().completeOnTimeout(known, source.timeout().toNanos(), TimeUnit.NANOSECONDS);
        }
        if (now - fetchedAtNanos > source.cacheDuration().toNanos()) {
            fetch(); // expired while nobody used it: refresh, and use the old keys meanwhile
        }
        return CompletableFuture.completedFuture(keys);
    }

    private boolean mayRefetchForKid(long now) {
        return !kidRefetchedBefore || now - lastKidRefetchNanos >= UNKNOWN_KID_REFETCH_INTERVAL.toNanos();
    }

    private synchronized CompletableFuture<JWKSet> fetch() {
        if (inFlight != null) {
            return inFlight;
        }
        CompletableFuture<JWKSet> result = new CompletableFuture<>();
        inFlight = result;
        HttpRequest request = HttpRequest.newBuilder(source.uri())
                .timeout(source.timeout())
                .header("accept", "application/json")
                .GET()
                .build();
        CompletableFuture<HttpResponse<String>> response;
        try {
            response = CLIENT.sendAsync(request, HttpResponse.BodyHandlers.ofString());
        } catch (RuntimeException e) {
            response = CompletableFuture.failedFuture(e);
        }
        response.handle((r, error) -> {
            fetched(result, parse(r, error));
            return null;
        });
        return result;
    }

    private JWKSet parse(HttpResponse<String> response, Throwable error) {
        if (error != null) {
            LOG.warn("jwks fetch from {} failed: {}", source.uri(), error.toString());
            return null;
        }
        if (response.statusCode() != 200) {
            LOG.warn("jwks fetch from " + source.uri() + " answered " + response.statusCode());
            return null;
        }
        try {
            JWKSet parsed = JWKSet.parse(response.body());
            if (parsed.getKeys().isEmpty()) {
                LOG.warn("jwks from " + source.uri() + " holds no keys");
                return null;
            }
            return parsed;
        } catch (java.text.ParseException e) {
            LOG.warn("jwks from " + source.uri() + " is not a JWKS: " + e.getMessage());
            return null;
        }
    }

    private void fetched(CompletableFuture<JWKSet> result, JWKSet fresh) {
        JWKSet answer;
        synchronized (this) {
            inFlight = null;
            if (fresh != null) {
                keys = fresh;
                fetchedAtNanos = nanoTime.getAsLong();
            }
            answer = keys; // on failure: the last good set, or null when there never was one
            if (keys != null) {
                Duration delay =
                        fresh != null ? source.cacheDuration() : min(source.cacheDuration(), RETRY_AFTER_FAILURE);
                scheduleRefresh(delay);
            }
        }
        result.complete(answer);
    }

    private void scheduleRefresh(Duration delay) {
        if (refreshScheduled) {
            return;
        }
        refreshScheduled = true;
        CompletableFuture.delayedExecutor(delay.toNanos(), TimeUnit.NANOSECONDS).execute(this::refresh);
    }

    private synchronized void refresh() {
        refreshScheduled = false;
        // Only a source still in use is refreshed: one dropped from the config stops polling its issuer.
        if (nanoTime.getAsLong() - lastUsedNanos <= 2 * source.cacheDuration().toNanos()) {
            fetch();
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
