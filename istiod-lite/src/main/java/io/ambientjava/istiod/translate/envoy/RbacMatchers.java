package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.IpPrefix;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ListMatcher;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import java.util.List;
import java.util.Optional;

/**
 * The building blocks of Envoy RBAC policies in Istio's spelling: its {@code *} wildcard rules for strings, and the
 * and/or/not combinators that collapse trivial sets (one element stays itself, none is {@code any}).
 */
final class RbacMatchers {

    private RbacMatchers() {}

    /**
     * Istio's wildcard forms: {@code *} any non-empty value, {@code *x} suffix, {@code x*} prefix, else exact. The
     * {@code prefix} (like {@code spiffe://}) is put before prefix and exact values only, as Istio does.
     */
    static StringMatcher istio(String value, String prefix) {
        StringMatcher.Builder matcher = StringMatcher.newBuilder();
        if (value.equals("*")) {
            matcher.setSafeRegex(StringMatchers.regex(".+"));
        } else if (value.startsWith("*")) {
            matcher.setSuffix(value.substring(1));
        } else if (value.endsWith("*")) {
            matcher.setPrefix(prefix + value.substring(0, value.length() - 1));
        } else {
            matcher.setExact(prefix + value);
        }
        return matcher.build();
    }

    static StringMatcher istio(String value) {
        return istio(value, "");
    }

    /** A header condition in Istio's forms; {@code *} means "present" (any value, even empty). */
    static HeaderMatcher header(String name, String value) {
        HeaderMatcher.Builder header = HeaderMatcher.newBuilder().setName(name);
        if (value.equals("*")) {
            header.setPresentMatch(true);
        } else {
            header.setStringMatch(istio(value));
        }
        return header.build();
    }

    /** A value in the JWT payload that {@code jwt_authn} stored in the request's dynamic metadata. */
    static MetadataMatcher jwtPayload(List<String> claimPath, ValueMatcher value) {
        MetadataMatcher.Builder matcher = MetadataMatcher.newBuilder()
                .setFilter(EnvoyNames.JWT_AUTHN_FILTER)
                .setValue(value);
        matcher.addPath(MetadataMatcher.PathSegment.newBuilder().setKey(EnvoyNames.JWT_PAYLOAD_METADATA_KEY));
        for (String key : claimPath) {
            matcher.addPath(MetadataMatcher.PathSegment.newBuilder().setKey(key));
        }
        return matcher.build();
    }

    /** A claim that is a string, or a list holding a matching string (like {@code aud} or {@code groups}). */
    static Principal claim(List<String> claimPath, String value) {
        ValueMatcher string = value.equals("*")
                ? ValueMatcher.newBuilder().setPresentMatch(true).build()
                : ValueMatcher.newBuilder().setStringMatch(istio(value)).build();
        if (value.equals("*")) {
            return Principal.newBuilder()
                    .setMetadata(jwtPayload(claimPath, string))
                    .build();
        }
        ValueMatcher inList = ValueMatcher.newBuilder()
                .setListMatch(ListMatcher.newBuilder().setOneOf(string))
                .build();
        return orIds(List.of(
                Principal.newBuilder()
                        .setMetadata(jwtPayload(claimPath, string))
                        .build(),
                Principal.newBuilder()
                        .setMetadata(jwtPayload(claimPath, inList))
                        .build()));
    }

    static Optional<CidrRange> cidr(String value) {
        return IpPrefix.parse(value)
                .map(prefix -> CidrRange.newBuilder()
                        .setAddressPrefix(prefix.address().getHostAddress())
                        .setPrefixLen(com.google.protobuf.UInt32Value.of(prefix.length()))
                        .build());
    }

    static Principal anyPrincipal() {
        return Principal.newBuilder().setAny(true).build();
    }

    static Permission anyPermission() {
        return Permission.newBuilder().setAny(true).build();
    }

    static Principal orIds(List<Principal> ids) {
        if (ids.size() == 1) {
            return ids.getFirst();
        }
        return Principal.newBuilder()
                .setOrIds(Principal.Set.newBuilder().addAllIds(ids))
                .build();
    }

    static Principal andIds(List<Principal> ids) {
        if (ids.isEmpty()) {
            return anyPrincipal();
        }
        if (ids.size() == 1) {
            return ids.getFirst();
        }
        return Principal.newBuilder()
                .setAndIds(Principal.Set.newBuilder().addAllIds(ids))
                .build();
    }

    static Principal notId(Principal id) {
        return Principal.newBuilder().setNotId(id).build();
    }

    static Permission orRules(List<Permission> rules) {
        if (rules.size() == 1) {
            return rules.getFirst();
        }
        return Permission.newBuilder()
                .setOrRules(Permission.Set.newBuilder().addAllRules(rules))
                .build();
    }

    static Permission andRules(List<Permission> rules) {
        if (rules.isEmpty()) {
            return anyPermission();
        }
        if (rules.size() == 1) {
            return rules.getFirst();
        }
        return Permission.newBuilder()
                .setAndRules(Permission.Set.newBuilder().addAllRules(rules))
                .build();
    }

    static Permission notRule(Permission rule) {
        return Permission.newBuilder().setNotRule(rule).build();
    }

    /** Regular-expression metacharacters escaped (RE2 has no {@code \Q...\E} in Envoy's safe_regex). */
    static String quote(String literal) {
        StringBuilder out = new StringBuilder();
        for (char c : literal.toCharArray()) {
            if ("\\.+*?()|[]{}^$".indexOf(c) >= 0) {
                out.append('\\');
            }
            out.append(c);
        }
        return out.toString();
    }
}
