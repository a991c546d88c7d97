package io.ambientjava.istiod.translate.envoy;

import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.seed;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.translate;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.waypoint;
import static io.ambientjava.istiod.translate.envoy.BookinfoMesh.with;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import com.google.protobuf.Empty;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.ListMatcher;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.PathMatcher;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import java.util.List;
import org.junit.jupiter.api.Test;

/** AuthorizationPolicy and RequestAuthentication bound to the waypoint, as Envoy rbac and jwt_authn, field by field. */
class WaypointSecurityTest {

    private static final String REVIEWS = "reviews.default.svc.cluster.local";
    private static final String RATINGS = "ratings.default.svc.cluster.local";
    private static final String PRODUCTPAGE = "productpage.default.svc.cluster.local";
    private static final String TO_WAYPOINT = "[{kind: Gateway, group: gateway.networking.k8s.io, name: waypoint}]";
    private static final String TO_REVIEWS = "[{kind: Service, group: \"\", name: reviews}]";

    private static String policy(String name, String targetRefs, String body) {
        return """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: %s, namespace: default}
                spec:
                  targetRefs: %s
                %s
                """.formatted(name, targetRefs, body.indent(2));
    }

    private static List<HttpFilter> filters(ProxyResources waypoint, String hostname, int port)
            throws InvalidProtocolBufferException {
        var listener = waypoint.listeners().get("inbound-vip|" + port + "|http|" + hostname);
        assertThat(listener).as("listener for %s:%d", hostname, port).isNotNull();
        return listener.getFilterChains(0)
                .getFilters(0)
                .getTypedConfig()
                .unpack(HttpConnectionManager.class)
                .getHttpFiltersList();
    }

    private static List<String> names(List<HttpFilter> filters) {
        return filters.stream().map(HttpFilter::getName).toList();
    }

    private static io.envoyproxy.envoy.config.rbac.v3.RBAC rbac(HttpFilter filter)
            throws InvalidProtocolBufferException {
        assertThat(filter.getName()).isEqualTo("envoy.filters.http.rbac");
        return filter.getTypedConfig().unpack(RBAC.class).getRules();
    }

    private static StringMatcher exact(String value) {
        return StringMatcher.newBuilder().setExact(value).build();
    }

    private static Permission header(String name, StringMatcher matcher) {
        return Permission.newBuilder()
                .setHeader(HeaderMatcher.newBuilder().setName(name).setStringMatch(matcher))
                .build();
    }

    private static Permission path(StringMatcher matcher) {
        return Permission.newBuilder()
                .setUrlPath(PathMatcher.newBuilder().setPath(matcher))
                .build();
    }

    private static Principal authenticated(StringMatcher matcher) {
        return Principal.newBuilder()
                .setAuthenticated(Principal.Authenticated.newBuilder().setPrincipalName(matcher))
                .build();
    }

    private static CidrRange cidr(String address, int length) {
        return CidrRange.newBuilder()
                .setAddressPrefix(address)
                .setPrefixLen(UInt32Value.of(length))
                .build();
    }

    private static Principal or(Principal... ids) {
        return Principal.newBuilder()
                .setOrIds(Principal.Set.newBuilder().addAllIds(List.of(ids)))
                .build();
    }

    private static Principal and(Principal... ids) {
        return Principal.newBuilder()
                .setAndIds(Principal.Set.newBuilder().addAllIds(List.of(ids)))
                .build();
    }

    private static Permission orRules(Permission... rules) {
        return Permission.newBuilder()
                .setOrRules(Permission.Set.newBuilder().addAllRules(List.of(rules)))
                .build();
    }

    private static Permission andRules(Permission... rules) {
        return Permission.newBuilder()
                .setAndRules(Permission.Set.newBuilder().addAllRules(List.of(rules)))
                .build();
    }

    private static MetadataMatcher payload(ValueMatcher value, String... claimPath) {
        MetadataMatcher.Builder matcher = MetadataMatcher.newBuilder()
                .setFilter("envoy.filters.http.jwt_authn")
                .addPath(MetadataMatcher.PathSegment.newBuilder().setKey("payload"));
        for (String key : claimPath) {
            matcher.addPath(MetadataMatcher.PathSegment.newBuilder().setKey(key));
        }
        return matcher.setValue(value).build();
    }

    /** A claim equal to the value, or a list claim holding it. */
    private static Principal claim(String value, String... claimPath) {
        ValueMatcher string =
                ValueMatcher.newBuilder().setStringMatch(exact(value)).build();
        return or(
                Principal.newBuilder().setMetadata(payload(string, claimPath)).build(),
                Principal.newBuilder()
                        .setMetadata(payload(
                                ValueMatcher.newBuilder()
                                        .setListMatch(ListMatcher.newBuilder().setOneOf(string))
                                        .build(),
                                claimPath))
                        .build());
    }

    @Test
    void withoutPoliciesTheFilterChainIsUnchanged() throws Exception {
        var translation = translate(with());
        assertThat(names(filters(waypoint(translation), REVIEWS, 9080)))
                .containsExactly("envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router");
    }

    @Test
    void aGatewayTargetedAllowPolicyBecomesOneRbacFilterOnEveryListener() throws Exception {
        var translation = translate(with(policy("api", TO_WAYPOINT, """
                rules:
                - from:
                  - source: {principals: ["cluster.local/ns/default/sa/productpage"], notNamespaces: [batch]}
                  - source: {ipBlocks: ["198.18.1.0/24"], remoteIpBlocks: ["198.18.9.9"]}
                  to:
                  - operation: {methods: [GET, HEAD], paths: ["/api/v1/products*"], ports: ["9080"]}
                """)));
        assertThat(translation.warnings()).isEmpty();
        ProxyResources waypoint = waypoint(translation);
        for (var entry : List.of(REVIEWS + ":9080", RATINGS + ":9080", "product-api.default.svc.cluster.local:8080")) {
            String[] hostPort = entry.split(":");
            assertThat(names(filters(waypoint, hostPort[0], Integer.parseInt(hostPort[1]))))
                    .containsExactly(
                            "envoy.filters.http.rbac",
                            "envoy.filters.http.fault",
                            "envoy.filters.http.cors",
                            "envoy.filters.http.router");
        }
        var rules = rbac(filters(waypoint, REVIEWS, 9080).getFirst());
        assertThat(rules.getAction()).isEqualTo(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.ALLOW);
        assertThat(rules.getPoliciesMap()).containsOnlyKeys("ns[default]-policy[api]-rule[0]");
        Policy policy = rules.getPoliciesMap().get("ns[default]-policy[api]-rule[0]");
        assertThat(policy.getPermissionsList())
                .containsExactly(andRules(
                        Permission.newBuilder().setDestinationPort(9080).build(),
                        orRules(header(":method", exact("GET")), header(":method", exact("HEAD"))),
                        path(StringMatcher.newBuilder()
                                .setPrefix("/api/v1/products")
                                .build())));
        assertThat(policy.getPrincipalsList())
                .containsExactly(or(
                        and(
                                authenticated(exact("spiffe://cluster.local/ns/default/sa/productpage")),
                                Principal.newBuilder()
                                        .setNotId(authenticated(StringMatcher.newBuilder()
                                                .setSafeRegex(RegexMatcher.newBuilder()
                                                        .setRegex(".*/ns/batch/.*"))
                                                .build()))
                                        .build()),
                        and(
                                Principal.newBuilder()
                                        .setDirectRemoteIp(cidr("198.18.1.0", 24))
                                        .build(),
                                Principal.newBuilder()
                                        .setRemoteIp(cidr("198.18.9.9", 32))
                                        .build())));
    }

    @Test
    void istioWildcardFormsForPathsPrincipalsNamespacesAndHosts() throws Exception {
        var translation = translate(with(policy("forms", TO_REVIEWS, """
                rules:
                - from: [{source: {principals: ["*", "*/sa/admin", "cluster.local/ns/ops/*"], namespaces: ["team-*"]}}]
                  to: [{operation: {paths: ["/exact", "/pre*", "*.png", "*"], hosts: [reviews.example]}}]
                """)));
        Policy policy = rbac(filters(waypoint(translation), REVIEWS, 9080).getFirst())
                .getPoliciesMap()
                .get("ns[default]-policy[forms]-rule[0]");
        StringMatcher any = StringMatcher.newBuilder()
                .setSafeRegex(RegexMatcher.newBuilder().setRegex(".+"))
                .build();
        assertThat(policy.getPermissions(0))
                .isEqualTo(andRules(
                        orRules(
                                header(
                                        ":authority",
                                        exact("reviews.example").toBuilder()
                                                .setIgnoreCase(true)
                                                .build()),
                                header(
                                        ":authority",
                                        StringMatcher.newBuilder()
                                                .setSafeRegex(RegexMatcher.newBuilder()
                                                        .setRegex("(?i)reviews\\.example:[0-9]+"))
                                                .setIgnoreCase(true)
                                                .build())),
                        orRules(
                                path(exact("/exact")),
                                path(StringMatcher.newBuilder()
                                        .setPrefix("/pre")
                                        .build()),
                                path(StringMatcher.newBuilder()
                                        .setSuffix(".png")
                                        .build()),
                                path(any))));
        assertThat(policy.getPrincipals(0))
                .isEqualTo(and(
                        or(
                                authenticated(any),
                                authenticated(StringMatcher.newBuilder()
                                        .setSuffix("/sa/admin")
                                        .build()),
                                authenticated(StringMatcher.newBuilder()
                                        .setPrefix("spiffe://cluster.local/ns/ops/")
                                        .build())),
                        authenticated(StringMatcher.newBuilder()
                                .setSafeRegex(RegexMatcher.newBuilder().setRegex(".*/ns/team-[^/]*/.*"))
                                .build())));
    }

    @Test
    void aServiceTargetedPolicyIsScopedToThatServicesListenersOnly() throws Exception {
        var translation = translate(with(
                policy("reviews-only", TO_REVIEWS, "action: DENY\nrules: [{to: [{operation: {methods: [DELETE]}}]}]")));
        ProxyResources waypoint = waypoint(translation);
        assertThat(names(filters(waypoint, REVIEWS, 9080)))
                .containsExactly(
                        "envoy.filters.http.rbac",
                        "envoy.filters.http.fault",
                        "envoy.filters.http.cors",
                        "envoy.filters.http.router");
        assertThat(names(filters(waypoint, RATINGS, 9080)))
                .containsExactly("envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router");
        var rules = rbac(filters(waypoint, REVIEWS, 9080).getFirst());
        assertThat(rules.getAction()).isEqualTo(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.DENY);
        assertThat(rules.getPoliciesMap().get("ns[default]-policy[reviews-only]-rule[0]"))
                .isEqualTo(Policy.newBuilder()
                        .addPermissions(header(":method", exact("DELETE")))
                        .addPrincipals(Principal.newBuilder().setAny(true))
                        .build());
    }

    @Test
    void aServiceEntryTargetedPolicyReachesThatEntrysHostsOnlyAndAServiceOfTheSameNameDoesNot() throws Exception {
        String entry = """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: reviews, namespace: default}
                spec:
                  hosts: [api.external.test]
                  addresses: [198.19.3.10]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                  resolution: DNS
                """;
        String deny = "action: DENY\nrules: [{to: [{operation: {methods: [DELETE]}}]}]";
        ProxyResources toEntry = waypoint(translate(with(
                entry,
                policy("egress-rules", "[{kind: ServiceEntry, group: networking.istio.io, name: reviews}]", deny))));
        assertThat(names(filters(toEntry, "api.external.test", 80)))
                .containsExactly(
                        "envoy.filters.http.rbac",
                        "envoy.filters.http.fault",
                        "envoy.filters.http.cors",
                        "envoy.filters.http.router");
        assertThat(names(filters(toEntry, REVIEWS, 9080)))
                .as("the Service named reviews is another resource")
                .containsExactly("envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router");

        ProxyResources toService = waypoint(translate(with(entry, policy("reviews-only", TO_REVIEWS, deny))));
        assertThat(names(filters(toService, "api.external.test", 80)))
                .containsExactly("envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router");
    }

    @Test
    void filtersComeInIstiosOrderAuditDenyAllowAndAnEmptyAllowPolicyAllowsNothing() throws Exception {
        var translation = translate(with(
                policy("allow-nothing", TO_WAYPOINT, "action: ALLOW"),
                policy("deny-delete", TO_WAYPOINT, "action: DENY\nrules: [{to: [{operation: {methods: [DELETE]}}]}]"),
                policy("audit-all", TO_WAYPOINT, "action: AUDIT\nrules: [{}]")));
        List<HttpFilter> filters = filters(waypoint(translation), REVIEWS, 9080);
        assertThat(names(filters))
                .containsExactly(
                        "envoy.filters.http.rbac",
                        "envoy.filters.http.rbac",
                        "envoy.filters.http.rbac",
                        "envoy.filters.http.fault",
                        "envoy.filters.http.cors",
                        "envoy.filters.http.router");
        assertThat(rbac(filters.get(0)).getAction()).isEqualTo(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.LOG);
        assertThat(rbac(filters.get(0)).getPoliciesMap().get("ns[default]-policy[audit-all]-rule[0]"))
                .isEqualTo(Policy.newBuilder()
                        .addPermissions(Permission.newBuilder().setAny(true))
                        .addPrincipals(Principal.newBuilder().setAny(true))
                        .build());
        assertThat(rbac(filters.get(1)).getAction()).isEqualTo(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.DENY);
        assertThat(rbac(filters.get(2)).getAction()).isEqualTo(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.ALLOW);
        assertThat(rbac(filters.get(2)).getPoliciesMap())
                .as("an ALLOW filter with no policy denies every request")
                .isEmpty();
    }

    @Test
    void whenConditionsAndRequestPrincipalsMatchTheJwtPayloadHeadersAndConnection() throws Exception {
        var translation = translate(with(policy("conditions", TO_REVIEWS, """
                        rules:
                        - from: [{source: {requestPrincipals: ["https://issuer.example/alice", "*"]}}]
                          when:
                          - {key: "request.headers[X-User-Id]", values: ["*"]}
                          - {key: "request.auth.claims[iss]", values: ["https://accounts.google.com"]}
                          - {key: "request.auth.claims[realm][team]", notValues: [blue]}
                          - {key: source.ip, values: ["198.18.2.0/24"]}
                          - {key: source.namespace, values: [default]}
                          - {key: destination.port, values: ["9080"]}
                          - {key: request.auth.audiences, values: [shop]}
                        """), JWT_RULE));
        assertThat(translation.warnings()).isEmpty();
        Policy policy = rbac(filters(waypoint(translation), REVIEWS, 9080).get(1))
                .getPoliciesMap()
                .get("ns[default]-policy[conditions]-rule[0]");
        assertThat(policy.getPermissionsList())
                .containsExactly(
                        Permission.newBuilder().setDestinationPort(9080).build());
        ValueMatcher present = ValueMatcher.newBuilder().setPresentMatch(true).build();
        assertThat(policy.getPrincipalsList())
                .containsExactly(and(
                        or(
                                and(
                                        Principal.newBuilder()
                                                .setMetadata(payload(
                                                        ValueMatcher.newBuilder()
                                                                .setStringMatch(exact("https://issuer.example"))
                                                                .build(),
                                                        "iss"))
                                                .build(),
                                        Principal.newBuilder()
                                                .setMetadata(payload(
                                                        ValueMatcher.newBuilder()
                                                                .setStringMatch(exact("alice"))
                                                                .build(),
                                                        "sub"))
                                                .build()),
                                Principal.newBuilder()
                                        .setMetadata(payload(present, "iss"))
                                        .build()),
                        Principal.newBuilder()
                                .setHeader(HeaderMatcher.newBuilder()
                                        .setName("x-user-id")
                                        .setPresentMatch(true))
                                .build(),
                        claim("https://accounts.google.com", "iss"),
                        Principal.newBuilder()
                                .setNotId(claim("blue", "realm", "team"))
                                .build(),
                        Principal.newBuilder()
                                .setDirectRemoteIp(cidr("198.18.2.0", 24))
                                .build(),
                        authenticated(StringMatcher.newBuilder()
                                .setSafeRegex(RegexMatcher.newBuilder().setRegex(".*/ns/default/.*"))
                                .build()),
                        claim("shop", "aud")));
    }

    private static final String JWT_RULE = """
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata: {name: jwt, namespace: default}
            spec:
              targetRefs: [{kind: Service, group: "", name: reviews}]
              jwtRules:
              - issuer: https://accounts.google.com
                jwksUri: https://www.googleapis.com/oauth2/v3/certs
                audiences: [shop, shop-admin]
                fromHeaders: [{name: x-jwt, prefix: "Bearer "}]
                fromParams: [token]
                forwardOriginalToken: true
                outputPayloadToHeader: x-jwt-payload
                outputClaimToHeaders: [{claim: sub, header: x-sub}]
                timeout: 3s
                spaceDelimitedClaims: [roles, scope]
              - issuer: local.example
                jwks: '{"keys": []}'
            """;

    @Test
    void requestAuthenticationBecomesJwtAuthnFirstWithIstioSemantics() throws Exception {
        var translation = translate(with(JWT_RULE));
        assertThat(translation.warnings()).isEmpty();
        List<HttpFilter> filters = filters(waypoint(translation), REVIEWS, 9080);
        assertThat(names(filters))
                .containsExactly(
                        "envoy.filters.http.jwt_authn",
                        "envoy.filters.http.fault",
                        "envoy.filters.http.cors",
                        "envoy.filters.http.router");
        assertThat(names(filters(waypoint(translation), RATINGS, 9080)))
                .containsExactly("envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router");
        JwtAuthentication jwt = filters.getFirst().getTypedConfig().unpack(JwtAuthentication.class);
        assertThat(jwt.getBypassCorsPreflight()).isTrue();
        assertThat(jwt.getProvidersMap()).containsOnlyKeys("origins-0", "origins-1");
        JwtProvider google = jwt.getProvidersOrThrow("origins-0");
        assertThat(google.getIssuer()).isEqualTo("https://accounts.google.com");
        assertThat(google.getAudiencesList()).containsExactly("shop", "shop-admin");
        assertThat(google.getRemoteJwks().getHttpUri().getUri())
                .isEqualTo("https://www.googleapis.com/oauth2/v3/certs");
        assertThat(google.getRemoteJwks().getHttpUri().getCluster()).isEqualTo("jwks|www.googleapis.com|443");
        assertThat(google.getRemoteJwks().getHttpUri().getTimeout())
                .isEqualTo(Duration.newBuilder().setSeconds(3).build());
        assertThat(google.getRemoteJwks().getCacheDuration())
                .isEqualTo(Duration.newBuilder().setSeconds(300).build());
        assertThat(google.getFromHeadersList())
                .containsExactly(JwtHeader.newBuilder()
                        .setName("x-jwt")
                        .setValuePrefix("Bearer ")
                        .build());
        assertThat(google.getFromParamsList()).containsExactly("token");
        assertThat(google.getForward()).isTrue();
        assertThat(google.getForwardPayloadHeader()).isEqualTo("x-jwt-payload");
        assertThat(google.getPayloadInMetadata()).isEqualTo("payload");
        assertThat(google.getClaimToHeadersList()).singleElement().satisfies(c -> {
            assertThat(c.getClaimName()).isEqualTo("sub");
            assertThat(c.getHeaderName()).isEqualTo("x-sub");
        });
        JwtProvider local = jwt.getProvidersOrThrow("origins-1");
        assertThat(local.getLocalJwks().getInlineString()).isEqualTo("{\"keys\": []}");
        assertThat(local.getForward()).isFalse();
        assertThat(local.getPayloadInMetadata()).isEqualTo("payload");
        assertThat(google.getNormalizePayloadInMetadata().getSpaceDelimitedClaimsList())
                .as("Istio's scope and permission, then the rule's own, once each")
                .containsExactly("scope", "permission", "roles");
        assertThat(local.getNormalizePayloadInMetadata().getSpaceDelimitedClaimsList())
                .containsExactly("scope", "permission");
        assertThat(jwt.getRulesList()).singleElement().satisfies(rule -> {
            assertThat(rule.getMatch().getPrefix()).isEqualTo("/");
            assertThat(rule.getRequires().getRequiresAny().getRequirementsList())
                    .containsExactly(
                            JwtRequirement.newBuilder()
                                    .setProviderName("origins-0")
                                    .build(),
                            JwtRequirement.newBuilder()
                                    .setProviderName("origins-1")
                                    .build(),
                            JwtRequirement.newBuilder()
                                    .setAllowMissing(Empty.getDefaultInstance())
                                    .build());
        });
    }

    @Test
    void aRootNamespacePolicyOnTheWaypointClassAppliesToEveryWaypoint() throws Exception {
        String mesh = """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: mesh-deny-trace, namespace: istio-system}
                spec:
                  targetRefs: [{kind: GatewayClass, group: gateway.networking.k8s.io, name: istio-waypoint}]
                  action: DENY
                  rules: [{to: [{operation: {methods: [TRACE]}}]}]
                """;
        var translation = translate(with(mesh));
        assertThat(translation.warnings()).isEmpty();
        var rules = rbac(filters(waypoint(translation), RATINGS, 9080).getFirst());
        assertThat(rules.getAction()).isEqualTo(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.DENY);
        assertThat(rules.getPoliciesMap()).containsOnlyKeys("ns[istio-system]-policy[mesh-deny-trace]-rule[0]");
    }

    @Test
    void whatCannotBeExpressedIsReportedAndNeverLooserThanWritten() throws Exception {
        var translation =
                translate(with(JWT_RULE, policy("allow-odd", TO_REVIEWS, """
                        rules:
                        - from: [{source: {requestPrincipals: ["https://issuer.example/al*"]}}]
                        - when: [{key: "experimental.envoy.filters.network.mysql_proxy[db.table]", values: [x]}]
                        - when: [{key: "request.headers[x-tenant]", notValues: [blocked]}]
                        """), policy("deny-odd", TO_REVIEWS, """
                        action: DENY
                        rules:
                        - from: [{source: {requestPrincipals: ["https://issuer.example/al*"]}}]
                        """)));
        assertThat(translation.warnings())
                .extracting(w -> w.resource().name() + ": " + w.message())
                .anySatisfy(m -> assertThat(m)
                        .startsWith("allow-odd: request principal 'https://issuer.example/al*'")
                        .contains("matches nothing"))
                .anySatisfy(m -> assertThat(m)
                        .startsWith("allow-odd: condition key 'experimental.envoy.filters.network.mysql_proxy")
                        .contains("matches nothing"))
                .anySatisfy(m ->
                        assertThat(m).startsWith("deny-odd: request principal").contains("any token"));
        List<HttpFilter> filters = filters(waypoint(translation), REVIEWS, 9080);
        Principal nothing = Principal.newBuilder()
                .setNotId(Principal.newBuilder().setAny(true))
                .build();
        var allow = rbac(filters.get(2)).getPoliciesMap();
        assertThat(allow.get("ns[default]-policy[allow-odd]-rule[0]").getPrincipals(0))
                .isEqualTo(nothing);
        assertThat(allow.get("ns[default]-policy[allow-odd]-rule[1]").getPrincipals(0))
                .isEqualTo(nothing);
        assertThat(allow.get("ns[default]-policy[allow-odd]-rule[2]").getPrincipals(0))
                .isEqualTo(Principal.newBuilder()
                        .setNotId(Principal.newBuilder()
                                .setHeader(HeaderMatcher.newBuilder()
                                        .setName("x-tenant")
                                        .setStringMatch(exact("blocked"))))
                        .build());
        var deny = rbac(filters.get(1)).getPoliciesMap();
        assertThat(deny.get("ns[default]-policy[deny-odd]-rule[0]").getPrincipals(0))
                .isEqualTo(Principal.newBuilder()
                        .setMetadata(payload(
                                ValueMatcher.newBuilder().setPresentMatch(true).build(), "iss"))
                        .build());
    }

    @Test
    void claimsWithoutARequestAuthenticationAreReported() {
        var translation = translate(with(policy("claims", TO_REVIEWS, """
                rules: [{when: [{key: "request.auth.claims[iss]", values: [x]}]}]
                """)));
        assertThat(translation.warnings()).singleElement().satisfies(w -> {
            assertThat(w.resource().toString()).isEqualTo("AuthorizationPolicy default/claims");
            assertThat(w.message()).contains("no RequestAuthentication applies to " + REVIEWS);
        });
    }

    @Test
    void selectorPoliciesDoNotReachTheWaypointAndUnboundTargetsAreReported() throws Exception {
        var translation = translate(with(
                seed("05-authorizationpolicy-productpage-policy.yaml"),
                policy("nowhere", "[{kind: Service, group: \"\", name: no-such-service}]", "rules: [{}]"),
                """
                apiVersion: security.istio.io/v1
                kind: RequestAuthentication
                metadata: {name: namespace-wide, namespace: default}
                spec:
                  jwtRules: [{issuer: a.example, jwks: "{}"}]
                """));
        assertThat(names(filters(waypoint(translation), REVIEWS, 9080)))
                .containsExactly("envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router");
        assertThat(translation.warnings())
                .extracting(w -> w.resource().toString())
                .containsExactlyInAnyOrder(
                        "AuthorizationPolicy default/nowhere", "RequestAuthentication default/namespace-wide");
        assertThat(translation.warnings())
                .anySatisfy(
                        w -> assertThat(w.message()).contains("not enforced").contains("targetRefs"));
    }

    /** The seed policy with its selector replaced by targetRefs to the service: what a user moves to in ambient. */
    private static String retargeted(String seedFile, String service) {
        String text = seed(seedFile);
        return text.replaceAll(
                "(?s)  selector:\\n    matchLabels:\\n      app: [a-z-]+\\n",
                "  targetRefs: [{kind: Service, group: \"\", name: " + service + "}]\n");
    }

    private static String productpage() {
        return BookinfoMesh.service("productpage", "198.19.0.23", 9080);
    }

    @Test
    void seed05RetargetedAllowsOnlyTheNamedPrincipalToGetProducts() throws Exception {
        var translation = translate(
                with(productpage(), retargeted("05-authorizationpolicy-productpage-policy.yaml", "productpage")));
        assertThat(translation.warnings()).isEmpty();
        var rules = rbac(filters(waypoint(translation), PRODUCTPAGE, 9080).getFirst());
        assertThat(rules.getAction()).isEqualTo(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.ALLOW);
        assertThat(rules.getPoliciesMap())
                .containsExactly(java.util.Map.entry(
                        "ns[default]-policy[productpage-policy]-rule[0]",
                        Policy.newBuilder()
                                .addPermissions(andRules(
                                        header(":method", exact("GET")),
                                        path(StringMatcher.newBuilder()
                                                .setPrefix("/api/v1/products")
                                                .build())))
                                .addPrincipals(authenticated(
                                        exact("spiffe://cluster.local/ns/default/sa/bookinfo-productpage")))
                                .build()));
    }

    @Test
    void seed12And15RetargetedMatchHeaderPresenceAndTheIssuerClaim() throws Exception {
        String ra = JWT_RULE.replace("name: reviews", "name: productpage");
        var translation = translate(with(
                productpage(),
                ra,
                retargeted("12-authorizationpolicy-rate-limit.yaml", "productpage"),
                retargeted("15-authorizationpolicy-product-api-rate-limit.yaml", "product-api")));
        assertThat(translation.warnings()).isEmpty();
        List<HttpFilter> page = filters(waypoint(translation), PRODUCTPAGE, 9080);
        assertThat(names(page))
                .containsExactly(
                        "envoy.filters.http.jwt_authn",
                        "envoy.filters.http.rbac",
                        "envoy.filters.http.fault",
                        "envoy.filters.http.cors",
                        "envoy.filters.http.router");
        Principal userHeader = Principal.newBuilder()
                .setHeader(HeaderMatcher.newBuilder().setName("x-user-id").setPresentMatch(true))
                .build();
        assertThat(rbac(page.get(1)).getPoliciesMap())
                .containsExactly(java.util.Map.entry(
                        "ns[default]-policy[rate-limit]-rule[0]",
                        Policy.newBuilder()
                                .addPermissions(header(":method", exact("GET")))
                                .addPrincipals(and(userHeader, claim("https://accounts.google.com", "iss")))
                                .build()));
        List<HttpFilter> api = filters(waypoint(translation), "product-api.default.svc.cluster.local", 8080);
        assertThat(names(api))
                .containsExactly(
                        "envoy.filters.http.rbac",
                        "envoy.filters.http.fault",
                        "envoy.filters.http.cors",
                        "envoy.filters.http.router");
        assertThat(rbac(api.getFirst()).getPoliciesMap())
                .containsExactly(java.util.Map.entry(
                        "ns[default]-policy[product-api-rate-limit]-rule[0]",
                        Policy.newBuilder()
                                .addPermissions(header(":method", exact("GET")))
                                .addPrincipals(userHeader)
                                .build()));
    }

    private static final String PRODUCTPAGE_POD = io.ambientjava.istiod.testsupport.Configs.pod(
            "default", "productpage-v1", "198.18.1.30", "bookinfo-productpage", "node-a", "app=productpage");

    @Test
    void seedSelectorPoliciesAreEnforcedAtTheWaypointServingTheSelectedWorkloads() throws Exception {
        var translation = translate(with(
                productpage(),
                PRODUCTPAGE_POD,
                seed("05-authorizationpolicy-productpage-policy.yaml"),
                seed("12-authorizationpolicy-rate-limit.yaml"),
                seed("15-authorizationpolicy-product-api-rate-limit.yaml"),
                JWT_RULE.replace(
                        "targetRefs: [{kind: Service, group: \"\", name: reviews}]",
                        "selector: {matchLabels: {app: productpage}}")));
        assertThat(translation.warnings()).singleElement().satisfies(w -> {
            assertThat(w.resource().toString()).isEqualTo("RequestAuthentication default/jwt");
            assertThat(w.message()).contains("enforced at waypoint default/waypoint (for default/productpage)");
        });
        List<HttpFilter> page = filters(waypoint(translation), PRODUCTPAGE, 9080);
        assertThat(names(page))
                .containsExactly(
                        "envoy.filters.http.jwt_authn",
                        "envoy.filters.http.rbac",
                        "envoy.filters.http.fault",
                        "envoy.filters.http.cors",
                        "envoy.filters.http.router");
        assertThat(rbac(page.get(1)).getAction()).isEqualTo(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.ALLOW);
        assertThat(rbac(page.get(1)).getPoliciesMap())
                .containsOnlyKeys(
                        "ns[default]-policy[productpage-policy]-rule[0]", "ns[default]-policy[rate-limit]-rule[0]");
        List<HttpFilter> api = filters(waypoint(translation), "product-api.default.svc.cluster.local", 8080);
        assertThat(rbac(api.getFirst()).getPoliciesMap())
                .containsOnlyKeys("ns[default]-policy[product-api-rate-limit]-rule[0]");
        // services whose pods the selectors do not select keep their filter chain
        assertThat(names(filters(waypoint(translation), REVIEWS, 9080)))
                .containsExactly("envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router");
    }

    @Test
    void aSelectorPolicyZtunnelCanEnforceAloneStaysOffTheWaypoint() throws Exception {
        var translation = translate(with("""
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: l4-only, namespace: default}
                spec:
                  selector: {matchLabels: {app: reviews}}
                  rules: [{from: [{source: {principals: [cluster.local/ns/default/sa/sleep]}}], to: [{operation: {ports: ["8080"]}}]}]
                """, """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: audit, namespace: default}
                spec:
                  selector: {matchLabels: {app: ratings}}
                  action: AUDIT
                  rules: [{from: [{source: {namespaces: [default]}}]}]
                """));
        assertThat(names(filters(waypoint(translation), REVIEWS, 9080)))
                .containsExactly("envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router");
        // AUDIT cannot be done by ztunnel: the waypoint logs it
        List<HttpFilter> ratings = filters(waypoint(translation), RATINGS, 9080);
        assertThat(rbac(ratings.getFirst()).getAction()).isEqualTo(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.LOG);
    }

    @Test
    void aSelectorRequestAuthenticationWithoutAWaypointIsReportedAsNotEnforced() {
        var translation = translate(with(JWT_RULE.replace(
                "targetRefs: [{kind: Service, group: \"\", name: reviews}]",
                "selector: {matchLabels: {app: nobody}}")));
        assertThat(translation.warnings()).singleElement().satisfies(w -> {
            assertThat(w.resource().toString()).isEqualTo("RequestAuthentication default/jwt");
            assertThat(w.message())
                    .contains("no waypoint serves the workloads its selector selects")
                    .contains("not enforced");
        });
    }
}
