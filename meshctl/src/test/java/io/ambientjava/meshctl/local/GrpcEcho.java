package io.ambientjava.meshctl.local;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A small gRPC service for the mesh tests, run in a pod: {@code demo.Echo/Chat}, a bidirectional stream that
 * answers each message with {@code echo <message> from <pod>}. Messages are UTF-8 strings, so no generated code is
 * needed. {@code server <port> <pod>} serves; {@code client <host:port> <count>} opens one stream, sends
 * {@code count} messages and prints {@code echoed <n>} and the last answer.
 */
public final class GrpcEcho {
    static final MethodDescriptor<String, String> CHAT = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
            .setFullMethodName("demo.Echo/Chat")
            .setRequestMarshaller(new Utf8())
            .setResponseMarshaller(new Utf8())
            .build();

    private GrpcEcho() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("server")) {
            serve(Integer.parseInt(args[1]), args[2]);
        } else if (args.length == 3 && args[0].equals("client")) {
            System.exit(chat(args[1], Integer.parseInt(args[2]), null, null));
        } else if (args.length == 5 && args[0].equals("client")) { // over TLS: trusted CA file, server name
            System.exit(chat(args[1], Integer.parseInt(args[2]), args[3], args[4]));
        } else {
            throw new IllegalArgumentException("usage: GrpcEcho server <port> <pod> | client <host:port> <count>");
        }
    }

    private static void serve(int port, String pod) throws Exception {
        ServerServiceDefinition service = ServerServiceDefinition.builder("demo.Echo")
                .addMethod(CHAT, ServerCalls.asyncBidiStreamingCall(answers -> new StreamObserver<>() {
                    @Override
                    public void onNext(String message) {
                        answers.onNext("echo " + message + " from " + pod);
                    }

                    @Override
                    public void onError(Throwable t) {}

                    @Override
                    public void onCompleted() {
                        answers.onCompleted();
                    }
                }))
                .build();
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(port))
                .addService(service)
                .build()
                .start();
        System.out.println("grpc echo ready on :" + server.getPort());
        server.awaitTermination();
    }

    private static int chat(String target, int count, String caFile, String serverName)
            throws InterruptedException, javax.net.ssl.SSLException {
        int colon = target.lastIndexOf(':');
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress(
                target.substring(0, colon), Integer.parseInt(target.substring(colon + 1)));
        ManagedChannel channel = caFile == null
                ? builder.usePlaintext().build()
                : builder.sslContext(io.grpc.netty.GrpcSslContexts.forClient()
                                .trustManager(new java.io.File(caFile))
                                .build())
                        .overrideAuthority(serverName)
                        .build();
        try {
            List<String> answers = new ArrayList<>();
            CountDownLatch done = new CountDownLatch(1);
            Throwable[] failure = new Throwable[1];
            StreamObserver<String> requests = ClientCalls.asyncBidiStreamingCall(
                    channel.newCall(CHAT, CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS)),
                    new StreamObserver<>() {
                        @Override
                        public void onNext(String answer) {
                            synchronized (answers) {
                                answers.add(answer);
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                            failure[0] = t;
                            done.countDown();
                        }

                        @Override
                        public void onCompleted() {
                            done.countDown();
                        }
                    });
            for (int i = 1; i <= count; i++) {
                requests.onNext("message-" + i);
            }
            requests.onCompleted();
            if (!done.await(25, TimeUnit.SECONDS)) {
                System.out.println("timed out after " + answers.size() + " answers");
                return 2;
            }
            if (failure[0] != null) {
                System.out.println("failed: " + failure[0]);
                return 1;
            }
            System.out.println("echoed " + answers.size());
            System.out.println("last " + (answers.isEmpty() ? "-" : answers.getLast()));
            return 0;
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static final class Utf8 implements MethodDescriptor.Marshaller<String> {
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
    }
}
