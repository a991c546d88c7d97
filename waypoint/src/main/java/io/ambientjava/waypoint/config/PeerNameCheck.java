package io.ambientjava.waypoint.config;

import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * {@code validation_context.match_typed_subject_alt_names}: a peer certificate (a client's at a listener, a server's at a cluster) is accepted only when one of its
 * subject alternative names of a listed type matches that entry's matcher (Envoy's rule: any entry, any name). An
 * Istio gateway server's {@code tls.subjectAltNames} (mode MUTUAL) arrives as these.
 */
record PeerNameCheck(List<Entry> entries) {

    /** One {@code SubjectAltNameMatcher}: the name type and the matcher for its value. */
    record Entry(SubjectAltNameMatcher.SanType type, StringMatch match) {}

    PeerNameCheck {
        entries = List.copyOf(entries);
    }

    static PeerNameCheck translate(List<SubjectAltNameMatcher> matchers, String path) {
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < matchers.size(); i++) {
            SubjectAltNameMatcher m = matchers.get(i);
            String mpath = path + "[" + i + "]";
            FieldGuard.onlyFields(m, mpath, Set.of("san_type", "matcher"));
            switch (m.getSanType()) {
                case DNS, URI, EMAIL, IP_ADDRESS -> {}
                default ->
                    throw FieldGuard.invalid(
                            mpath + ".san_type", "DNS, URI, EMAIL and IP_ADDRESS are supported, not " + m.getSanType());
            }
            if (!m.hasMatcher()) {
                throw FieldGuard.invalid(mpath + ".matcher", "needs a matcher");
            }
            entries.add(new Entry(m.getSanType(), MatcherTranslator.string(m.getMatcher(), mpath + ".matcher")));
        }
        return new PeerNameCheck(entries);
    }

    /** Throws, naming the certificate's names, unless one of them matches an entry. */
    void check(X509Certificate leaf) throws CertificateException {
        Collection<List<?>> names;
        try {
            names = leaf.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            throw new CertificateException("cannot read the certificate's subject alternative names", e);
        }
        List<String> seen = new ArrayList<>();
        if (names != null) {
            for (List<?> name : names) {
                SubjectAltNameMatcher.SanType type = typeOf((Integer) name.get(0));
                if (type == null || !(name.get(1) instanceof String value)) {
                    continue;
                }
                seen.add(type + ":" + value);
                for (Entry entry : entries) {
                    if (entry.type() == type && entry.match().matches(value)) {
                        return;
                    }
                }
            }
        }
        throw new CertificateException("certificate names " + seen + " match none of the allowed names");
    }

    /** {@code GeneralName} tags (RFC 5280): 1 rfc822Name, 2 dNSName, 6 URI, 7 iPAddress. */
    private static SubjectAltNameMatcher.SanType typeOf(int tag) {
        return switch (tag) {
            case 1 -> SubjectAltNameMatcher.SanType.EMAIL;
            case 2 -> SubjectAltNameMatcher.SanType.DNS;
            case 6 -> SubjectAltNameMatcher.SanType.URI;
            case 7 -> SubjectAltNameMatcher.SanType.IP_ADDRESS;
            default -> null;
        };
    }
}
