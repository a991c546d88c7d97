package io.ambientjava.istiod.translate.envoy;

import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.PathMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import io.fabric8.istio.api.api.security.v1beta1.Condition;
import io.fabric8.istio.api.api.security.v1beta1.Operation;
import io.fabric8.istio.api.api.security.v1beta1.Rule;
import io.fabric8.istio.api.api.security.v1beta1.RuleFrom;
import io.fabric8.istio.api.api.security.v1beta1.RuleTo;
import io.fabric8.istio.api.api.security.v1beta1.Source;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One AuthorizationPolicy rule as an Envoy RBAC {@link Policy}, shaped as istiod shapes it: the permission is the AND
 * of (the OR of the {@code to} operations) and the {@code when} conditions on the destination; the principal is the
 * AND of (the OR of the {@code from} sources) and the other {@code when} conditions. Within an operation or source
 * its fields are ANDed, the values of one field ORed, and a {@code not...} field is the negation of that OR.
 */
final class RbacRules {

    static final Pattern CLAIM_KEY = Pattern.compile("request\\.auth\\.claims((?:\\[[^\\[\\]]+\\])+)");
    static final Pattern HEADER_KEY = Pattern.compile("request\\.headers\\[([^\\[\\]]+)\\]");
    private static final Pattern CLAIM_SEGMENT = Pattern.compile("\\[([^\\[\\]]+)\\]");

    private final String trustDomain;
    private final String policyNamespace;
    private final boolean allow;
    private final Consumer<String> warn;
    private boolean usesJwt;

    /**
     * @param allow true for ALLOW (and AUDIT) policies: a condition that cannot be expressed then matches nothing;
     *     in a DENY policy it matches everything, so what is translated is never more permissive than written
     */
    RbacRules(String trustDomain, String policyNamespace, boolean allow, Consumer<String> warn) {
        this.trustDomain = trustDomain;
        this.policyNamespace = policyNamespace;
        this.allow = allow;
        this.warn = warn;
    }

    /** Whether a translated rule reads the JWT (request principals or claims), which needs a RequestAuthentication. */
    boolean usesJwt() {
        return usesJwt;
    }

    Policy translate(Rule rule) {
        List<Permission> permissions = new ArrayList<>();
        List<Principal> principals = new ArrayList<>();
        List<RuleTo> to = rule.getTo() == null ? List.of() : rule.getTo();
        if (!to.isEmpty()) {
            permissions.add(RbacMatchers.orRules(to.stream()
                    .map(t -> operation(t.getOperation() == null ? new Operation() : t.getOperation()))
                    .toList()));
        }
        List<RuleFrom> from = rule.getFrom() == null ? List.of() : rule.getFrom();
        if (!from.isEmpty()) {
            principals.add(RbacMatchers.orIds(from.stream()
                    .map(f -> source(f.getSource() == null ? new Source() : f.getSource()))
                    .toList()));
        }
        for (Condition when : rule.getWhen() == null ? List.<Condition>of() : rule.getWhen()) {
            condition(when, permissions, principals);
        }
        return Policy.newBuilder()
                .addPermissions(RbacMatchers.andRules(permissions))
                .addPrincipals(RbacMatchers.andIds(principals))
                .build();
    }

    private Permission operation(Operation op) {
        List<Permission> fields = new ArrayList<>();
        permissionField(op.getHosts(), op.getNotHosts(), RbacRules::host, fields);
        permissionField(op.getPorts(), op.getNotPorts(), RbacRules::port, fields);
        permissionField(op.getMethods(), op.getNotMethods(), RbacRules::method, fields);
        permissionField(op.getPaths(), op.getNotPaths(), RbacRules::path, fields);
        return RbacMatchers.andRules(fields);
    }

    private Principal source(Source source) {
        List<Principal> fields = new ArrayList<>();
        principalField(source.getPrincipals(), source.getNotPrincipals(), this::principal, fields);
        principalField(source.getRequestPrincipals(), source.getNotRequestPrincipals(), this::requestPrincipal, fields);
        principalField(source.getNamespaces(), source.getNotNamespaces(), RbacRules::namespace, fields);
        principalField(source.getServiceAccounts(), source.getNotServiceAccounts(), this::serviceAccount, fields);
        principalField(source.getIpBlocks(), source.getNotIpBlocks(), v -> directRemoteIp(v), fields);
        principalField(source.getRemoteIpBlocks(), source.getNotRemoteIpBlocks(), v -> remoteIp(v), fields);
        return RbacMatchers.andIds(fields);
    }

    private void condition(Condition when, List<Permission> permissions, List<Principal> principals) {
        String key = when.getKey() == null ? "" : when.getKey();
        List<String> values = when.getValues();
        List<String> notValues = when.getNotValues();
        switch (key) {
            case "destination.port" -> permissionField(values, notValues, RbacRules::port, permissions);
            case "destination.ip" -> permissionField(values, notValues, RbacRules::destinationIp, permissions);
            case "connection.sni" -> permissionField(values, notValues, RbacRules::serverName, permissions);
            case "source.ip" -> principalField(values, notValues, this::directRemoteIp, principals);
            case "remote.ip" -> principalField(values, notValues, this::remoteIp, principals);
            case "source.namespace" -> principalField(values, notValues, RbacRules::namespace, principals);
            case "source.principal" -> principalField(values, notValues, this::principal, principals);
            case "source.serviceAccount" -> principalField(values, notValues, this::serviceAccount, principals);
            case "request.auth.principal" -> principalField(values, notValues, this::requestPrincipal, principals);
            case "request.auth.audiences" ->
                principalField(values, notValues, v -> jwtClaim(List.of("aud"), v), principals);
            case "request.auth.presenter" ->
                principalField(values, notValues, v -> jwtClaim(List.of("azp"), v), principals);
            default -> {
                Matcher header = HEADER_KEY.matcher(key);
                Matcher claim = CLAIM_KEY.matcher(key);
                if (header.matches()) {
                    String name = header.group(1).toLowerCase(java.util.Locale.ROOT);
                    principalField(
                            values,
                            notValues,
                            v -> Principal.newBuilder()
                                    .setHeader(RbacMatchers.header(name, v))
                                    .build(),
                            principals);
                } else if (claim.matches()) {
                    List<String> path = claimPath(claim.group(1));
                    principalField(values, notValues, v -> jwtClaim(path, v), principals);
                } else {
                    warn.accept("condition key '" + key + "' is not supported at the waypoint; "
                            + (allow ? "its rule matches nothing" : "it matches every request"));
                    principals.add(
                            allow ? RbacMatchers.notId(RbacMatchers.anyPrincipal()) : RbacMatchers.anyPrincipal());
                }
            }
        }
    }

    private static List<String> claimPath(String brackets) {
        List<String> path = new ArrayList<>();
        Matcher segment = CLAIM_SEGMENT.matcher(brackets);
        while (segment.find()) {
            path.add(segment.group(1));
        }
        return path;
    }

    private static void permissionField(
            List<String> values, List<String> notValues, Function<String, Permission> one, List<Permission> out) {
        if (values != null && !values.isEmpty()) {
            out.add(RbacMatchers.orRules(values.stream().map(one).toList()));
        }
        if (notValues != null && !notValues.isEmpty()) {
            out.add(RbacMatchers.notRule(
                    RbacMatchers.orRules(notValues.stream().map(one).toList())));
        }
    }

    private static void principalField(
            List<String> values, List<String> notValues, Function<String, Principal> one, List<Principal> out) {
        if (values != null && !values.isEmpty()) {
            out.add(RbacMatchers.orIds(values.stream().map(one).toList()));
        }
        if (notValues != null && !notValues.isEmpty()) {
            out.add(RbacMatchers.notId(
                    RbacMatchers.orIds(notValues.stream().map(one).toList())));
        }
    }

    /** Hosts are compared without case, and a bare host also matches it with any port. */
    private static Permission host(String value) {
        StringMatcher matcher =
                RbacMatchers.istio(value).toBuilder().setIgnoreCase(true).build();
        Permission exact = Permission.newBuilder()
                .setHeader(io.envoyproxy.envoy.config.route.v3.HeaderMatcher.newBuilder()
                        .setName(":authority")
                        .setStringMatch(matcher))
                .build();
        if (!matcher.hasExact()) {
            return exact;
        }
        Permission withPort = Permission.newBuilder()
                .setHeader(io.envoyproxy.envoy.config.route.v3.HeaderMatcher.newBuilder()
                        .setName(":authority")
                        .setStringMatch(StringMatcher.newBuilder()
                                .setSafeRegex(StringMatchers.regex("(?i)" + RbacMatchers.quote(value) + ":[0-9]+"))
                                .setIgnoreCase(true)))
                .build();
        return RbacMatchers.orRules(List.of(exact, withPort));
    }

    private static Permission port(String value) {
        return Permission.newBuilder()
                .setDestinationPort(Integer.parseInt(value))
                .build();
    }

    private static Permission method(String value) {
        return Permission.newBuilder()
                .setHeader(io.envoyproxy.envoy.config.route.v3.HeaderMatcher.newBuilder()
                        .setName(":method")
                        .setStringMatch(RbacMatchers.istio(value)))
                .build();
    }

    /** The path without its query string ({@code url_path}), in Istio's exact/prefix/suffix/{@code *} forms. */
    private static Permission path(String value) {
        return Permission.newBuilder()
                .setUrlPath(PathMatcher.newBuilder().setPath(RbacMatchers.istio(value)))
                .build();
    }

    private static Permission destinationIp(String value) {
        return RbacMatchers.cidr(value)
                .map(cidr -> Permission.newBuilder().setDestinationIp(cidr).build())
                .orElseThrow(() -> new IllegalArgumentException("'" + value + "' is not an IP address or CIDR"));
    }

    private static Permission serverName(String value) {
        return Permission.newBuilder()
                .setRequestedServerName(RbacMatchers.istio(value))
                .build();
    }

    /** A peer identity {@code <td>/ns/<ns>/sa/<sa>}, matched against the client certificate's SPIFFE URI. */
    private Principal principal(String value) {
        return authenticated(RbacMatchers.istio(value, "spiffe://"));
    }

    private Principal serviceAccount(String value) {
        int slash = value.indexOf('/');
        String namespace = slash < 0 ? policyNamespace : value.substring(0, slash);
        String account = slash < 0 ? value : value.substring(slash + 1);
        return authenticated(StringMatcher.newBuilder()
                .setExact("spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + account)
                .build());
    }

    private static Principal namespace(String value) {
        String pattern;
        if (value.equals("*")) {
            pattern = "[^/]+";
        } else if (value.startsWith("*")) {
            pattern = "[^/]*" + RbacMatchers.quote(value.substring(1));
        } else if (value.endsWith("*")) {
            pattern = RbacMatchers.quote(value.substring(0, value.length() - 1)) + "[^/]*";
        } else {
            pattern = RbacMatchers.quote(value);
        }
        return authenticated(StringMatcher.newBuilder()
                .setSafeRegex(StringMatchers.regex(".*/ns/" + pattern + "/.*"))
                .build());
    }

    private static Principal authenticated(StringMatcher matcher) {
        return Principal.newBuilder()
                .setAuthenticated(Principal.Authenticated.newBuilder().setPrincipalName(matcher))
                .build();
    }

    private Principal directRemoteIp(String value) {
        return RbacMatchers.cidr(value)
                .map(cidr -> Principal.newBuilder().setDirectRemoteIp(cidr).build())
                .orElseThrow(() -> new IllegalArgumentException("'" + value + "' is not an IP address or CIDR"));
    }

    private Principal remoteIp(String value) {
        return RbacMatchers.cidr(value)
                .map(cidr -> Principal.newBuilder().setRemoteIp(cidr).build())
                .orElseThrow(() -> new IllegalArgumentException("'" + value + "' is not an IP address or CIDR"));
    }

    private Principal jwtClaim(List<String> path, String value) {
        usesJwt = true;
        return RbacMatchers.claim(path, value);
    }

    /**
     * A request principal is {@code <iss>/<sub>} of a validated JWT. jwt_authn keeps the payload, not that joined
     * string, so the value is split at its last {@code /} into an issuer and a subject match: exact values, {@code *}
     * (any validated token), {@code <iss>/*} and {@code * /<sub>} (no space) are expressible; other wildcards are not.
     */
    private Principal requestPrincipal(String value) {
        usesJwt = true;
        if (value.equals("*")) {
            return presentClaim("iss");
        }
        int slash = value.lastIndexOf('/');
        Optional<Principal> translated = Optional.empty();
        if (slash > 0 && slash < value.length() - 1) {
            String iss = value.substring(0, slash);
            String sub = value.substring(slash + 1);
            boolean issWild = iss.contains("*");
            boolean subWild = sub.contains("*");
            if (!issWild && !subWild) {
                translated = Optional.of(RbacMatchers.andIds(List.of(exactClaim("iss", iss), exactClaim("sub", sub))));
            } else if (!issWild && sub.equals("*")) {
                translated = Optional.of(RbacMatchers.andIds(List.of(exactClaim("iss", iss), presentClaim("sub"))));
            } else if (iss.equals("*") && !subWild) {
                translated = Optional.of(RbacMatchers.andIds(List.of(presentClaim("iss"), exactClaim("sub", sub))));
            }
        }
        return translated.orElseGet(() -> {
            warn.accept("request principal '" + value + "' cannot be matched at the waypoint (only '<iss>/<sub>', '*',"
                    + " '<iss>/*' and '*/<sub>'); " + (allow ? "it matches nothing" : "it matches any token"));
            return allow ? RbacMatchers.notId(RbacMatchers.anyPrincipal()) : presentClaim("iss");
        });
    }

    private static Principal exactClaim(String claim, String value) {
        return Principal.newBuilder()
                .setMetadata(RbacMatchers.jwtPayload(
                        List.of(claim),
                        ValueMatcher.newBuilder()
                                .setStringMatch(StringMatcher.newBuilder().setExact(value))
                                .build()))
                .build();
    }

    private static Principal presentClaim(String claim) {
        MetadataMatcher matcher = RbacMatchers.jwtPayload(
                List.of(claim), ValueMatcher.newBuilder().setPresentMatch(true).build());
        return Principal.newBuilder().setMetadata(matcher).build();
    }
}
