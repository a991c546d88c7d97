package io.ambientjava.waypoint.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Message;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.ambientjava.identity.SpiffeId;
import io.ambientjava.istiod.config.ConfigResource;
import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.yaml.ResourceFileParser;
import io.ambientjava.istiod.translate.MeshSettings;
import io.ambientjava.istiod.translate.envoy.EnvoyTranslator;
import io.ambientjava.istiod.translate.envoy.ProxyId;
import io.ambientjava.istiod.translate.envoy.ProxyResources;
import io.ambientjava.waypoint.proxy.DownstreamContext;
import io.ambientjava.waypoint.proxy.DownstreamListener;
import io.ambientjava.waypoint.testsupport.TestBed;
import io.ambientjava.waypoint.testsupport.TestUpstream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every AuthorizationPolicy attribute and RequestAuthentication field, as istiod-lite translates it from Istio YAML and
 * the waypoint enforces it on real HTTP requests: for each, a request the rule matches and one it does not.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS) // one waypoint data path for all cases: each applies its own config
class SecurityAttributesTest {

    private static final String VIP = "198.19.0.40";
    private static final String HOST = "reviews.default.svc.cluster.local";
    private static final String ALICE = "spiffe://cluster.local/ns/default/sa/alice";
    private static final String BOB = "spiffe://cluster.local/ns/default/sa/bob";
    private static final String CAROL = "spiffe://cluster.local/ns/other/sa/carol";
    private static final String GOOGLE = "https://accounts.google.com";
    private static final ECKey KEY = key("test-key");
    private static final ECKey OTHER_KEY = key("test-key");

    private final TestBed bed = new TestBed();
    private final TestUpstream upstream = bed.upstream("reviews");
    private final Map<String, Integer> listeners = new HashMap<>();
    private final List<DownstreamListener> bound = new ArrayList<>();

    @BeforeEach
    void forget() {
        bed.records.clear();
    }

    @AfterAll
    void close() {
        bound.forEach(DownstreamListener::close);
        bed.close();
    }

    /** One request: who sends it, from where, to which port, with which headers. */
    record Req(
            String method,
            String path,
            int port,
            Optional<String> identity,
            String sourceIp,
            Map<String, String> headers) {
        static Req get(String path) {
            return new Req("GET", path, 80, Optional.of(ALICE), "198.18.0.7", Map.of("host", HOST));
        }

        Req method(String m) {
            return new Req(m, path, port, identity, sourceIp, headers);
        }

        Req port(int p) {
            return new Req(method, path, p, identity, sourceIp, headers);
        }

        Req as(String spiffe) {
            return new Req(method, path, port, Optional.ofNullable(spiffe), sourceIp, headers);
        }

        Req from(String ip) {
            return new Req(method, path, port, identity, ip, headers);
        }

        Req header(String name, String value) {
            Map<String, String> next = new LinkedHashMap<>(headers);
            next.put(name, value);
            return new Req(method, path, port, identity, sourceIp, next);
        }

        Req token(String jwt) {
            return header("authorization", "Bearer " + jwt);
        }
    }

    /** A policy (spec lines after {@code targetRefs}) and a request it matches and one it does not (null: none). */
    record Case(String name, String spec, Req match, Req miss) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        Req get = Req.get("/");
        return Stream.of(
                allow(
                        "from.principals",
                        "from: [{source: {principals: [cluster.local/ns/default/sa/alice]}}]",
                        get,
                        get.as(BOB)),
                allow(
                        "from.notPrincipals",
                        "from: [{source: {notPrincipals: [cluster.local/ns/default/sa/alice]}}]",
                        get.as(BOB),
                        get),
                allow("from.principals suffix", "from: [{source: {principals: [\"*/sa/alice\"]}}]", get, get.as(BOB)),
                allow(
                        "from.principals prefix",
                        "from: [{source: {principals: [\"cluster.local/ns/default/*\"]}}]",
                        get.as(BOB),
                        get.as(CAROL)),
                allow("from.principals presence", "from: [{source: {principals: [\"*\"]}}]", get, get.as(null)),
                allow(
                        "from.requestPrincipals",
                        "from: [{source: {requestPrincipals: [\"https://accounts.google.com/user-1\"]}}]",
                        get.token(token(Map.of())),
                        get.token(token(Map.of("sub", "user-2")))),
                allow(
                        "from.requestPrincipals any",
                        "from: [{source: {requestPrincipals: [\"*\"]}}]",
                        get.token(token(Map.of())),
                        get),
                allow(
                        "from.notRequestPrincipals",
                        "from: [{source: {notRequestPrincipals: [\"*\"]}}]",
                        get,
                        get.token(token(Map.of()))),
                allow("from.namespaces", "from: [{source: {namespaces: [default]}}]", get, get.as(CAROL)),
                allow("from.notNamespaces", "from: [{source: {notNamespaces: [default]}}]", get.as(CAROL), get),
                allow("from.ipBlocks", "from: [{source: {ipBlocks: [198.18.0.0/24]}}]", get, get.from("198.18.1.7")),
                allow("from.notIpBlocks", "from: [{source: {notIpBlocks: [198.18.0.7]}}]", get.from("198.18.1.7"), get),
                allow(
                        "from.remoteIpBlocks",
                        "from: [{source: {remoteIpBlocks: [198.18.5.0/24]}}]",
                        get.header("x-forwarded-for", "198.18.5.9"),
                        get.header("x-forwarded-for", "198.18.6.9")),
                allow(
                        "from.notRemoteIpBlocks",
                        "from: [{source: {notRemoteIpBlocks: [198.18.5.0/24]}}]",
                        get.header("x-forwarded-for", "198.18.6.9"),
                        get.header("x-forwarded-for", "198.18.5.9")),
                allow(
                        "to.hosts",
                        "to: [{operation: {hosts: [reviews.default.svc.cluster.local]}}]",
                        get,
                        get.header("host", "other.example")),
                allow(
                        "to.hosts with port and any case",
                        "to: [{operation: {hosts: [reviews.default.svc.cluster.local]}}]",
                        get.header("host", "Reviews.default.svc.cluster.local:80"),
                        get.header("host", "reviews.default.svc.cluster.local.evil:80")),
                allow(
                        "to.hosts suffix",
                        "to: [{operation: {hosts: [\"*.svc.cluster.local\"]}}]",
                        get,
                        get.header("host", "reviews")),
                allow(
                        "to.hosts prefix",
                        "to: [{operation: {hosts: [\"reviews.*\"]}}]",
                        get,
                        get.header("host", "ratings.default")),
                allow(
                        "to.notHosts",
                        "to: [{operation: {notHosts: [\"ratings*\"]}}]",
                        get,
                        get.header("host", "ratings.default")),
                allow("to.ports", "to: [{operation: {ports: [\"80\"]}}]", get, get.port(81)),
                allow("to.notPorts", "to: [{operation: {notPorts: [\"80\"]}}]", get.port(81), get),
                allow("to.methods", "to: [{operation: {methods: [GET, HEAD]}}]", get, get.method("POST")),
                allow("to.notMethods", "to: [{operation: {notMethods: [DELETE]}}]", get, get.method("DELETE")),
                allow(
                        "to.paths exact ignores the query",
                        "to: [{operation: {paths: [/a]}}]",
                        Req.get("/a?q=1"),
                        Req.get("/a/b")),
                allow(
                        "to.paths prefix",
                        "to: [{operation: {paths: [\"/api/*\"]}}]",
                        Req.get("/api/v1"),
                        Req.get("/apix")),
                allow(
                        "to.paths suffix",
                        "to: [{operation: {paths: [\"*.json\"]}}]",
                        Req.get("/data/x.json"),
                        Req.get("/data/x.xml")),
                allow("to.paths presence", "to: [{operation: {paths: [\"*\"]}}]", Req.get("/anything"), null),
                allow(
                        "to.notPaths",
                        "to: [{operation: {notPaths: [\"/admin*\"]}}]",
                        Req.get("/public"),
                        Req.get("/admin/1")),
                allow(
                        "when request.headers",
                        "when: [{key: \"request.headers[X-User]\", values: [alice]}]",
                        get.header("x-user", "alice"),
                        get.header("x-user", "bob")),
                allow(
                        "when request.headers presence",
                        "when: [{key: \"request.headers[x-user]\", values: [\"*\"]}]",
                        get.header("x-user", "anyone"),
                        get),
                allow(
                        "when request.headers notValues",
                        "when: [{key: \"request.headers[x-user]\", notValues: [bob]}]",
                        get.header("x-user", "alice"),
                        get.header("x-user", "bob")),
                allow(
                        "when request.auth.claims",
                        "when: [{key: \"request.auth.claims[iss]\", values: [\"https://accounts.google.com\"]}]",
                        get.token(token(Map.of())),
                        get),
                allow(
                        "when request.auth.claims list",
                        "when: [{key: \"request.auth.claims[groups]\", values: [admins]}]",
                        get.token(token(Map.of("groups", List.of("dev", "admins")))),
                        get.token(token(Map.of("groups", List.of("dev"))))),
                allow(
                        "when request.auth.claims space-delimited scope",
                        "when: [{key: \"request.auth.claims[scope]\", values: [read]}]",
                        get.token(token(Map.of("scope", "openid read write"))),
                        get.token(token(Map.of("scope", "openid readonly")))),
                allow(
                        "when request.auth.claims space-delimited by the rule",
                        "when: [{key: \"request.auth.claims[roles]\", values: [admin]}]",
                        get.token(token(Map.of("roles", "viewer admin"))),
                        get.token(token(Map.of("roles", "viewer administrator")))),
                allow(
                        "when request.auth.claims nested",
                        "when: [{key: \"request.auth.claims[realm][role]\", values: [owner]}]",
                        get.token(token(Map.of("realm", Map.of("role", "owner")))),
                        get.token(token(Map.of("realm", Map.of("role", "guest"))))),
                allow(
                        "when request.auth.claims notValues",
                        "when: [{key: \"request.auth.claims[sub]\", notValues: [user-2]}]",
                        get.token(token(Map.of())),
                        get.token(token(Map.of("sub", "user-2")))),
                allow(
                        "when request.auth.principal",
                        "when: [{key: request.auth.principal, values: [\"https://accounts.google.com/user-1\"]}]",
                        get.token(token(Map.of())),
                        get.token(token(Map.of("sub", "user-2")))),
                allow(
                        "when request.auth.audiences",
                        "when: [{key: request.auth.audiences, values: [bookinfo]}]",
                        get.token(token(Map.of())),
                        get.token(token(Map.of("aud", "other")))),
                allow(
                        "when request.auth.presenter",
                        "when: [{key: request.auth.presenter, values: [web-client]}]",
                        get.token(token(Map.of("azp", "web-client"))),
                        get.token(token(Map.of("azp", "cli")))),
                allow("when source.ip", "when: [{key: source.ip, values: [198.18.0.7]}]", get, get.from("198.18.0.8")),
                allow(
                        "when source.namespace",
                        "when: [{key: source.namespace, values: [default]}]",
                        get,
                        get.as(CAROL)),
                allow(
                        "when source.principal",
                        "when: [{key: source.principal, values: [cluster.local/ns/default/sa/alice]}]",
                        get,
                        get.as(BOB)),
                allow(
                        "when remote.ip",
                        "when: [{key: remote.ip, values: [198.18.5.0/24]}]",
                        get.header("x-forwarded-for", "198.18.5.1"),
                        get),
                allow("when destination.ip", "when: [{key: destination.ip, values: [198.19.0.40]}]", get, null),
                allow("when destination.ip other", "when: [{key: destination.ip, values: [198.19.0.41]}]", null, get),
                allow("when destination.port", "when: [{key: destination.port, values: [\"80\"]}]", get, get.port(81)),
                allow("when connection.sni", "when: [{key: connection.sni, notValues: [reviews.example]}]", get, null),
                allow(
                        "when connection.sni values",
                        "when: [{key: connection.sni, values: [reviews.example]}]",
                        null,
                        get),
                new Case(
                        "DENY methods",
                        "action: DENY\nrules: [{to: [{operation: {methods: [DELETE]}}]}]",
                        get.method("DELETE"),
                        get),
                new Case(
                        "DENY notPaths with a header condition",
                        "action: DENY\nrules: [{to: [{operation: {notPaths: [\"/public*\"]}}], when: [{key: \"request.headers[x-debug]\", values: [\"*\"]}]}]",
                        get.header("x-debug", "1"),
                        Req.get("/public/x").header("x-debug", "1")));
    }

    private static Case allow(String name, String rule, Req match, Req miss) {
        return new Case(name, "rules: [{" + rule + "}]", match, miss);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachAttributeMatchesAtTheWaypoint(Case c) {
        // for the JWT attributes; roles is a custom space-delimited claim beside Istio's scope and permission
        apply(requestAuthentication("spaceDelimitedClaims: [roles]"), policy("under-test", c.spec()));
        boolean deny = c.spec().startsWith("action: DENY");
        if (c.match() != null) {
            Response r = send(c.match());
            if (deny) {
                assertDenied(r);
            } else {
                assertThat(r.status())
                        .as("matching request: %s %s", r, bed.records)
                        .isEqualTo(200);
            }
        }
        if (c.miss() != null) {
            Response r = send(c.miss());
            if (deny) {
                assertThat(r.status())
                        .as("request the DENY rule does not match: %s", r)
                        .isEqualTo(200);
            } else {
                assertDenied(r);
            }
        }
    }

    @Test
    void denyIsCheckedBeforeAllowAndAnAllowPolicyThatMatchesNothingDeniesTheRest() {
        apply(
                policy("deny-admin", "action: DENY\nrules: [{to: [{operation: {paths: [\"/admin*\"]}}]}]"),
                policy(
                        "allow-alice",
                        "rules: [{from: [{source: {principals: [cluster.local/ns/default/sa/alice]}}]}]"));
        assertThat(send(Req.get("/page")).status()).isEqualTo(200);
        assertDenied(send(Req.get("/admin"))); // alice is allowed, but DENY comes first
        assertDenied(send(Req.get("/page").as(BOB))); // an ALLOW policy exists and none of its rules match
    }

    @Test
    void auditLogsTheMatchAndNeverDenies() {
        apply(policy("audit", "action: AUDIT\nrules: [{to: [{operation: {paths: [\"/audited*\"]}}]}]"));
        assertThat(send(Req.get("/audited/1")).status()).isEqualTo(200);
        assertThat(send(Req.get("/other")).status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> bed.records.size() >= 2);
        assertThat(bed.records.get(0).rbacLogged()).containsExactly("ns[default]-policy[audit]-rule[0]");
        assertThat(bed.records.get(1).rbacLogged()).isEmpty();
    }

    @Test
    void aTokenIsCheckedForIssuerAudienceSignatureAndExpiryAndAMissingOnePassesUnauthenticated() {
        apply(requestAuthentication("audiences: [bookinfo]"));
        assertThat(send(Req.get("/")).status()).isEqualTo(200);
        assertThat(send(Req.get("/").token(token(Map.of()))).status()).isEqualTo(200);
        assertThat(send(Req.get("/").token(token(Map.of("aud", "other")))).status())
                .isEqualTo(401);
        assertThat(send(Req.get("/").token(sign(OTHER_KEY, claims(Map.of())))).status())
                .isEqualTo(401);
        assertThat(send(Req.get("/").token(token(Map.of("iss", "https://evil.example"))))
                        .status())
                .isEqualTo(401);
        assertThat(send(Req.get("/")
                                .token(token(
                                        Map.of("exp", Date.from(Instant.now().minusSeconds(600))))))
                        .status())
                .isEqualTo(401);
        assertThat(send(Req.get("/").token("not-a-jwt")).status()).isEqualTo(401);
    }

    @Test
    void fromHeadersWithAPrefixAndFromParamsSayWhereTheTokenIs() {
        apply(
                requestAuthentication(
                        "fromHeaders: [{name: x-jwt, prefix: \"Token \"}]\n    fromParams: [access_token]"),
                policy("need-jwt", "rules: [{from: [{source: {requestPrincipals: [\"*\"]}}]}]"));
        assertThat(send(Req.get("/").header("x-jwt", "Token " + token(Map.of())))
                        .status())
                .isEqualTo(200);
        assertThat(send(Req.get("/?access_token=" + token(Map.of()))).status()).isEqualTo(200);
        // the default Authorization header is not a configured location any more: no token, not authenticated
        assertDenied(send(Req.get("/").token(token(Map.of()))));
    }

    @Test
    void outputPayloadToHeaderClaimHeadersAndForwardOriginalTokenShapeWhatTheBackendSees() {
        apply(requestAuthentication("outputPayloadToHeader: x-jwt-payload\n"
                + "    outputClaimToHeaders: [{header: x-sub, claim: sub}, {header: x-role, claim: realm.role}]"));
        String jwt = token(Map.of("realm", Map.of("role", "owner")));
        assertThat(send(Req.get("/").token(jwt)).status()).isEqualTo(200);
        var seen = upstream.seen.getLast().headers();
        assertThat(seen).doesNotContainKey("authorization");
        assertThat(seen).containsEntry("x-sub", "user-1").containsEntry("x-role", "owner");
        String payload = new String(Base64.getUrlDecoder().decode(seen.get("x-jwt-payload")), StandardCharsets.UTF_8);
        assertThat(payload).contains("\"sub\":\"user-1\"").contains("\"iss\":\"" + GOOGLE + "\"");

        apply(requestAuthentication("forwardOriginalToken: true"));
        assertThat(send(Req.get("/").token(jwt)).status()).isEqualTo(200);
        assertThat(upstream.seen.getLast().headers()).containsEntry("authorization", "Bearer " + jwt);
    }

    // ---- the mesh, translated by istiod-lite and applied to the waypoint

    private void apply(String... extra) {
        List<String> docs = new ArrayList<>(List.of(
                MESH.formatted(upstream.address().getPort(), upstream.address().getPort())));
        docs.addAll(List.of(extra));
        ResourceFileParser.ParsedFile parsed =
                new ResourceFileParser().parse(Path.of("mesh.yaml"), String.join("---\n", docs));
        assertThat(parsed.problems())
                .as("config problems")
                .filteredOn(p -> p.isError())
                .isEmpty();
        List<ConfigResource> resources = parsed.accepted();
        ProxyResources waypoint = new EnvoyTranslator(MeshSettings.defaults())
                .translate(ConfigSnapshot.of(1, resources))
                .of(ProxyId.waypoint("default", "waypoint"));
        bed.push(waypoint.clusters().values().toArray(Message[]::new));
        bed.push(waypoint.endpoints().values().toArray(Message[]::new));
        bed.push(waypoint.routes().values().toArray(Message[]::new));
        bed.push(waypoint.listeners().values().toArray(Message[]::new));
    }

    private static final String MESH = """
            apiVersion: v1
            kind: Namespace
            metadata: {name: default, labels: {istio.io/use-waypoint: waypoint}}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: waypoint, namespace: default}
            spec:
              gatewayClassName: istio-waypoint
              listeners: [{name: mesh, port: 15008, protocol: HBONE}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: waypoint, namespace: default, labels: {gateway.istio.io/managed: istio.io-mesh-controller}}
            spec: {clusterIP: 198.19.0.2, ports: [{name: mesh, port: 15008}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: reviews, namespace: default}
            spec:
              clusterIP: 198.19.0.40
              selector: {app: reviews}
              ports: [{name: http, port: 80, targetPort: %d}, {name: http-alt, port: 81, targetPort: %d}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: reviews-v1, namespace: default, labels: {app: reviews}}
            spec: {serviceAccountName: reviews, containers: [{name: app, image: app}]}
            status: {phase: Running, podIP: 127.0.0.1}
            """;

    private static String policy(String name, String spec) {
        return """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: %s, namespace: default}
                spec:
                  targetRefs: [{kind: Service, group: "", name: reviews}]
                %s
                """.formatted(name, spec.indent(2));
    }

    /** A RequestAuthentication for Google-issued tokens signed by the test key, with extra jwtRules fields. */
    private static String requestAuthentication(String fields) {
        return """
                apiVersion: security.istio.io/v1
                kind: RequestAuthentication
                metadata: {name: google, namespace: default}
                spec:
                  targetRefs: [{kind: Service, group: "", name: reviews}]
                  jwtRules:
                  - issuer: %s
                    jwks: '%s'
                    %s
                """.formatted(GOOGLE, new JWKSet(KEY.toPublicJWK()), fields);
    }

    // ---- requests

    record Response(int status, String text) {}

    private static void assertDenied(Response r) {
        assertThat(r.status()).as("%s", r).isEqualTo(403);
        assertThat(r.text()).endsWith("RBAC: access denied");
    }

    private Response send(Req req) {
        int port = listeners.computeIfAbsent(
                req.port() + "|" + req.identity().orElse("") + "|" + req.sourceIp(), k -> bind(req));
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(10_000);
            StringBuilder text = new StringBuilder(req.method() + " " + req.path() + " HTTP/1.1\r\n");
            req.headers()
                    .forEach((k, v) -> text.append(k).append(": ").append(v).append("\r\n"));
            text.append("content-length: 0\r\nconnection: close\r\n\r\n");
            OutputStream out = socket.getOutputStream();
            out.write(text.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            String response = all.toString(StandardCharsets.ISO_8859_1);
            String[] statusLine = response.split("\r\n", 2)[0].split(" ");
            int body = response.indexOf("\r\n\r\n");
            return new Response(
                    Integer.parseInt(statusLine[1]),
                    body < 0 ? "" : response.substring(body + 4).strip());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private int bind(Req req) {
        DownstreamListener listener = DownstreamListener.bind(
                        bed.group,
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        bed.runtime,
                        ch -> new DownstreamContext(
                                VIP,
                                req.port(),
                                req.identity().map(SpiffeId::parse),
                                Optional.of(new InetSocketAddress(InetAddress.ofLiteral(req.sourceIp()), 40000)),
                                Optional.empty()))
                .join();
        bound.add(listener);
        return listener.port();
    }

    // ---- tokens

    private static ECKey key(String kid) {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Claims iss=Google, sub=user-1, aud=bookinfo, an expiry in 10 minutes, then {@code extra} (which may replace them). */
    private static JWTClaimsSet claims(Map<String, ?> extra) {
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .issuer(GOOGLE)
                .subject("user-1")
                .audience("bookinfo")
                .expirationTime(Date.from(Instant.now().plusSeconds(600)));
        extra.forEach(claims::claim);
        return claims.build();
    }

    private static String token(Map<String, ?> extra) {
        return sign(KEY, claims(extra));
    }

    private static String sign(ECKey key, JWTClaimsSet claims) {
        try {
            SignedJWT jwt = new SignedJWT(
                    new JWSHeader.Builder(JWSAlgorithm.ES256)
                            .keyID(key.getKeyID())
                            .build(),
                    claims);
            jwt.sign(new ECDSASigner(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }
}
