package io.ambientjava.hbone.testsupport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Registered for every test class (ServiceLoader autodetection): after a class, forces garbage collection and
 * a few allocations so Netty's leak detector (paranoid in this module's surefire config) reports any buffer that
 * was never released, and fails the class if it did.
 */
public final class NoLeaksExtension implements AfterAllCallback {

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        List<String> leaks = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            System.gc();
            Thread.sleep(100);
            // The detector looks for collected, unreleased buffers when a new buffer is tracked.
            for (ByteBufAllocator alloc : List.of(
                    ByteBufAllocator.DEFAULT, PooledByteBufAllocator.DEFAULT, UnpooledByteBufAllocator.DEFAULT)) {
                for (int i = 0; i < 50; i++) {
                    ByteBuf buf = alloc.directBuffer(8);
                    buf.release();
                }
            }
            leaks.addAll(CapturedLogs.drainLeakReports());
        }
        if (!leaks.isEmpty()) {
            throw new AssertionError("Netty reported " + leaks.size() + " leaked buffer(s) after "
                    + context.getDisplayName() + ":\n" + String.join("\n\n", leaks));
        }
    }
}
