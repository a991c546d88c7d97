package io.ambientjava.waypoint.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.waypoint.testsupport.EdgeGateway;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Gateway API {@code GRPCRoute} from the user's YAML through the real istiod-lite to the gateway, and grpc-java
 * clients and servers on both sides: calls go to the backend their service, method and headers select, the
 * route's header filters reach the server and the client, a server stream arrives whole, and a call no rule takes
 * ends as UNIMPLEMENTED (the gateway's 404).
 */
class GrpcRouteFromIstiodLiteTest {

    private static final String NAMESPACES_AND_BACKENDS = """
            apiVersion: v1
            kind: Namespace
            metadata: {name: default}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: cart, namespace: default}
            spec: {clusterIP: 198.19.0.60, selector: {app: cart}, ports: [{name: grpc, port: 9000, targetPort: %d}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: cart-0, namespace: default, labels: {app: cart}}
            spec: {nodeName: node-a, containers: [{name: app, image: app}]}
            status: {phase: Running, podIP: 127.0.0.1}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: cart-gold, namespace: default}
            spec:
              clusterIP: 198.19.0.61
              selector: {app: cart-gold}
              ports: [{name: grpc, port: 9000, targetPort: %d}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: cart-gold-0, namespace: default, labels: {app: cart-gold}}
            spec: {nodeName: node-a, containers: [{name: app, image: app}]}
            status: {phase: Running, podIP: 127.0.0.2}
            ---
            """;

    private static final String GATEWAY_AND_ROUTE = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: edge, namespace: default}
            spec:
              gatewayClassName: istio
              listeners: [{name: grpc, port: 80, protocol: HTTP}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: cart, namespace: default}
            spec:
              parentRefs: [{name: edge}]
              rules:
              - matches: [{method: {service: shop.Cart, method: Checkout}, headers: [{name: x-tier, value: gold}]}]
                backendRefs: [{name: cart-gold, port: 9000}]
              - matches: [{method: {service: shop.Cart}}]
                filters:
                - type: RequestHeaderModifier
                  requestHeaderModifier: {set: [{name: x-route, value: cart}]}
                - type: ResponseHeaderModifier
                  responseHeaderModifier: {add: [{name: x-gateway, value: edge}]}
                backendRefs: [{name: cart, port: 9000}]
            """;

    private static final Metadata.Key<String> ROUTE_HEADER =
            Metadata.Key.of("x-route", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> GATEWAY_HEADER =
            Metadata.Key.of("x-gateway", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> TIER_HEADER = Metadata.Key.of("x-tier", Metadata.ASCII_STRING_MARSHALLER);

    @TempDir
    Path folder;

    private final List<Server> servers = new ArrayList<>();
    private EdgeGateway gateway;
    private ManagedChannel channel;

    @AfterEach
    void stop() throws Exception {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        for (Server server : servers) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (gateway != null) {
            gateway.close();
        }
    }

    /** Raw bytes as messages: the calls need no generated code, the gateway only sees HTTP/2 and paths. */
    private static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private static MethodDescriptor<String, String> method(String fullName, MethodDescriptor.MethodType type) {
        return MethodDescriptor.<String, String>newBuilder()
                .setType(type)
                .setFullMethodName(fullName)
                .setRequestMarshaller(TEXT)
                .setResponseMarshaller(TEXT)
                .build();
    }

    private static MethodDescriptor<String, String> unary(String fullName) {
        return method(fullName, MethodDescriptor.MethodType.UNARY);
    }

    /**
     * A backend serving {@code shop.Cart/Add}, {@code shop.Cart/Checkout} and the stream {@code shop.Cart/Watch}:
     * each answer names the backend and the {@code x-route} header it received.
     */
    private Server backend(String address, String name) throws IOException {
        AtomicReference<String> routeHeader = new AtomicReference<>();
        io.grpc.ServerInterceptor captureRoute = new io.grpc.ServerInterceptor() {
            @Override
            public <Q, A> io.grpc.ServerCall.Listener<Q> interceptCall(
                    io.grpc.ServerCall<Q, A> call, Metadata headers, io.grpc.ServerCallHandler<Q, A> next) {
                routeHeader.set(headers.get(ROUTE_HEADER));
                return next.startCall(call, headers);
            }
        };
        ServerServiceDefinition.Builder service = ServerServiceDefinition.builder("shop.Cart");
        for (String unaryMethod : List.of("Add", "Checkout")) {
            service.addMethod(unary("shop.Cart/" + unaryMethod), ServerCalls.asyncUnaryCall((request, reply) -> {
                reply.onNext(name + " " + unaryMethod + "(" + request + ") x-route=" + routeHeader.get());
                reply.onCompleted();
            }));
        }
        service.addMethod(
                method("shop.Cart/Watch", MethodDescriptor.MethodType.SERVER_STREAMING),
                ServerCalls.asyncServerStreamingCall((request, reply) -> {
                    for (int i = 1; i <= 3; i++) {
                        reply.onNext(name + " event " + i);
                    }
                    reply.onCompleted();
                }));
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(address, 0))
                .addService(io.grpc.ServerInterceptors.intercept(service.build(), captureRoute))
                .build()
                .start();
        servers.add(server);
        return server;
    }

    private String call(String fullName, Metadata headers, Metadata responseHeaders) {
        io.grpc.Channel intercepted = io.grpc.ClientInterceptors.intercept(
                channel, MetadataUtils.newAttachHeadersInterceptor(headers), new io.grpc.ClientInterceptor() {
                    @Override
                    public <Q, A> io.grpc.ClientCall<Q, A> interceptCall(
                            MethodDescriptor<Q, A> method, CallOptions options, io.grpc.Channel next) {
                        return new io.grpc.ForwardingClientCall.SimpleForwardingClientCall<>(
                                next.newCall(method, options)) {
                            @Override
                            public void start(Listener<A> listener, Metadata requestHeaders) {
                                super.start(
                                        new io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener<>(
                                                listener) {
                                            @Override
                                            public void onHeaders(Metadata received) {
                                                responseHeaders.merge(received);
                                                super.onHeaders(received);
                                            }
                                        },
                                        requestHeaders);
                            }
                        };
                    }
                });
        return ClientCalls.blockingUnaryCall(
                intercepted, unary(fullName), CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "item-1");
    }

    @Test
    void grpcCallsGoWhereTheirServiceMethodAndHeadersSendThem() throws Exception {
        Server cart = backend("127.0.0.1", "cart");
        Server gold = backend("127.0.0.2", "gold");
        Files.writeString(
                folder.resolve("00-mesh.yaml"),
                NAMESPACES_AND_BACKENDS.formatted(cart.getPort(), gold.getPort()) + GATEWAY_AND_ROUTE);
        gateway = EdgeGateway.start(
                folder,
                80,
                bed -> bed.runtime.config().listenerFor("0.0.0.0", 80).isPresent());
        channel = NettyChannelBuilder.forAddress("127.0.0.1", gateway.port())
                .usePlaintext()
                .overrideAuthority("grpc.example.com")
                .build();

        Metadata answerHeaders = new Metadata();
        assertThat(call("shop.Cart/Add", new Metadata(), answerHeaders)).isEqualTo("cart Add(item-1) x-route=cart");
        assertThat(answerHeaders.get(GATEWAY_HEADER)).isEqualTo("edge");
        assertThat(call("shop.Cart/Checkout", new Metadata(), new Metadata()))
                .isEqualTo("cart Checkout(item-1) x-route=cart");
        Metadata goldTier = new Metadata();
        goldTier.put(TIER_HEADER, "gold");
        assertThat(call("shop.Cart/Checkout", goldTier, new Metadata()))
                .isEqualTo("gold Checkout(item-1) x-route=null");
        assertThat(call("shop.Cart/Add", goldTier, new Metadata())).startsWith("cart Add");

        List<String> events = new ArrayList<>();
        ClientCalls.blockingServerStreamingCall(
                        channel,
                        method("shop.Cart/Watch", MethodDescriptor.MethodType.SERVER_STREAMING),
                        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                        "all")
                .forEachRemaining(events::add);
        assertThat(events).containsExactly("cart event 1", "cart event 2", "cart event 3");

        assertThatThrownBy(() -> call("shop.Orders/List", new Metadata(), new Metadata()))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));
    }
}
