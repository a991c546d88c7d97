package io.ambientjava.hbone.testsupport;

import io.netty.util.internal.PlatformDependent;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;

/**
 * Samples memory while something runs: used heap right after a full GC (so only live objects count), and direct
 * memory (the JDK's direct buffer pool plus what Netty allocates itself). Reports the largest growth over the
 * baseline taken at start.
 */
public final class MemoryWatcher implements AutoCloseable {

    /** Largest growth over the baseline seen in any sample, in bytes. */
    public record Growth(long heap, long direct, int samples) {}

    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final long heapBaseline;
    private final long directBaseline;
    private final Thread sampler;
    private volatile boolean running = true;
    private volatile long maxHeap;
    private volatile long maxDirect;
    private volatile int samples;

    public MemoryWatcher(Duration interval) {
        heapBaseline = settledHeap();
        directBaseline = direct();
        maxHeap = heapBaseline;
        maxDirect = directBaseline;
        sampler = Thread.ofPlatform().daemon().name("memory-watcher").start(() -> {
            while (running) {
                try {
                    Thread.sleep(interval);
                } catch (InterruptedException e) {
                    return;
                }
                maxHeap = Math.max(maxHeap, heapAfterGc());
                maxDirect = Math.max(maxDirect, direct());
                if (Boolean.getBoolean("hbone.test.memoryTrace")) {
                    System.out.printf(
                            "memory: heap %d KiB, jdk direct %d KiB, netty direct %d KiB%n",
                            (heapAfterGc() - heapBaseline) >> 10,
                            jdkDirect() >> 10,
                            PlatformDependent.usedDirectMemory() >> 10);
                }
                samples++;
            }
        });
    }

    public Growth growth() {
        return new Growth(maxHeap - heapBaseline, maxDirect - directBaseline, samples);
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        sampler.interrupt();
        sampler.join();
    }

    private long settledHeap() {
        long min = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            min = Math.min(min, heapAfterGc());
        }
        return min;
    }

    private long heapAfterGc() {
        System.gc();
        return memory.getHeapMemoryUsage().getUsed();
    }

    private static long jdkDirect() {
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(pool -> pool.getName().equals("direct"))
                .mapToLong(BufferPoolMXBean::getMemoryUsed)
                .sum();
    }

    private static long direct() {
        return jdkDirect() + Math.max(0, PlatformDependent.usedDirectMemory());
    }
}
