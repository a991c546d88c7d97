package io.ambientjava.perf.l7;

import java.net.InetAddress;

/**
 * istiod-lite's config folder for the benchmark: namespace {@code default} in ambient mode; the client and server
 * pods; Service {@code echo} bound to the waypoint ({@code istio.io/use-waypoint}) with a VirtualService route, and
 * Service {@code echo-l4} on the same pods without one; the waypoint's Gateway (class {@code istio-waypoint}), its
 * Service and its pod.
 */
final class L7MeshConfig {

    static final String ECHO_VIP = "198.19.0.10";
    static final String ECHO_L4_VIP = "198.19.0.11";
    static final String WAYPOINT_VIP = "198.19.250.1";
    static final int SERVICE_PORT = 80;
    static final int TARGET_PORT = 8080;
    /** The TLS server behind nginx's mutual-TLS route (in the plain server's pod). */
    static final int TLS_TARGET_PORT = 9443;

    static final int NGINX_PORT = 8443;
    static final int NGINX_MTLS_PORT = 8444;
    /** The ingress gateway's HTTPS listener (gateway-mtls). */
    static final int GATEWAY_PORT = 8445;

    static final String GATEWAY_NAMESPACE = "edge";
    static final String GATEWAY_NAME = "edge";
    static final String ECHO_HOST = "echo.default.svc.cluster.local";
    static final String ECHO_L4_HOST = "echo-l4.default.svc.cluster.local";

    private L7MeshConfig() {}

    static String yaml(
            InetAddress client,
            String clientNode,
            InetAddress server,
            String serverNode,
            InetAddress waypoint,
            String waypointNode) {
        return """
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: default
                  labels: {istio.io/dataplane-mode: ambient}
                ---
                apiVersion: v1
                kind: Namespace
                metadata: {name: istio-system}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: client, namespace: default, labels: {app: client}}
                spec:
                  serviceAccountName: client
                  nodeName: %2$s
                  containers: [{name: app, image: load}]
                status: {phase: Running, podIP: %1$s}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: server, namespace: default, labels: {app: echo, version: v1}}
                spec:
                  serviceAccountName: server
                  nodeName: %4$s
                  containers: [{name: app, image: echo, ports: [{name: http, containerPort: %8$d}]}]
                status: {phase: Running, podIP: %3$s}
                ---
                apiVersion: v1
                kind: Service
                metadata:
                  name: echo
                  namespace: default
                  labels: {istio.io/use-waypoint: waypoint}
                spec:
                  clusterIP: %9$s
                  selector: {app: echo}
                  ports: [{name: http, port: %7$d, targetPort: %8$d}]
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: echo-l4, namespace: default}
                spec:
                  clusterIP: %10$s
                  selector: {app: echo}
                  ports: [{name: http, port: %7$d, targetPort: %8$d}]
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: echo, namespace: default}
                spec:
                  hosts: [%11$s]
                  http:
                  - match: [{uri: {prefix: /}}]
                    route: [{destination: {host: %11$s, port: {number: %7$d}}}]
                    timeout: 10s
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata:
                  name: waypoint
                  namespace: default
                  labels: {istio.io/waypoint-for: service}
                spec:
                  gatewayClassName: istio-waypoint
                  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
                ---
                apiVersion: v1
                kind: Service
                metadata:
                  name: waypoint
                  namespace: default
                  labels: {gateway.istio.io/managed: istio.io-mesh-controller, gateway.networking.k8s.io/gateway-name: waypoint}
                spec:
                  clusterIP: %12$s
                  selector: {gateway.networking.k8s.io/gateway-name: waypoint}
                  ports: [{name: mesh, port: 15008, targetPort: 15008, appProtocol: all}]
                ---
                apiVersion: v1
                kind: Pod
                metadata:
                  name: waypoint-0
                  namespace: default
                  labels: {gateway.networking.k8s.io/gateway-name: waypoint, gateway.istio.io/managed: istio.io-mesh-controller, istio.io/dataplane-mode: none}
                spec:
                  serviceAccountName: waypoint
                  nodeName: %6$s
                  containers: [{name: istio-proxy, image: waypoint, ports: [{name: hbone, containerPort: 15008}]}]
                status: {phase: Running, podIP: %5$s}
                """.formatted(
                        client.getHostAddress(),
                        clientNode,
                        server.getHostAddress(),
                        serverNode,
                        waypoint.getHostAddress(),
                        waypointNode,
                        SERVICE_PORT,
                        TARGET_PORT,
                        ECHO_VIP,
                        ECHO_L4_VIP,
                        ECHO_HOST,
                        WAYPOINT_VIP);
    }

    /**
     * nginx with one worker and two routes to the same answers: TLS in on {@link #NGINX_PORT} and HTTP/1.1 keep-alive
     * to the plain server; TLS in on {@link #NGINX_MTLS_PORT} and HTTP/1.1 keep-alive over TLS 1.3 to the TLS server,
     * presenting a client certificate (the waypoint's route: both hops encrypted). nginx checks the server's
     * certificate against no name: the mesh's certificates carry only SPIFFE URIs, which nginx cannot match, and the
     * check costs once per connection, not per request. Like the waypoint, nginx writes an access log line per
     * request, buffered and flushed every 100 ms as the waypoint's are. Client connections are kept as long as the
     * waypoint keeps them (nginx closes one after 1,000 requests by default).
     */
    static String nginx(java.nio.file.Path dir, InetAddress server) {
        return """
                daemon off;
                master_process on;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events { worker_connections 1024; }
                http {
                  access_log %1$s/access.log combined buffer=64k flush=100ms;
                  client_body_temp_path %1$s/tmp;
                  proxy_temp_path %1$s/tmp;
                  fastcgi_temp_path %1$s/tmp;
                  uwsgi_temp_path %1$s/tmp;
                  scgi_temp_path %1$s/tmp;
                  ssl_certificate %1$s/cert.pem;
                  ssl_certificate_key %1$s/key.pem;
                  ssl_protocols TLSv1.3;
                  keepalive_requests 1000000;
                  keepalive_timeout 300s;
                  upstream echo { server %2$s:%3$d; keepalive 64; }
                  upstream echo_tls { server %2$s:%4$d; keepalive 64; }
                  server {
                    listen %5$d ssl;
                    location / {
                      proxy_pass http://echo;
                      proxy_http_version 1.1;
                      proxy_set_header Connection "";
                      proxy_read_timeout 10s;
                    }
                  }
                  server {
                    listen %6$d ssl;
                    location / {
                      proxy_pass https://echo_tls;
                      proxy_http_version 1.1;
                      proxy_set_header Connection "";
                      proxy_read_timeout 10s;
                      proxy_ssl_protocols TLSv1.3;
                      proxy_ssl_certificate %1$s/upstream-client-cert.pem;
                      proxy_ssl_certificate_key %1$s/upstream-client-key.pem;
                      proxy_ssl_session_reuse on;
                      proxy_ssl_verify off;
                    }
                  }
                }
                """.formatted(dir, server.getHostAddress(), TARGET_PORT, TLS_TARGET_PORT, NGINX_PORT, NGINX_MTLS_PORT);
    }

    /**
     * The gateway-mtls route as a user writes it, in namespace {@value #GATEWAY_NAMESPACE} outside the mesh: a Gateway
     * API Gateway with an HTTPS listener on {@link #GATEWAY_PORT} (nginx's listener certificate, from a TLS Secret),
     * an HTTPRoute to Service {@code echo-tls} (the plain server pod's TLS port), and a DestinationRule for it with
     * {@code tls.mode: MUTUAL} whose {@code credentialName} Secret holds nginx's upstream client certificate and the
     * CA the gateway checks the server against (nginx checks none: {@code proxy_ssl_verify off}).
     */
    static String gateway(java.nio.file.Path pki, InetAddress serverPlain, String serverNode)
            throws java.io.IOException {
        return """
                ---
                apiVersion: v1
                kind: Namespace
                metadata: {name: %1$s}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: server-plain, namespace: %1$s, labels: {app: echo-tls}}
                spec:
                  serviceAccountName: server-plain
                  nodeName: %3$s
                  containers: [{name: app, image: echo, ports: [{name: https, containerPort: %4$d}]}]
                status: {phase: Running, podIP: %2$s}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: echo-tls, namespace: %1$s}
                spec:
                  clusterIP: 198.19.0.12
                  selector: {app: echo-tls}
                  ports: [{name: https, port: 443, targetPort: %4$d}]
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: %5$s, namespace: %1$s}
                spec:
                  gatewayClassName: istio
                  listeners:
                  - name: https
                    port: %6$d
                    protocol: HTTPS
                    tls: {mode: Terminate, certificateRefs: [{name: edge-cert}]}
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: echo-tls, namespace: %1$s}
                spec:
                  parentRefs: [{name: %5$s}]
                  rules:
                  - backendRefs: [{name: echo-tls, port: 443}]
                    timeouts: {request: 10s}
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: echo-tls, namespace: %1$s}
                spec:
                  host: echo-tls.%1$s.svc.cluster.local
                  trafficPolicy:
                    tls: {mode: MUTUAL, credentialName: edge-upstream}
                ---
                apiVersion: v1
                kind: Secret
                metadata: {name: edge-cert, namespace: %1$s}
                type: kubernetes.io/tls
                stringData:
                  tls.crt: |
                    %7$s
                  tls.key: |
                    %8$s
                ---
                apiVersion: v1
                kind: Secret
                metadata: {name: edge-upstream, namespace: %1$s}
                type: Opaque
                stringData:
                  tls.crt: |
                    %9$s
                  tls.key: |
                    %10$s
                  ca.crt: |
                    %11$s
                """.formatted(
                        GATEWAY_NAMESPACE,
                        serverPlain.getHostAddress(),
                        serverNode,
                        TLS_TARGET_PORT,
                        GATEWAY_NAME,
                        GATEWAY_PORT,
                        indented(pki.resolve("cert.pem")),
                        indented(pki.resolve("key.pem")),
                        indented(pki.resolve("upstream-client-cert.pem")),
                        indented(pki.resolve("upstream-client-key.pem")),
                        indented(pki.resolve("ca.pem")));
    }

    private static String indented(java.nio.file.Path pem) throws java.io.IOException {
        return java.nio.file.Files.readString(pem).strip().replace("\n", "\n    ");
    }
}
