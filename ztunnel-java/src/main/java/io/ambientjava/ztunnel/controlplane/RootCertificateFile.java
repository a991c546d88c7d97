package io.ambientjava.ztunnel.controlplane;

import io.ambientjava.identity.TrustBundle;
import io.ambientjava.identity.pem.Pem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh roots from a PEM file that can change while ztunnel runs: the {@code istio-ca-root-cert} ConfigMap mounted
 * as a volume, which the kubelet updates in place when istiod rotates its root. The file is read again at most once
 * per {@code checkInterval} when the roots are asked for (at every TLS handshake with istiod); new content that is
 * not a PEM bundle is logged and the previous roots kept until the file changes again.
 */
public final class RootCertificateFile implements Supplier<TrustBundle> {

    private static final Logger log = LoggerFactory.getLogger(RootCertificateFile.class);

    private record Loaded(String pem, TrustBundle roots) {}

    private final Path file;
    private final long checkIntervalNanos;
    private volatile Loaded loaded;
    private volatile long lastCheckNanos;

    private RootCertificateFile(Path file, Loaded first, Duration checkInterval) {
        this.file = file;
        this.loaded = first;
        this.checkIntervalNanos = checkInterval.toNanos();
        this.lastCheckNanos = System.nanoTime();
    }

    /**
     * Reads {@code file} now. When it does not exist yet but its folder does (an optional ConfigMap volume whose
     * ConfigMap istiod has not published yet), waits for it, saying so every {@code reportEvery}.
     *
     * @throws IllegalArgumentException when the file holds no PEM certificate, or neither it nor its folder exists
     */
    public static RootCertificateFile open(Path file, Duration checkInterval, Duration reportEvery)
            throws InterruptedException {
        Objects.requireNonNull(file, "file");
        long waitingSince = System.nanoTime();
        long nextReport = waitingSince;
        while (true) {
            try {
                return new RootCertificateFile(file, load(file), checkInterval);
            } catch (MissingFile e) {
                Path folder = file.toAbsolutePath().getParent();
                if (folder == null || !Files.isDirectory(folder)) {
                    throw new IllegalArgumentException("no such file, and no folder " + folder + " to wait in");
                }
                long now = System.nanoTime();
                if (now - nextReport >= 0) {
                    log.info(
                            "waiting for the mesh root certificate {} (istiod publishes it as the istio-ca-root-cert"
                                    + " ConfigMap); {} s so far",
                            file,
                            Duration.ofNanos(now - waitingSince).toSeconds());
                    nextReport = now + reportEvery.toNanos();
                }
                Thread.sleep(Math.max(1, Math.min(checkInterval.toMillis(), 1000)));
            }
        }
    }

    @Override
    public TrustBundle get() {
        long now = System.nanoTime();
        if (now - lastCheckNanos >= checkIntervalNanos) {
            synchronized (this) {
                if (now - lastCheckNanos >= checkIntervalNanos) {
                    lastCheckNanos = now;
                    reloadIfChanged();
                }
            }
        }
        return loaded.roots();
    }

    private void reloadIfChanged() {
        try {
            String pem = Files.readString(file);
            if (pem.equals(loaded.pem())) {
                return;
            }
            loaded = new Loaded(pem, parse(pem));
            log.info(
                    "mesh root certificate {} changed: {} root(s) now trusted for istiod",
                    file,
                    loaded.roots().roots().size());
        } catch (IOException | RuntimeException e) {
            log.warn(
                    "cannot read the mesh root certificate {} again ({}); keeping the roots read before",
                    file,
                    e.getMessage());
        }
    }

    /** Thrown by {@link #load} when the file is not there (yet). */
    private static final class MissingFile extends Exception {
        MissingFile() {
            super(null, null, false, false);
        }
    }

    private static Loaded load(Path file) throws MissingFile {
        String pem;
        try {
            pem = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new MissingFile();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read it: " + e.getMessage(), e);
        }
        return new Loaded(pem, parse(pem));
    }

    private static TrustBundle parse(String pem) {
        var certificates = Pem.readCertificates(pem);
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException("it holds no PEM certificate");
        }
        return new TrustBundle(certificates);
    }
}
