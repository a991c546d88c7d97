package io.ambientjava.waypoint.filter;

import io.ambientjava.waypoint.config.TokenBucketConfig;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A token bucket shared by every event loop, without locks: the state (tokens left, and the number of fill
 * intervals already credited) is one {@code long} changed by compare-and-set. Fills are discrete, as Envoy's timer
 * does them: the bucket starts full, and at each whole {@code fill_interval} since it was made it gains
 * {@code tokens_per_fill}, up to {@code max_tokens}. Fills are computed from the clock when a request comes, so no
 * timer runs.
 */
public final class TokenBucket {

    private static final long LOW = 0xFFFF_FFFFL;

    private final TokenBucketConfig config;
    private final LongSupplier nanoClock;
    private final long origin;
    private final long intervalNanos;
    /** High 32 bits: fill intervals credited (mod 2^32); low 32 bits: tokens left. */
    private final AtomicLong state;

    /** @param nanoClock monotonic nanoseconds, {@code System::nanoTime} outside tests */
    public TokenBucket(TokenBucketConfig config, LongSupplier nanoClock) {
        this.config = config;
        this.nanoClock = nanoClock;
        this.origin = nanoClock.getAsLong();
        this.intervalNanos = config.fillInterval().toNanos();
        this.state = new AtomicLong(Math.min(config.maxTokens(), LOW));
    }

    /** What one attempt to take a token found. */
    public record Outcome(boolean allowed, long remaining, long resetSeconds, long limit) {}

    public TokenBucketConfig config() {
        return config;
    }

    /** Takes one token if there is one. */
    public Outcome tryConsume() {
        while (true) {
            // state first, then the clock: a state another thread wrote is then never newer than our reading
            long current = state.get();
            long now = nanoClock.getAsLong();
            long fills = creditable(current, now);
            long tokens = refilled(current, fills);
            boolean allowed = tokens > 0;
            long left = allowed ? tokens - 1 : tokens;
            long next = (fills << 32) | left;
            if (next == current || state.compareAndSet(current, next)) {
                return new Outcome(allowed, left, resetSeconds(now), config.maxTokens());
            }
        }
    }

    /** Tokens available now, without taking one. */
    public long available() {
        long current = state.get();
        return refilled(current, creditable(current, nanoClock.getAsLong()));
    }

    private long fillsAt(long now) {
        return Math.max(0, now - origin) / intervalNanos;
    }

    /**
     * The fill count (mod 2^32) to credit up to: the clock's, unless that is behind what the state already credits
     * (a reading older than another thread's update), which must not look like 2^32 fills due.
     */
    private long creditable(long current, long now) {
        long credited = current >>> 32;
        long fills = fillsAt(now) & LOW;
        return (int) (fills - credited) < 0 ? credited : fills;
    }

    private long refilled(long current, long fills) {
        long credited = current >>> 32;
        long tokens = current & LOW;
        long due = (fills - credited) & LOW;
        if (due == 0) {
            return tokens;
        }
        long room = config.maxTokens() - tokens;
        // due * tokensPerFill may overflow for long idle buckets: compare by division instead
        return due >= (room + config.tokensPerFill() - 1) / config.tokensPerFill()
                ? config.maxTokens()
                : tokens + due * config.tokensPerFill();
    }

    /** Whole seconds (rounded up) until the next fill, as {@code x-ratelimit-reset} reports it. */
    private long resetSeconds(long now) {
        long elapsed = Math.max(0, now - origin);
        long untilNext = (elapsed / intervalNanos + 1) * intervalNanos - elapsed;
        return (untilNext + 999_999_999L) / 1_000_000_000L;
    }
}
