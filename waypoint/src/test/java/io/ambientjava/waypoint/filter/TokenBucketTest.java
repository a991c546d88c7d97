package io.ambientjava.waypoint.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.waypoint.config.TokenBucketConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The token math of the shared bucket, on a clock the test moves. */
class TokenBucketTest {

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    private TokenBucket bucket(long max, long perFill, Duration interval) {
        return new TokenBucket(new TokenBucketConfig(max, perFill, interval), nanos::get);
    }

    private void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    private static int take(TokenBucket bucket, int attempts) {
        int allowed = 0;
        for (int i = 0; i < attempts; i++) {
            if (bucket.tryConsume().allowed()) {
                allowed++;
            }
        }
        return allowed;
    }

    @Test
    void startsFullAndRefusesOnceEmpty() {
        TokenBucket bucket = bucket(4, 4, Duration.ofSeconds(60));
        for (int i = 3; i >= 0; i--) {
            TokenBucket.Outcome outcome = bucket.tryConsume();
            assertThat(outcome.allowed()).isTrue();
            assertThat(outcome.remaining()).isEqualTo(i);
            assertThat(outcome.limit()).isEqualTo(4);
        }
        TokenBucket.Outcome refused = bucket.tryConsume();
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.remaining()).isZero();
        assertThat(refused.resetSeconds()).isEqualTo(60);
    }

    @Test
    void fillsAreDiscreteAndCappedAtMaxTokens() {
        TokenBucket bucket = bucket(10, 3, Duration.ofMillis(100));
        assertThat(take(bucket, 20)).isEqualTo(10);
        advance(Duration.ofMillis(99));
        assertThat(take(bucket, 5)).isZero(); // no fill before the whole interval
        advance(Duration.ofMillis(1));
        assertThat(take(bucket, 5)).isEqualTo(3);
        advance(Duration.ofMillis(250)); // two more whole intervals (at 200 ms and 300 ms)
        assertThat(take(bucket, 10)).isEqualTo(6);
        advance(Duration.ofSeconds(3600)); // a long idle time fills only up to max_tokens
        assertThat(bucket.available()).isEqualTo(10);
        assertThat(take(bucket, 20)).isEqualTo(10);
    }

    @Test
    void resetCountsWholeSecondsToTheNextFill() {
        TokenBucket bucket = bucket(1, 1, Duration.ofSeconds(10));
        bucket.tryConsume();
        advance(Duration.ofMillis(2_500));
        assertThat(bucket.tryConsume().resetSeconds()).isEqualTo(8); // 7.5 s rounded up
        advance(Duration.ofMillis(7_500));
        TokenBucket.Outcome after = bucket.tryConsume();
        assertThat(after.allowed()).isTrue();
        assertThat(after.resetSeconds()).isEqualTo(10);
    }

    @Test
    void admittedCountIsMaxTokensPlusOneFillPerInterval() {
        TokenBucket bucket = bucket(5, 2, Duration.ofMillis(50));
        int admitted = 0;
        // 4 attempts every 10 ms for 1 s: far more than the 2 per 50 ms the bucket grants
        for (int step = 0; step < 100; step++) {
            admitted += take(bucket, 4);
            advance(Duration.ofMillis(10));
        }
        // elapsed 990 ms at the last attempt: 19 fills of 2 tokens, plus the 5 it started with
        assertThat(admitted).isEqualTo(5 + 19 * 2);
    }

    @Test
    void aClockReadingOlderThanTheLastUpdateGrantsNoFill() {
        TokenBucket bucket = bucket(2, 2, Duration.ofMillis(100));
        advance(Duration.ofMillis(250));
        assertThat(take(bucket, 2)).isEqualTo(2); // two fills credited (capped), both tokens taken
        // another thread read the clock before this update and uses its reading now
        nanos.addAndGet(-Duration.ofMillis(150).toNanos());
        assertThat(bucket.tryConsume().allowed()).isFalse();
        assertThat(bucket.available()).isZero();
        advance(Duration.ofMillis(250)); // the clock moves on past the next fill (300 ms)
        assertThat(bucket.available()).isEqualTo(2);
    }

    @Test
    void threadsSharingOneBucketNeverTakeMoreThanItHolds() throws Exception {
        TokenBucket bucket = bucket(1_000, 1, Duration.ofSeconds(60));
        AtomicInteger allowed = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                allowed.addAndGet(take(bucket, 500));
            }));
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join(10_000);
        }
        assertThat(allowed.get()).isEqualTo(1_000);
    }

    @Test
    void refusesAnEmptyOrZeroConfig() {
        assertThatThrownBy(() -> new TokenBucketConfig(0, 1, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("max_tokens");
        assertThatThrownBy(() -> new TokenBucketConfig(1, 1, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fill_interval");
    }
}
