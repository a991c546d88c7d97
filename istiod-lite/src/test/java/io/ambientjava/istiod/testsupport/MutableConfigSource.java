package io.ambientjava.istiod.testsupport;

import io.ambientjava.istiod.config.ConfigProblem;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ConfigSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** A config source a test sets directly, from YAML text. */
public final class MutableConfigSource implements ConfigSource {

    private final List<Consumer<ConfigSnapshot>> listeners = new CopyOnWriteArrayList<>();
    private volatile ConfigSnapshot current = ConfigSnapshot.empty();
    private long generation;

    public MutableConfigSource(String... yaml) {
        if (yaml.length > 0) {
            current = Configs.snapshot(++generation, yaml);
        }
    }

    public synchronized void set(String... yaml) {
        publish(Configs.snapshot(++generation, yaml));
    }

    /** Publishes a snapshot built beforehand (so a test can publish a burst without parsing in between). */
    public synchronized void publish(ConfigSnapshot snapshot) {
        current = snapshot;
        listeners.forEach(l -> l.accept(current));
    }

    @Override
    public ConfigSnapshot current() {
        return current;
    }

    @Override
    public List<ConfigProblem> problems() {
        return List.of();
    }

    @Override
    public void addListener(Consumer<ConfigSnapshot> listener) {
        listeners.add(listener);
    }

    @Override
    public void close() {}
}
