package io.ambientjava.istiod.ca;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.SocketAddress;
import java.util.Locale;

/**
 * Takes the {@code authorization: Bearer <token>} header and the peer address of each call into the gRPC
 * {@link Context}, where the CA service reads them.
 */
public final class BearerTokens implements ServerInterceptor {

    static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    static final Context.Key<String> TOKEN = Context.key("bearer-token");
    static final Context.Key<String> PEER = Context.key("peer-address");

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String header = headers.get(AUTHORIZATION);
        String token = null;
        if (header != null
                && header.length() > 7
                && header.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
            token = header.substring(7).strip();
        }
        SocketAddress peer = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        Context context =
                Context.current().withValue(TOKEN, token).withValue(PEER, peer == null ? "unknown" : peer.toString());
        return Contexts.interceptCall(context, call, headers, next);
    }
}
