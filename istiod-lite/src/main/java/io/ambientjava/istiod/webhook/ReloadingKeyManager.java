package io.ambientjava.istiod.webhook;

import io.ambientjava.identity.pem.Pem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook's certificate and key, read again when their files change (a rotated Secret volume, cert-manager),
 * checked at most once per interval during handshakes. A pair that cannot be read or does not match is logged and
 * the previous one kept until the files change again.
 */
final class ReloadingKeyManager extends SwappableKeyManager {

    private static final Logger log = LoggerFactory.getLogger(ReloadingKeyManager.class);

    private record Loaded(String fingerprint, X509ExtendedKeyManager keys) {}

    private final Path certificateChain;
    private final Path privateKey;
    private final long checkIntervalNanos;
    private volatile Loaded loaded;
    private volatile long lastCheckNanos;

    /** Reads the pair now; a missing file or a mismatch fails here, at start. */
    ReloadingKeyManager(Path certificateChain, Path privateKey, Duration checkInterval) {
        this.certificateChain = certificateChain;
        this.privateKey = privateKey;
        this.checkIntervalNanos = checkInterval.toNanos();
        this.loaded = load(fingerprint());
        this.lastCheckNanos = System.nanoTime();
    }

    @Override
    protected X509ExtendedKeyManager current() {
        long now = System.nanoTime();
        if (now - lastCheckNanos >= checkIntervalNanos) {
            synchronized (this) {
                if (now - lastCheckNanos >= checkIntervalNanos) {
                    lastCheckNanos = now;
                    reloadIfChanged();
                }
            }
        }
        return loaded.keys();
    }

    private void reloadIfChanged() {
        String fingerprint;
        try {
            fingerprint = fingerprint();
        } catch (RuntimeException e) {
            log.warn("cannot look at the webhook certificate files: {}; keeping the current pair", e.getMessage());
            return;
        }
        if (fingerprint.equals(loaded.fingerprint())) {
            return;
        }
        try {
            loaded = load(fingerprint);
            log.info("webhook certificate reloaded from {}", certificateChain);
        } catch (RuntimeException e) {
            log.warn("cannot reload the webhook certificate: {}; keeping the current pair", e.getMessage());
        }
    }

    private String fingerprint() {
        return stamp(certificateChain) + "|" + stamp(privateKey);
    }

    private static String stamp(Path file) {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return attributes.size() + "@" + attributes.lastModifiedTime().toMillis() + "#" + attributes.fileKey();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + file, e);
        }
    }

    private Loaded load(String fingerprint) {
        List<X509Certificate> chain = Pem.readCertificates(certificateChain);
        PrivateKey key = Pem.readPrivateKey(privateKey);
        return new Loaded(fingerprint, of(chain, key));
    }

    @Override
    protected X509ExtendedKeyManager last() {
        return loaded.keys();
    }
}
