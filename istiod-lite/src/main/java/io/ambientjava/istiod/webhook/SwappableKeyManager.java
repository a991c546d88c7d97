package io.ambientjava.istiod.webhook;

import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A server key manager whose certificate and key can be replaced while it serves: a handshake asks {@link #current()}
 * which pair to present, so new connections get the new pair and open ones keep theirs.
 */
abstract class SwappableKeyManager extends X509ExtendedKeyManager {

    private static final String ALIAS = "webhook";

    /** The pair for the next handshake (called at the start of each one). */
    protected abstract X509ExtendedKeyManager current();

    /** The last pair {@link #current()} gave, without looking for a new one. */
    protected abstract X509ExtendedKeyManager last();

    /** A key manager that presents {@code chain} (leaf first) with {@code key}, which must belong to its leaf. */
    static X509ExtendedKeyManager of(List<X509Certificate> chain, PrivateKey key) {
        WebhookServer.checkPair(chain.getFirst(), key);
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            char[] password = new char[0];
            store.setKeyEntry(ALIAS, key, password, chain.toArray(X509Certificate[]::new));
            KeyManagerFactory factory = KeyManagerFactory.getInstance("SunX509");
            factory.init(store, password);
            for (KeyManager manager : factory.getKeyManagers()) {
                if (manager instanceof X509ExtendedKeyManager keys) {
                    return keys;
                }
            }
            throw new IllegalStateException("no X.509 key manager");
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot use the webhook's certificate and key: " + e, e);
        }
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return current().chooseEngineServerAlias(keyType, issuers, engine);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return current().chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return last().getServerAliases(keyType, issuers);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return last().getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return last().getPrivateKey(alias);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null; // a server only
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return null;
    }
}
