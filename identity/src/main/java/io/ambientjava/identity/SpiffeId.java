package io.ambientjava.identity;

import java.net.URI;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A workload identity as Istio writes it into the URI SAN: {@code spiffe://<trust-domain>/ns/<ns>/sa/<sa>}.
 */
public record SpiffeId(String trustDomain, String namespace, String serviceAccount) {

    private static final String SCHEME_PREFIX = "spiffe://";
    private static final int URI_SAN = 6; // GeneralName tag for uniformResourceIdentifier
    // Trust domains are DNS-like; namespace and service account names are Kubernetes DNS labels/subdomains.
    private static final Pattern TRUST_DOMAIN = Pattern.compile("[a-z0-9._-]{1,255}");
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?");

    public SpiffeId {
        Objects.requireNonNull(trustDomain, "trustDomain");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(serviceAccount, "serviceAccount");
        if (!TRUST_DOMAIN.matcher(trustDomain).matches()) {
            throw new IllegalArgumentException("invalid SPIFFE trust domain '" + trustDomain + "'");
        }
        if (!NAME.matcher(namespace).matches()) {
            throw new IllegalArgumentException("invalid namespace '" + namespace + "' in SPIFFE ID");
        }
        if (!NAME.matcher(serviceAccount).matches()) {
            throw new IllegalArgumentException("invalid service account '" + serviceAccount + "' in SPIFFE ID");
        }
    }

    /** Parses {@code spiffe://td/ns/NS/sa/SA}; anything else is rejected with the reason. */
    public static SpiffeId parse(String uri) {
        Objects.requireNonNull(uri, "uri");
        if (!uri.startsWith(SCHEME_PREFIX)) {
            throw new IllegalArgumentException("not a SPIFFE ID (expected spiffe:// prefix): '" + uri + "'");
        }
        String rest = uri.substring(SCHEME_PREFIX.length());
        String[] parts = rest.split("/", -1);
        if (parts.length != 5 || !parts[1].equals("ns") || !parts[3].equals("sa")) {
            throw new IllegalArgumentException(
                    "SPIFFE ID '" + uri + "' does not have the form spiffe://<trust-domain>/ns/<namespace>/sa/<sa>");
        }
        return new SpiffeId(parts[0], parts[2], parts[4]);
    }

    /**
     * The SPIFFE ID in {@code certificate}'s URI SAN. Exactly one URI SAN is required: none, two or more, or
     * one that is not a SPIFFE ID is rejected with a message naming what was found.
     */
    public static SpiffeId fromCertificate(X509Certificate certificate) {
        Objects.requireNonNull(certificate, "certificate");
        List<String> uris = uriSans(certificate);
        if (uris.isEmpty()) {
            throw new IllegalArgumentException("certificate (serial "
                    + certificate.getSerialNumber().toString(16) + ") has no URI SAN; a SPIFFE ID is required");
        }
        if (uris.size() > 1) {
            throw new IllegalArgumentException(
                    "certificate has " + uris.size() + " URI SANs " + uris + "; exactly one SPIFFE ID is required");
        }
        return parse(uris.getFirst());
    }

    private static List<String> uriSans(X509Certificate certificate) {
        Collection<List<?>> sans;
        try {
            sans = certificate.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            throw new IllegalArgumentException("certificate has a malformed SAN extension: " + e.getMessage(), e);
        }
        List<String> uris = new ArrayList<>();
        if (sans != null) {
            for (List<?> san : sans) {
                if (san.size() >= 2 && Integer.valueOf(URI_SAN).equals(san.get(0))) {
                    uris.add(String.valueOf(san.get(1)));
                }
            }
        }
        return uris;
    }

    public URI toUri() {
        return URI.create(toString());
    }

    @Override
    public String toString() {
        return SCHEME_PREFIX + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
    }
}
