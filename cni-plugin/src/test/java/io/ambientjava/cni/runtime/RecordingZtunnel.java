package io.ambientjava.cni.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.ambientjava.api.zds.WorkloadInfo;
import io.ambientjava.zds.NamespaceFds;
import io.ambientjava.zds.WorkloadHandler;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** ztunnel's side of ZDS as a test sees it: each request as a line of text, in order. */
public final class RecordingZtunnel implements WorkloadHandler {
    private final LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();

    @Override
    public Outcome add(String uid, WorkloadInfo info, int netnsFd) {
        NamespaceFds.close(netnsFd);
        events.add("add " + info.getNamespace() + "/" + info.getName() + " sa=" + info.getServiceAccount());
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

    /** The next event within 5 s. */
    public String next() throws InterruptedException {
        String event = events.poll(5, TimeUnit.SECONDS);
        assertThat(event).as("ZDS event within 5 s").isNotNull();
        return event;
    }

    /** Asserts nothing arrives within {@code quiet}. */
    public void assertQuietFor(Duration quiet) throws InterruptedException {
        assertThat(events.poll(quiet.toMillis(), TimeUnit.MILLISECONDS)).isNull();
    }

    public void clear() {
        events.clear();
    }
}
