package io.ambientjava.istiod.server;

import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ConfigSource;
import io.ambientjava.istiod.translate.AmbientTranslation;
import io.ambientjava.istiod.translate.AmbientTranslator;
import io.ambientjava.istiod.translate.TranslationWarning;
import io.ambientjava.istiod.xds.XdsCache;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Config snapshots in, xDS snapshots out: waits until a burst of config changes has been quiet for the debounce
 * time (at most ten times that in all), then translates the newest snapshot once and publishes it (workload
 * resources for ztunnels, Envoy resources for waypoints and gateways), so a burst becomes one delta per client. New translation warnings are logged once each.
 */
public final class TranslationPipeline implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TranslationPipeline.class);

    private final ConfigSource source;
    private final AmbientTranslator translator;
    private final XdsCache cache;
    private final Duration debounce;
    private final ScheduledExecutorService executor;
    private volatile List<TranslationWarning> warnings = List.of();
    private Set<TranslationWarning> logged = Set.of();
    private ScheduledFuture<?> scheduled;
    private long firstChangeNanos;
    private long lastChangeNanos;

    public TranslationPipeline(ConfigSource source, AmbientTranslator translator, XdsCache cache, Duration debounce) {
        this.source = Objects.requireNonNull(source, "source");
        this.translator = Objects.requireNonNull(translator, "translator");
        this.cache = Objects.requireNonNull(cache, "cache");
        this.debounce = Objects.requireNonNull(debounce, "debounce");
        this.executor = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("xds-translate").factory());
    }

    /** Translates the source's current snapshot now, then follows its changes. */
    public TranslationPipeline start() {
        flush();
        source.addListener(this::changed);
        return this;
    }

    /** The warnings of the newest translation. */
    public List<TranslationWarning> warnings() {
        return warnings;
    }

    /** Translates the newest snapshot now and waits for it (skipping the debounce). */
    public void flush() {
        try {
            executor.submit(this::translate).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException("translation failed", e.getCause());
        }
    }

    private void changed(ConfigSnapshot snapshot) {
        executor.execute(() -> {
            long now = System.nanoTime();
            lastChangeNanos = now;
            if (scheduled == null) {
                firstChangeNanos = now;
                scheduled = executor.schedule(this::settle, debounce.toNanos(), TimeUnit.NANOSECONDS);
            }
        });
    }

    private void settle() {
        long now = System.nanoTime();
        long quiet = now - lastChangeNanos;
        long waited = now - firstChangeNanos;
        if (quiet < debounce.toNanos() && waited < debounce.toNanos() * 10) {
            scheduled = executor.schedule(this::settle, debounce.toNanos() - quiet, TimeUnit.NANOSECONDS);
            return;
        }
        scheduled = null;
        translate();
    }

    private void translate() {
        ConfigSnapshot snapshot = source.current();
        AmbientTranslation translation;
        try {
            translation = translator.translate(snapshot);
        } catch (RuntimeException e) {
            log.error(
                    "translating config generation {} failed; keeping the previous xDS state",
                    snapshot.generation(),
                    e);
            return;
        }
        warnings = translation.warnings();
        Set<TranslationWarning> current = new HashSet<>(translation.warnings());
        for (TranslationWarning warning : translation.warnings()) {
            if (!logged.contains(warning)) {
                log.warn("{}", warning);
            }
        }
        logged = current;
        cache.update(translation);
        cache.updateProxies(translation.envoy());
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
