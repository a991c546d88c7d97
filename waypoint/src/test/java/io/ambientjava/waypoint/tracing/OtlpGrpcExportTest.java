package io.ambientjava.waypoint.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.ambientjava.waypoint.testsupport.Envoy;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The OpenTelemetry provider with {@code grpc_service} (Istio's provider without an {@code http} block): spans leave
 * as the OTLP {@code TraceService/Export} gRPC call. The collector here is a real grpc-java server serving that method;
 * it decodes the request by field numbers (opentelemetry-proto's: resource_spans 1 → scope_spans 2 → spans 2 →
 * trace_id 1, name 5; resource 1 → attributes 1 → key 1, value 2 → string_value 1).
 */
class OtlpGrpcExportTest {

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public java.io.InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(java.io.InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    @Test
    void spansAreExportedAsTheOtlpGrpcExportCallToTheProvidersCluster() throws Exception {
        List<byte[]> received = new CopyOnWriteArrayList<>();
        MethodDescriptor<byte[], byte[]> export = MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(OtlpGrpcExporter.EXPORT_METHOD)
                .setRequestMarshaller(BYTES)
                .setResponseMarshaller(BYTES)
                .build();
        Server collector = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .addService(ServerServiceDefinition.builder("opentelemetry.proto.collector.trace.v1.TraceService")
                        .addMethod(export, ServerCalls.asyncUnaryCall((request, response) -> {
                            received.add(request);
                            response.onNext(new byte[0]); // an empty ExportTraceServiceResponse
                            response.onCompleted();
                        }))
                        .build())
                .build()
                .start();
        String otel = "outbound|4317||otel-collector.istio-system.svc.cluster.local";
        HttpConnectionManager.Tracing tracing = HttpConnectionManager.Tracing.newBuilder()
                .setProvider(io.envoyproxy.envoy.config.trace.v3.Tracing.Http.newBuilder()
                        .setName("envoy.tracers.opentelemetry")
                        .setTypedConfig(Any.pack(OpenTelemetryConfig.newBuilder()
                                .setServiceName("reviews-waypoint")
                                .setGrpcService(GrpcService.newBuilder()
                                        .setEnvoyGrpc(GrpcService.EnvoyGrpc.newBuilder()
                                                .setClusterName(otel))
                                        .setTimeout(Envoy.seconds(5)))
                                .build())))
                .build();
        try (TracedBed bed = new TracedBed(tracing, otel, collector.getPort())) {
            bed.sendTracedAndAwait("/otlp-grpc", () -> !received.isEmpty());
        } finally {
            collector.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        UnknownFieldSet request = UnknownFieldSet.parseFrom(received.getFirst());
        UnknownFieldSet resourceSpans = nested(request, 1);
        UnknownFieldSet span = nested(nested(resourceSpans, 2), 2);
        assertThat(bytes(span, 1)).isEqualTo(ByteString.copyFrom(HexFormat.of().parseHex(TracedBed.TRACE_ID)));
        assertThat(bytes(span, 5).toString(StandardCharsets.UTF_8)).isNotEmpty();
        List<String> serviceNames = nested(resourceSpans, 1).getField(1).getLengthDelimitedList().stream()
                .map(OtlpGrpcExportTest::parse)
                .filter(kv -> bytes(kv, 1).toStringUtf8().equals("service.name"))
                .map(kv -> bytes(nested(kv, 2), 1).toStringUtf8())
                .toList();
        assertThat(serviceNames).containsExactly("reviews-waypoint");
    }

    private static UnknownFieldSet nested(UnknownFieldSet message, int field) {
        return parse(bytes(message, field));
    }

    private static ByteString bytes(UnknownFieldSet message, int field) {
        List<ByteString> values = message.getField(field).getLengthDelimitedList();
        assertThat(values).as("field %d", field).isNotEmpty();
        return values.getFirst();
    }

    private static UnknownFieldSet parse(ByteString bytes) {
        try {
            return UnknownFieldSet.parseFrom(bytes);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }
}
