package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.ResourceKind;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The certificate chain and key an ingress gateway serves, from the Kubernetes Secret a {@code credentialName}
 * names: {@code tls.crt} and {@code tls.key} (a {@code kubernetes.io/tls} Secret) or {@code cert} and {@code key},
 * as Istio reads them; base64 {@code data}, or {@code stringData} in a config folder. From the Kubernetes API
 * istiod-lite reads Secrets of every type but Helm releases and service account tokens, as Istio does.
 *
 * @param source {@code <namespace>/<secret>}
 * @param clientChecks for MUTUAL, what else a client certificate of the CA must have
 * @param clientCertificateRequired with a client CA: a client without a certificate is refused (else one is checked
 *     only when sent, Gateway API's {@code AllowInsecureFallback})
 */
record GatewayCredential(
        String source,
        String certificateChainPem,
        String privateKeyPem,
        Optional<String> clientCaPem,
        ClientChecks clientChecks,
        boolean clientCertificateRequired) {

    /**
     * An Istio MUTUAL server's {@code tls.subjectAltNames} (one of them among the certificate's names),
     * {@code verifyCertificateHash} / {@code verifyCertificateSpki} (the certificate or its key pinned) and the
     * revocation list client certificates are checked against ({@code caCrl}, or the Secret's {@code ca.crl}).
     */
    record ClientChecks(
            java.util.List<String> subjectAltNames,
            java.util.List<String> certificateHashes,
            java.util.List<String> spkiHashes,
            Optional<io.envoyproxy.envoy.config.core.v3.DataSource> revocationList) {
        static final ClientChecks NONE =
                new ClientChecks(java.util.List.of(), java.util.List.of(), java.util.List.of(), Optional.empty());

        ClientChecks {
            subjectAltNames = java.util.List.copyOf(subjectAltNames);
            certificateHashes = java.util.List.copyOf(certificateHashes);
            spkiHashes = java.util.List.copyOf(spkiHashes);
            java.util.Objects.requireNonNull(revocationList, "revocationList");
        }
    }

    /** The same credential, admitting only client certificates that pass {@code checks}. */
    GatewayCredential withClientChecks(ClientChecks checks) {
        return new GatewayCredential(
                source, certificateChainPem, privateKeyPem, clientCaPem, checks, clientCertificateRequired);
    }

    /** The same credential, checking client certificates against {@code caPem}; {@code required}: always asked. */
    GatewayCredential withClientCa(String caPem, boolean required) {
        return new GatewayCredential(
                source, certificateChainPem, privateKeyPem, Optional.of(caPem), ClientChecks.NONE, required);
    }

    /** The credential, or empty with a warning that says what is missing. */
    static Optional<GatewayCredential> resolve(
            ConfigSnapshot snapshot, String namespace, String credentialName, Consumer<String> warn) {
        String source = namespace + "/" + credentialName;
        Optional<Secret> secret = snapshot.get(ResourceKind.SECRET, namespace, credentialName, Secret.class);
        if (secret.isEmpty()) {
            warn.accept("secret " + source + " (credentialName) not found");
            return Optional.empty();
        }
        Optional<String> chain = value(secret.get(), "tls.crt").or(() -> value(secret.get(), "cert"));
        Optional<String> key = value(secret.get(), "tls.key").or(() -> value(secret.get(), "key"));
        if (chain.isEmpty() || key.isEmpty()) {
            warn.accept("secret " + source + " has no " + (chain.isEmpty() ? "tls.crt (or cert)" : "tls.key (or key)"));
            return Optional.empty();
        }
        if (!chain.get().contains("-----BEGIN CERTIFICATE-----") || !key.get().contains("PRIVATE KEY-----")) {
            warn.accept("secret " + source + ": "
                    + (chain.get().contains("-----BEGIN CERTIFICATE-----")
                            ? "tls.key is not a PEM private key"
                            : "tls.crt is not a PEM certificate"));
            return Optional.empty();
        }
        return Optional.of(
                new GatewayCredential(source, chain.get(), key.get(), Optional.empty(), ClientChecks.NONE, true));
    }

    /**
     * For {@code tls.mode: MUTUAL}: the credential and the CA that client certificates must chain to, as Istio looks
     * for it: {@code ca.crt} (or {@code cacert}) in the same Secret (cert-manager puts it there), else in the Secret
     * {@code <credentialName>-cacert}. Empty, with a warning, when there is none.
     */
    static Optional<GatewayCredential> resolveMutual(
            ConfigSnapshot snapshot, String namespace, String credentialName, Consumer<String> warn) {
        Optional<GatewayCredential> credential = resolve(snapshot, namespace, credentialName, warn);
        if (credential.isEmpty()) {
            return credential;
        }
        Optional<String> ca = certificateAuthority(snapshot, namespace, credentialName);
        String source = namespace + "/" + credentialName;
        if (ca.isEmpty()) {
            warn.accept("tls.mode MUTUAL needs the client CA: ca.crt in secret " + source + " or in secret " + source
                    + "-cacert");
            return Optional.empty();
        }
        if (!ca.get().contains("-----BEGIN CERTIFICATE-----")) {
            warn.accept("secret " + source + ": ca.crt is not a PEM certificate");
            return Optional.empty();
        }
        return Optional.of(credential.get().withClientCa(ca.get(), true));
    }

    /**
     * The CA certificate a {@code credentialName} gives, as Istio looks for it: {@code ca.crt} (or {@code cacert})
     * in that Secret, else in the Secret {@code <credentialName>-cacert}.
     */
    static Optional<String> certificateAuthority(ConfigSnapshot snapshot, String namespace, String credentialName) {
        for (String name : new String[] {credentialName, credentialName + "-cacert"}) {
            Optional<String> ca = snapshot.get(ResourceKind.SECRET, namespace, name, Secret.class)
                    .flatMap(secret -> value(secret, "ca.crt").or(() -> value(secret, "cacert")));
            if (ca.isPresent()) {
                return ca;
            }
        }
        return Optional.empty();
    }

    /**
     * The client-certificate revocation list a {@code credentialName} gives, as Istio looks for it: {@code ca.crl} in
     * that Secret, else in {@code <credentialName>-cacert}.
     */
    static Optional<String> revocationList(ConfigSnapshot snapshot, String namespace, String credentialName) {
        for (String name : new String[] {credentialName, credentialName + "-cacert"}) {
            Optional<String> crl = snapshot.get(ResourceKind.SECRET, namespace, name, Secret.class)
                    .flatMap(secret -> value(secret, "ca.crl"));
            if (crl.isPresent()) {
                return crl;
            }
        }
        return Optional.empty();
    }

    /** A Secret's entry: base64 {@code data}, or {@code stringData} as a config folder has it. */
    static Optional<String> value(Secret secret, String name) {
        Map<String, String> data = secret.getData();
        if (data != null && data.get(name) != null) {
            try {
                return Optional.of(new String(Base64.getMimeDecoder().decode(data.get(name)), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException notBase64) {
                return Optional.of("");
            }
        }
        Map<String, String> stringData = secret.getStringData();
        return Optional.ofNullable(stringData == null ? null : stringData.get(name));
    }
}
