package io.ambientjava.waypoint.tracing;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OTLP over gRPC: each batch is one unary {@code opentelemetry.proto.collector.trace.v1.TraceService/Export} call on
 * a plaintext HTTP/2 channel (grpc-java, as the waypoint's ADS client) to the collector. The request is
 * OpenTelemetry's own protobuf encoding of the spans (the one its HTTP exporter sends too). The collector's address
 * is looked up at each export; a new address gets a new channel.
 */
final class OtlpGrpcExporter implements SpanExporter {

    static final String EXPORT_METHOD = "opentelemetry.proto.collector.trace.v1.TraceService/Export";

    private static final Logger log = LoggerFactory.getLogger(OtlpGrpcExporter.class);
    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };
    private static final MethodDescriptor<byte[], byte[]> EXPORT = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(EXPORT_METHOD)
            .setRequestMarshaller(BYTES)
            .setResponseMarshaller(BYTES)
            .build();

    private final Supplier<Optional<InetSocketAddress>> collector;
    private final Duration timeout;
    private InetSocketAddress current;
    private ManagedChannel channel;

    OtlpGrpcExporter(Supplier<Optional<InetSocketAddress>> collector, Duration timeout) {
        this.collector = collector;
        this.timeout = timeout;
    }

    @Override
    public synchronized CompletableResultCode export(Collection<SpanData> spans) {
        Optional<InetSocketAddress> target = collector.get();
        if (target.isEmpty()) {
            return CompletableResultCode.ofFailure();
        }
        if (!target.get().equals(current)) {
            closeChannel();
            channel =
                    NettyChannelBuilder.forAddress(target.get()).usePlaintext().build();
            current = target.get();
        }
        byte[] request = encode(spans);
        CompletableResultCode result = new CompletableResultCode();
        var call = channel.newCall(
                EXPORT, CallOptions.DEFAULT.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS));
        ClientCalls.asyncUnaryCall(call, request, new io.grpc.stub.StreamObserver<>() {
            @Override
            public void onNext(byte[] response) {}

            @Override
            public void onError(Throwable t) {
                log.debug("OTLP/gRPC export to {} failed: {}", target.get(), t.toString());
                result.fail();
            }

            @Override
            public void onCompleted() {
                result.succeed();
            }
        });
        return result;
    }

    private static byte[] encode(Collection<SpanData> spans) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            TraceRequestMarshaler.create(spans).writeBinaryTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    @Override
    public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess(); // every export is sent when it is made
    }

    @Override
    public synchronized CompletableResultCode shutdown() {
        closeChannel();
        return CompletableResultCode.ofSuccess();
    }

    private void closeChannel() {
        if (channel != null) {
            channel.shutdown();
            channel = null;
            current = null;
        }
    }
}
