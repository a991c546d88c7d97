package io.ambientjava.zds;

import io.ambientjava.api.zds.WorkloadInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A {@link WorkloadHandler} that records what it was told and what inode each netns fd had. */
final class RecordingHandler implements WorkloadHandler {
    final LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();
    final Map<String, Object> netnsInodes = new ConcurrentHashMap<>();
    final Map<String, WorkloadInfo> infos = new ConcurrentHashMap<>();
    final Map<String, String> refusals = new ConcurrentHashMap<>();
    final AtomicInteger connections = new AtomicInteger();

    @Override
    public void connected() {
        connections.incrementAndGet();
    }

    @Override
    public Outcome add(String uid, WorkloadInfo info, int netnsFd) {
        String refusal = refusals.get(uid);
        if (refusal != null) {
            events.add("refused " + uid);
            return Outcome.failed(refusal);
        }
        try {
            netnsInodes.put(uid, Files.getAttribute(Path.of("/proc/self/fd/" + netnsFd), "unix:ino"));
        } catch (IOException e) {
            return Outcome.failed(e.toString());
        } finally {
            NamespaceFds.close(netnsFd);
        }
        infos.put(uid, info);
        events.add("add " + uid);
        return Outcome.ok();
    }

    @Override
    public Outcome delete(String uid) {
        events.add("delete " + uid);
        return Outcome.ok();
    }

    @Override
    public Outcome keep(String uid) {
        events.add("keep " + uid);
        return Outcome.ok();
    }

    @Override
    public Outcome snapshotSent() {
        events.add("snapshot sent");
        return Outcome.ok();
    }

    /** The next event, waiting at most 5 s. */
    String next() throws InterruptedException {
        String event = events.poll(5, TimeUnit.SECONDS);
        if (event == null) {
            throw new AssertionError("no event within 5 s");
        }
        return event;
    }

    /** Asserts nothing more arrives within {@code quiet}. */
    String nextOrNull(Duration quiet) throws InterruptedException {
        return events.poll(quiet.toMillis(), TimeUnit.MILLISECONDS);
    }
}
