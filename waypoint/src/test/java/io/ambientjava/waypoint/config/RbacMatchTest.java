package io.ambientjava.waypoint.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import io.ambientjava.waypoint.filter.RbacEnforcer;
import io.ambientjava.waypoint.filter.RequestSubject;
import io.ambientjava.waypoint.filter.RequestView;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.ambientjava.waypoint.testsupport.Rbac;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.ListMatcher;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The RBAC matcher tree: translation from Envoy's protos, and Envoy's matching semantics. */
class RbacMatchTest {

    private static final String ALICE = "spiffe://cluster.local/ns/default/sa/alice";

    private static RequestSubject subject(
            String method, String path, String authority, Optional<String> peer, String ip, String... headers) {
        var h = new DefaultHttpHeaders();
        for (int i = 0; i < headers.length; i += 2) {
            h.add(headers[i], headers[i + 1]);
        }
        return new RequestSubject(
                new RequestView(method, path, authority, "http", h),
                9080,
                Optional.of(InetAddress.ofLiteral("198.19.0.20")),
                peer,
                Optional.of(InetAddress.ofLiteral(ip)));
    }

    private static RequestSubject get(String path) {
        return subject("GET", path, "reviews", Optional.of(ALICE), "198.18.1.1");
    }

    private static RbacPermission permission(Permission p) {
        return RbacTranslator.permission(p, "p");
    }

    private static RbacPrincipal principal(Principal p) {
        return RbacTranslator.principal(p, "p");
    }

    private static CidrRange cidr(String prefix, int len) {
        return CidrRange.newBuilder()
                .setAddressPrefix(prefix)
                .setPrefixLen(UInt32Value.of(len))
                .build();
    }

    @Test
    void andOrNotCombineAsBooleanOperators() {
        Permission getOnApi = Rbac.and(
                Rbac.method("GET"),
                Rbac.path(StringMatcher.newBuilder().setPrefix("/api/").build()));
        Permission notAdmin = Permission.newBuilder()
                .setNotRule(
                        Rbac.path(StringMatcher.newBuilder().setSuffix("/admin").build()))
                .build();
        RbacPermission tree = permission(Permission.newBuilder()
                .setOrRules(Permission.Set.newBuilder().addRules(getOnApi).addRules(notAdmin))
                .build());

        assertThat(tree.matches(get("/api/x"))).isTrue();
        assertThat(tree.matches(get("/other"))).isTrue();
        assertThat(tree.matches(get("/x/admin"))).isFalse();
        assertThat(tree.matches(get("/api/admin"))).isTrue(); // the first branch
        assertThat(tree.matches(subject("POST", "/api/admin", "reviews", Optional.empty(), "198.18.1.1")))
                .isFalse();
    }

    @Test
    void urlPathIgnoresTheQueryAndSupportsEveryStringForm() {
        assertThat(permission(Rbac.path(
                                StringMatcher.newBuilder().setExact("/a").build()))
                        .matches(get("/a?b=c")))
                .isTrue();
        assertThat(permission(Rbac.path(StringMatcher.newBuilder()
                                .setSafeRegex(RegexMatcher.newBuilder().setRegex("/r/[0-9]+"))
                                .build()))
                        .matches(get("/r/12")))
                .isTrue();
        assertThat(permission(Rbac.path(
                                StringMatcher.newBuilder().setSuffix(".json").build()))
                        .matches(get("/x.json")))
                .isTrue();
    }

    @Test
    void theAuthorityMatchesIgnoringCaseAndWithAPort() {
        RbacPermission host = permission(Permission.newBuilder()
                .setOrRules(Permission.Set.newBuilder()
                        .addRules(Permission.newBuilder()
                                .setHeader(HeaderMatcher.newBuilder()
                                        .setName(":authority")
                                        .setStringMatch(StringMatcher.newBuilder()
                                                .setExact("reviews")
                                                .setIgnoreCase(true))))
                        .addRules(Permission.newBuilder()
                                .setHeader(HeaderMatcher.newBuilder()
                                        .setName(":authority")
                                        .setStringMatch(StringMatcher.newBuilder()
                                                .setSafeRegex(RegexMatcher.newBuilder()
                                                        .setRegex("reviews:[0-9]+"))))))
                .build());
        assertThat(host.matches(subject("GET", "/", "REVIEWS", Optional.empty(), "198.18.1.1")))
                .isTrue();
        assertThat(host.matches(subject("GET", "/", "reviews:9080", Optional.empty(), "198.18.1.1")))
                .isTrue();
        assertThat(host.matches(subject("GET", "/", "ratings", Optional.empty(), "198.18.1.1")))
                .isFalse();
    }

    @Test
    void destinationPortAndIp() {
        assertThat(permission(Permission.newBuilder().setDestinationPort(9080).build())
                        .matches(get("/")))
                .isTrue();
        assertThat(permission(Permission.newBuilder().setDestinationPort(80).build())
                        .matches(get("/")))
                .isFalse();
        assertThat(permission(Permission.newBuilder()
                                .setDestinationIp(cidr("198.19.0.0", 24))
                                .build())
                        .matches(get("/")))
                .isTrue();
    }

    @Test
    void principalNamesComeFromThePeerCertificate() {
        RbacPrincipal alice = principal(Rbac.principalName(ALICE));
        RbacPrincipal namespace = principal(Principal.newBuilder()
                .setAuthenticated(Principal.Authenticated.newBuilder()
                        .setPrincipalName(StringMatcher.newBuilder()
                                .setSafeRegex(RegexMatcher.newBuilder().setRegex(".*/ns/default/.*"))))
                .build());
        RbacPrincipal anyAuthenticated = principal(Principal.newBuilder()
                .setAuthenticated(Principal.Authenticated.getDefaultInstance())
                .build());

        assertThat(alice.matches(get("/"))).isTrue();
        assertThat(namespace.matches(get("/"))).isTrue();
        assertThat(anyAuthenticated.matches(get("/"))).isTrue();
        var bob = subject("GET", "/", "r", Optional.of("spiffe://cluster.local/ns/other/sa/bob"), "198.18.1.1");
        assertThat(alice.matches(bob)).isFalse();
        assertThat(namespace.matches(bob)).isFalse();
        var plaintext = subject("GET", "/", "r", Optional.empty(), "198.18.1.1");
        assertThat(anyAuthenticated.matches(plaintext)).isFalse();
        assertThat(principal(Principal.newBuilder()
                                .setNotId(Rbac.principalName(ALICE))
                                .build())
                        .matches(plaintext))
                .isTrue();
    }

    @Test
    void directRemoteIpIsThePeerAndRemoteIpTheLastForwardedFor() {
        RbacPrincipal direct = principal(
                Principal.newBuilder().setDirectRemoteIp(cidr("198.18.0.0", 15)).build());
        RbacPrincipal remote = principal(
                Principal.newBuilder().setRemoteIp(cidr("198.19.5.0", 24)).build());
        var forwarded =
                subject("GET", "/", "r", Optional.empty(), "198.18.1.1", "x-forwarded-for", "198.18.9.9, 198.19.5.7");

        assertThat(direct.matches(forwarded)).isTrue();
        assertThat(remote.matches(forwarded)).isTrue();
        assertThat(remote.matches(get("/"))).isFalse(); // no XFF: the peer, outside the range
        assertThat(principal(Principal.newBuilder()
                                .setDirectRemoteIp(cidr("2001:db8::", 32))
                                .build())
                        .matches(forwarded))
                .isFalse();
    }

    @Test
    void cidrRangesMatchOnTheirPrefixBits() {
        var range = new CidrMatch(InetAddress.ofLiteral("198.18.0.0"), 15);
        assertThat(range.contains(InetAddress.ofLiteral("198.19.255.1"))).isTrue();
        assertThat(range.contains(InetAddress.ofLiteral("198.20.0.1"))).isFalse();
        assertThat(new CidrMatch(InetAddress.ofLiteral("0.0.0.0"), 0).contains(InetAddress.ofLiteral("198.18.0.1")))
                .isTrue();
    }

    @Test
    void filtersRunInOrderAndLogNeverRefuses() {
        Policy adminPath = Rbac.policy(
                Rbac.path(StringMatcher.newBuilder().setPrefix("/admin").build()), Rbac.anyPrincipal());
        List<RbacFilterConfig> filters = List.of(
                rbac(Rbac.filter(RBAC.Action.LOG, adminPath)),
                rbac(Rbac.filter(RBAC.Action.DENY, adminPath)),
                rbac(Rbac.filter(RBAC.Action.ALLOW, Rbac.policy(Rbac.anyPermission(), Rbac.principalName(ALICE)))));

        var admin = RbacEnforcer.evaluate(filters, get("/admin"));
        assertThat(admin.allowed()).isFalse();
        assertThat(admin.logged()).containsExactly("policy-0");
        assertThat(RbacEnforcer.evaluate(filters, get("/")).allowed()).isTrue();
        assertThat(RbacEnforcer.evaluate(filters, subject("GET", "/", "r", Optional.empty(), "198.18.1.1"))
                        .allowed())
                .isFalse();
        assertThat(RbacEnforcer.evaluate(filters.subList(0, 1), get("/admin")).allowed())
                .isTrue();
    }

    private static RbacFilterConfig rbac(HttpFilter filter) {
        try {
            return RbacTranslator.translate(
                            filter.getTypedConfig()
                                    .unpack(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class),
                            "f")
                    .orElseThrow();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theListenerKeepsItsRbacFiltersInOrder() {
        var listener = ListenerTranslator.translate(Rbac.withFilters(
                Envoy.httpListener("198.19.0.20", 9080, "reviews.default.svc.cluster.local"),
                Rbac.filter(RBAC.Action.DENY, Rbac.policy(Rbac.anyPermission(), Rbac.anyPrincipal())),
                Rbac.filter(RBAC.Action.ALLOW)));
        var http = (ListenerConfig.Http) listener.kind();
        assertThat(http.rbac())
                .extracting(RbacFilterConfig::action)
                .containsExactly(RbacFilterConfig.Action.DENY, RbacFilterConfig.Action.ALLOW);
        assertThat(http.rbac().get(1).policies()).isEmpty();
    }

    @Test
    void jwtPayloadMetadataMatchesStringsAndListsHoldingThem() {
        RbacPrincipal sub = principal(io.ambientjava.waypoint.testsupport.Jwt.claim("sub", "alice"));
        RbacPrincipal audInList = principal(Principal.newBuilder()
                .setMetadata(MetadataMatcher.newBuilder()
                        .setFilter("envoy.filters.http.jwt_authn")
                        .addPath(MetadataMatcher.PathSegment.newBuilder().setKey("payload"))
                        .addPath(MetadataMatcher.PathSegment.newBuilder().setKey("aud"))
                        .setValue(ValueMatcher.newBuilder()
                                .setListMatch(ListMatcher.newBuilder()
                                        .setOneOf(ValueMatcher.newBuilder()
                                                .setStringMatch(StringMatcher.newBuilder()
                                                        .setExact("shop"))))))
                .build());
        RbacPrincipal issPresent = principal(Principal.newBuilder()
                .setMetadata(MetadataMatcher.newBuilder()
                        .setFilter("envoy.filters.http.jwt_authn")
                        .addPath(MetadataMatcher.PathSegment.newBuilder().setKey("payload"))
                        .addPath(MetadataMatcher.PathSegment.newBuilder().setKey("iss"))
                        .setValue(ValueMatcher.newBuilder().setPresentMatch(true)))
                .build());
        var withToken = new RequestSubject(
                new RequestView("GET", "/", "r", "http", new DefaultHttpHeaders()),
                9080,
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                java.util.Map.of(
                        "envoy.filters.http.jwt_authn",
                        java.util.Map.of(
                                "payload",
                                java.util.Map.of("sub", "alice", "iss", "x", "aud", List.of("web", "shop")))));

        assertThat(sub.matches(withToken)).isTrue();
        assertThat(audInList.matches(withToken)).isTrue();
        assertThat(issPresent.matches(withToken)).isTrue();
        assertThat(sub.matches(get("/"))).isFalse();
        assertThat(issPresent.matches(get("/"))).isFalse();
        assertThatThrownBy(() -> principal(Principal.newBuilder()
                        .setMetadata(MetadataMatcher.newBuilder()
                                .setFilter("f")
                                .setValue(ValueMatcher.newBuilder().setBoolMatch(true)))
                        .build()))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("metadata.value.bool_match");
    }

    @Test
    void unsupportedFieldsAndFiltersAreRefusedByName() {
        var shadow = HttpFilter.newBuilder()
                .setName("envoy.filters.http.rbac")
                .setTypedConfig(Any.pack(io.envoyproxy
                        .envoy
                        .extensions
                        .filters
                        .http
                        .rbac
                        .v3
                        .RBAC
                        .newBuilder()
                        .setShadowRules(RBAC.getDefaultInstance())
                        .build()))
                .build();
        assertThatThrownBy(() -> ListenerTranslator.translate(
                        Rbac.withFilters(Envoy.httpListener("198.19.0.20", 9080, "h"), shadow)))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("shadow_rules");
        Permission portRange = Permission.newBuilder()
                .setDestinationPortRange(io.envoyproxy.envoy.type.v3.Int32Range.newBuilder()
                        .setStart(1)
                        .setEnd(2))
                .build();
        assertThatThrownBy(() -> permission(portRange))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("destination_port_range");
        var remoteJwks = io.ambientjava.waypoint.testsupport.Jwt.filter(
                io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider.newBuilder()
                        .setIssuer("i")
                        .setRemoteJwks(
                                io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.RemoteJwks
                                        .getDefaultInstance())
                        .build());
        assertThatThrownBy(() -> ListenerTranslator.translate(
                        Rbac.withFilters(Envoy.httpListener("198.19.0.20", 9080, "h"), remoteJwks)))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("remote_jwks");
        var ftpJwks =
                io.ambientjava.waypoint.testsupport.Jwt.filter(io.ambientjava.waypoint.testsupport.Jwt.remoteProvider(
                                "ftp://127.0.0.1/jwks",
                                java.time.Duration.ofSeconds(1),
                                java.time.Duration.ofMinutes(5))
                        .build());
        assertThatThrownBy(() -> ListenerTranslator.translate(
                        Rbac.withFilters(Envoy.httpListener("198.19.0.20", 9080, "h"), ftpJwks)))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("remote_jwks.http_uri.uri")
                .hasMessageContaining("ftp://127.0.0.1/jwks");
        var noTimeout = io.ambientjava.waypoint.testsupport.Jwt.remoteProvider(
                "http://127.0.0.1/jwks", java.time.Duration.ofSeconds(1), java.time.Duration.ofMinutes(5));
        noTimeout.getRemoteJwksBuilder().getHttpUriBuilder().clearTimeout();
        assertThatThrownBy(() -> ListenerTranslator.translate(Rbac.withFilters(
                        Envoy.httpListener("198.19.0.20", 9080, "h"),
                        io.ambientjava.waypoint.testsupport.Jwt.filter(noTimeout.build()))))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("remote_jwks.http_uri.timeout");
        assertThatThrownBy(() -> principal(Principal.newBuilder()
                        .setDirectRemoteIp(CidrRange.newBuilder().setAddressPrefix("not-an-ip"))
                        .build()))
                .isInstanceOf(UnsupportedConfigException.class)
                .hasMessageContaining("direct_remote_ip.address_prefix");
    }
}
