package io.ambientjava.waypoint.proxy;

import io.ambientjava.waypoint.upstream.ClusterRuntime;
import io.ambientjava.waypoint.upstream.HostState;
import io.ambientjava.waypoint.upstream.UpstreamProtocol;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Fire-and-forget copies of requests (Envoy's request mirroring): the answer is read and dropped, failures are
 * ignored, and nothing here waits for or touches the live request.
 */
final class MirrorSender {

    private static final long MIRROR_TIMEOUT_SECONDS = 30;

    private MirrorSender() {}

    static void send(
            ClusterRuntime cluster,
            EventLoop loop,
            UpstreamProtocol protocol,
            HttpRequest head,
            List<ByteBuf> body,
            HttpHeaders trailers) {
        HostState host = cluster.pick(OptionalLong.empty(), Set.of());
        if (host == null || !cluster.limits().tryStartRequest()) {
            body.forEach(ByteBuf::release);
            return;
        }
        cluster.acquire(host, loop, protocol).whenComplete((lease, error) -> {
            if (error != null) {
                cluster.limits().endRequest();
                body.forEach(ByteBuf::release);
                return;
            }
            var channel = lease.channel();
            var discard = new UpstreamAttempt.Exchange() {
                @Override
                public void onResponseHead(UpstreamAttempt attempt, HttpResponse response) {}

                @Override
                public void onResponseBody(UpstreamAttempt attempt, HttpContent content) {
                    boolean last = content instanceof LastHttpContent;
                    content.release();
                    if (last) {
                        attempt.finish(true);
                        cluster.limits().endRequest();
                    }
                }

                @Override
                public void onUpstreamLost(UpstreamAttempt attempt, String reason) {
                    attempt.abort();
                    cluster.limits().endRequest();
                }
            };
            UpstreamAttempt attempt = new UpstreamAttempt(discard, loop, lease);
            channel.eventLoop().execute(() -> {
                channel.pipeline().addLast(UpstreamAttempt.NAME, attempt);
                long bytes = body.stream().mapToLong(ByteBuf::readableBytes).sum();
                if (!HttpUtil.isContentLengthSet(head) && bytes > 0) {
                    HttpUtil.setTransferEncodingChunked(head, true);
                }
                channel.write(head);
                for (ByteBuf b : body) {
                    channel.write(new DefaultHttpContent(b));
                }
                channel.writeAndFlush(
                        trailers == null
                                ? new DefaultLastHttpContent()
                                : new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, trailers.copy()));
            });
            loop.schedule(
                    () -> {
                        if (!attempt.done) {
                            attempt.abort();
                            cluster.limits().endRequest();
                        }
                    },
                    MIRROR_TIMEOUT_SECONDS,
                    TimeUnit.SECONDS);
        });
    }

    /** {@code host:port} → {@code host-shadow:port}, as Envoy names mirrored traffic. */
    static String shadowAuthority(String authority) {
        int colon = authority.lastIndexOf(':');
        if (colon > 0 && authority.indexOf(']') < colon) {
            return authority.substring(0, colon) + "-shadow" + authority.substring(colon);
        }
        return authority + "-shadow";
    }
}
