package io.ambientjava.istiod.config;

import java.util.List;
import java.util.function.Consumer;

/**
 * Where istiod-lite's configuration comes from (a local folder now, the Kubernetes API later). A source hands
 * out immutable snapshots; a new snapshot replaces the old one as a whole.
 */
public interface ConfigSource extends AutoCloseable {

    /** The newest snapshot; never null (empty before the first read). */
    ConfigSnapshot current();

    /**
     * Problems found in the input behind {@link #current()}: errors for documents that were refused and
     * warnings for documents that were taken with a caveat.
     */
    List<ConfigProblem> problems();

    /** Called with every new snapshot, on the source's own thread; listeners must not block for long. */
    void addListener(Consumer<ConfigSnapshot> listener);

    @Override
    void close();
}
