package io.ambientjava.perf.jmh;

import io.netty.util.concurrent.FastThreadLocalThread;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * JMH's worker threads as Netty {@link FastThreadLocalThread}s, chosen with {@code -Djmh.executor=CUSTOM
 * -Djmh.executor.class=<this class>}. Netty 4.2 recycles pooled objects (outbound buffer entries, ...) only on
 * such threads, as event loop threads are; on JMH's plain threads the benchmark would count allocations a real
 * event loop never makes.
 */
public final class FastThreadLocalExecutor extends ThreadPoolExecutor {

    /** The constructor JMH's CUSTOM executor type calls. */
    public FastThreadLocalExecutor(int maxThreads, String prefix) {
        super(maxThreads, maxThreads, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>(), new Factory(prefix));
    }

    private static final class Factory implements java.util.concurrent.ThreadFactory {
        private final String prefix;
        private final AtomicInteger count = new AtomicInteger();

        Factory(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public Thread newThread(Runnable task) {
            Thread thread = new FastThreadLocalThread(task, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        }
    }
}
