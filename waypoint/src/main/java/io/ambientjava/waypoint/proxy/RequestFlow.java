package io.ambientjava.waypoint.proxy;

import io.ambientjava.waypoint.config.CorsTranslator;
import io.ambientjava.waypoint.config.FaultConfig;
import io.ambientjava.waypoint.config.JwtAuthnConfig;
import io.ambientjava.waypoint.config.ListenerConfig;
import io.ambientjava.waypoint.config.LocalRateLimitTranslator;
import io.ambientjava.waypoint.config.RetryPolicy;
import io.ambientjava.waypoint.config.Route;
import io.ambientjava.waypoint.config.RouteAction;
import io.ambientjava.waypoint.config.RouteTranslator;
import io.ambientjava.waypoint.config.VirtualHost;
import io.ambientjava.waypoint.config.WaypointConfig;
import io.ambientjava.waypoint.filter.CorsFilter;
import io.ambientjava.waypoint.filter.FaultDecision;
import io.ambientjava.waypoint.filter.ForwardedRequest;
import io.ambientjava.waypoint.filter.HashKeys;
import io.ambientjava.waypoint.filter.HeaderMutator;
import io.ambientjava.waypoint.filter.JwtHeaders;
import io.ambientjava.waypoint.filter.JwtVerifier;
import io.ambientjava.waypoint.filter.LocalRateLimiter;
import io.ambientjava.waypoint.filter.RbacEnforcer;
import io.ambientjava.waypoint.filter.RequestSubject;
import io.ambientjava.waypoint.filter.RequestView;
import io.ambientjava.waypoint.filter.RouteSelector;
import io.ambientjava.waypoint.telemetry.RequestRecord;
import io.ambientjava.waypoint.telemetry.RequestTelemetry;
import io.ambientjava.waypoint.upstream.ClusterRuntime;
import io.ambientjava.waypoint.upstream.HostState;
import io.ambientjava.waypoint.upstream.Lease;
import io.ambientjava.waypoint.upstream.OverflowException;
import io.ambientjava.waypoint.upstream.UpstreamProtocol;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.HttpConversionUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One request through the waypoint, on the downstream's event loop: route selection, the fault filter, then the
 * router (direct response, redirect, or forwarding with retries, timeouts and mirrors), then telemetry. The
 * request body streams upstream as it arrives; a copy is kept (up to a limit) so a retry or a mirror can resend
 * it.
 */
final class RequestFlow implements UpstreamAttempt.Exchange {

    private final ChannelHandlerContext ctx;
    private final EventLoop loop;
    private final ProxyRuntime runtime;
    private final DownstreamContext downstream;
    private final boolean http2;
    /** HTTP/2 upstream because the client chose it (prior knowledge), not because it upgraded one HTTP/1.1 hop. */
    private final boolean http2ByClientChoice;

    private final Runnable onComplete;
    private final HttpRequest request;
    private final Instant start = Instant.now();
    private final long startNanos = System.nanoTime();
    private final RequestView view;
    private final String requestId;
    private final boolean grpc;

    private static final String UNKNOWN_SERVICE = "unknown";
    /** RFC 9110 section 9.2.2. */
    private static final Set<HttpMethod> IDEMPOTENT_METHODS = Set.of(
            HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.TRACE, HttpMethod.PUT, HttpMethod.DELETE);

    private String destinationService = UNKNOWN_SERVICE;
    private Route route;
    private RouteAction.Forward forward;
    private String clusterName = "-";
    private RouteAction.WeightedCluster chosen;
    private ClusterRuntime cluster;
    private HttpHeaders upstreamHeaders;
    private String upstreamPath;
    private String upstreamAuthority;
    private boolean forwarding;

    private final List<ByteBuf> kept = new ArrayList<>();
    private long keptBytes;
    private boolean keepAll = true;
    private boolean requestEnded;
    private HttpHeaders requestTrailers;
    private long requestBytes;

    private UpstreamAttempt current;
    private boolean currentStreaming;
    private int attempts;
    private boolean retryActive;
    private boolean resentOnceAfterStaleConnection;
    private final Set<HostState> tried = new HashSet<>();
    private HostState lastHost;
    private boolean requestCounted;
    private ScheduledFuture<?> routeTimer;
    private ScheduledFuture<?> tryTimer;

    private boolean responseStarted;
    private boolean finished;
    private int status;
    private String flags = "-";
    private List<String> rbacLogged = List.of();
    private Optional<LocalRateLimiter.RateLimitHeaders> rateLimitHeaders = Optional.empty();
    private Map<String, String> corsHeaders = Map.of();
    /** The CORS filter follows the fault filter: it runs once the fault (delay, no abort) is done. */
    private boolean corsAfterFault;

    private WaypointConfig rateLimitConfig;
    private ListenerConfig.Http rateLimitListener;
    private String listenerName = "";
    private long responseBytes;
    private Optional<String> grpcStatus = Optional.empty();
    private boolean mirrorsStarted;
    private boolean upstreamPaused;
    private boolean upstreamKeepAlive = true;
    private RequestTelemetry telemetry;

    RequestFlow(
            ChannelHandlerContext ctx,
            ProxyRuntime runtime,
            DownstreamContext downstream,
            boolean http2,
            boolean upgradedFromHttp1,
            HttpRequest request,
            Runnable onComplete) {
        this.ctx = ctx;
        this.loop = ctx.channel().eventLoop();
        this.runtime = runtime;
        this.downstream = downstream;
        this.http2 = http2;
        // A client that upgraded, or whose TLS handshake picked h2 by ALPN, did not choose HTTP/2 for the backend:
        // the cluster's protocol applies (HTTP/1.1 unless it sets http2_protocol_options), as at Istio's gateways.
        this.http2ByClientChoice = http2 && !upgradedFromHttp1 && !downstream.tlsTerminated();
        this.request = request;
        this.onComplete = onComplete;
        HttpHeaders headers = request.headers();
        String authority = headers.get(HttpHeaderNames.HOST, "");
        String scheme = headers.get(HttpConversionUtil.ExtensionHeaderNames.SCHEME.text(), "http");
        this.view = new RequestView(request.method().name(), request.uri(), authority, scheme, headers);
        String id = headers.get("x-request-id");
        this.requestId = id != null ? id : RequestIds.next();
        String contentType = headers.get(HttpHeaderNames.CONTENT_TYPE, "");
        this.grpc = contentType.startsWith("application/grpc");
    }

    boolean isFinished() {
        return finished;
    }

    // ---- downstream events

    void start() {
        if (request.decoderResult().isFailure()) {
            Throwable cause = request.decoderResult().cause();
            int code = cause instanceof io.netty.handler.codec.http.TooLongHttpHeaderException
                    ? 431
                    : cause instanceof io.netty.handler.codec.http.TooLongHttpLineException ? 414 : 400;
            flags = "DPE";
            localReply(code, "bad request: " + (cause == null ? "malformed" : cause.getMessage()), true);
            return;
        }
        if (HttpUtil.is100ContinueExpected(request)) {
            // As Envoy does: the proxy tells the client to go on, and the upstream never sees the expectation.
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        }
        WaypointConfig config = runtime.config();
        Optional<ListenerConfig> listener = config.listenerFor(downstream.listenerAddress(), downstream.listenerPort());
        if (listener.isEmpty() || !(listener.get().kind() instanceof ListenerConfig.Http http)) {
            flags = "NR";
            localReply(404, "no listener for " + downstream.listenerAddress() + ":" + downstream.listenerPort(), false);
            return;
        }
        destinationService = serviceOf(listener.get().name()).orElse(UNKNOWN_SERVICE);
        telemetry = runtime.observer().begin(http.telemetry(), view);
        listenerName = listener.get().name();
        if (http.localRateLimit().isPresent() && http.rateLimitBeforeSecurity() && rateLimited(config, http)) {
            return;
        }
        if (http.corsBeforeSecurity() && corsAnswered(matchRoute(config, http))) {
            return;
        }
        if (http.jwtAuthn().isPresent() && !isCorsPreflight(http.jwtAuthn().get())) {
            var outcome = JwtVerifier.verify(http.jwtAuthn().get(), view, Instant.now());
            if (outcome.isDone()) {
                afterJwt(config, http, outcome.join());
            } else {
                // remote keys still being fetched: go on, on this request's event loop, when they arrive
                outcome.whenComplete((o, error) -> loop.execute(() -> {
                    if (!finished) {
                        afterJwt(
                                config, http, o != null ? o : new JwtVerifier.Refused(JwtVerifier.REMOTE_FETCH_FAILED));
                    }
                }));
            }
            return;
        }
        afterJwt(config, http, new JwtVerifier.NoToken());
    }

    private void afterJwt(WaypointConfig config, ListenerConfig.Http http, JwtVerifier.Outcome jwt) {
        Map<String, Map<String, Object>> metadata = Map.of();
        switch (jwt) {
            case JwtVerifier.Refused refused -> {
                if (grpc) {
                    // as Envoy: a gRPC client gets UNAUTHENTICATED instead of an HTTP 401
                    grpcStatus = Optional.of("16");
                    sendLocal(LocalReplies.grpcError(16, refused.reason()), false);
                    return;
                }
                FullHttpResponse response = LocalReplies.text(401, refused.reason());
                response.headers()
                        .set(
                                HttpHeaderNames.WWW_AUTHENTICATE,
                                "Bearer realm=\"http://" + view.authority() + view.path()
                                        + "\", error=\"invalid_token\"");
                sendLocal(response, false);
                return;
            }
            case JwtVerifier.Verified verified -> metadata = JwtHeaders.apply(verified, request.headers());
            case JwtVerifier.NoToken none -> {}
        }
        if (!http.rbac().isEmpty()) {
            RbacEnforcer.Decision decision = RbacEnforcer.evaluate(http.rbac(), rbacSubject(metadata));
            rbacLogged = decision.logged();
            if (!decision.allowed()) {
                flags = "RBAC";
                if (grpc) {
                    // as Envoy: a gRPC client gets PERMISSION_DENIED instead of an HTTP 403
                    grpcStatus = Optional.of("7");
                    sendLocal(LocalReplies.grpcError(7, "RBAC: access denied"), false);
                } else {
                    localReply(403, "RBAC: access denied", false);
                }
                return;
            }
        }
        Optional<VirtualHost> virtualHost = config.routeTableFor(http).flatMap(t -> t.virtualHostFor(view.authority()));
        if (virtualHost.isPresent() && virtualHost.get().requireTls() && !downstream.tlsTerminated()) {
            sendLocal(LocalReplies.httpsRedirect(view), false);
            return;
        }
        Optional<Route> selected = virtualHost.flatMap(vh -> RouteSelector.firstMatch(vh, view));
        if (selected.isEmpty()) {
            flags = "NR";
            localReply(404, "no route", false);
            return;
        }
        route = selected.get();
        if (http.hasFilter(CorsTranslator.FILTER_NAME) && !http.corsBeforeSecurity()) {
            int cors = http.httpFilters().indexOf(CorsTranslator.FILTER_NAME);
            int fault = http.httpFilters().indexOf(RouteTranslator.FAULT_FILTER);
            if (fault >= 0 && fault < cors && route.fault().isPresent()) {
                corsAfterFault = true; // as Istio orders them: an injected fault comes first
            } else if (corsAnswered(selected)) {
                return;
            }
        }
        if (http.hasFilter(LocalRateLimitTranslator.FILTER_NAME) && !http.rateLimitBeforeSecurity()) {
            int limit = http.httpFilters().indexOf(LocalRateLimitTranslator.FILTER_NAME);
            int fault = http.httpFilters().indexOf(RouteTranslator.FAULT_FILTER);
            if (fault >= 0 && fault < limit && route.fault().isPresent()) {
                rateLimitConfig = config; // after the fault filter: checked when routing starts
                rateLimitListener = http;
            } else if (rateLimited(config, http)) {
                return;
            }
        }
        if (http.hasFilter(RouteTranslator.FAULT_FILTER) && route.fault().isPresent()) {
            FaultDecision fault = FaultDecision.roll(
                    route.fault().get(), () -> ThreadLocalRandom.current().nextDouble());
            if (fault.delay().isPresent()) {
                flags = "DI";
                Duration delay = fault.delay().get();
                loop.schedule(() -> afterDelay(fault), delay.toNanos(), TimeUnit.NANOSECONDS);
                return;
            }
            if (fault.abort().isPresent()) {
                abort(fault.abort().get());
                return;
            }
        }
        route();
    }

    private Optional<Route> matchRoute(WaypointConfig config, ListenerConfig.Http http) {
        return config.routeTableFor(http)
                .flatMap(t -> t.virtualHostFor(view.authority()))
                .flatMap(vh -> RouteSelector.firstMatch(vh, view));
    }

    /**
     * The CORS filter, under the policy of the route the request takes (none without a route): answers a preflight
     * (and returns true), or remembers the headers the response gets. A route's policy does nothing unless the
     * listener has the filter, as in Envoy.
     */
    private boolean corsAnswered(Optional<Route> matched) {
        CorsFilter.Decision decision = CorsFilter.decide(
                matched.flatMap(Route::cors),
                view,
                () -> ThreadLocalRandom.current().nextDouble());
        switch (decision) {
            case CorsFilter.Pass pass -> {
                return false;
            }
            case CorsFilter.AddToResponse add -> {
                corsHeaders = add.headers();
                return false;
            }
            case CorsFilter.AnswerPreflight answer -> {
                route = matched.orElse(null); // for the access log, when answered before route selection
                FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                answer.headers().forEach(response.headers()::set);
                sendLocal(response, false);
                return true;
            }
        }
    }

    private void afterDelay(FaultDecision fault) {
        if (finished) {
            return;
        }
        if (fault.abort().isPresent()) {
            abort(fault.abort().get());
        } else {
            route();
        }
    }

    private void abort(FaultConfig.Abort abort) {
        flags = flags.equals("-") ? "FI" : flags + ",FI";
        if (abort.grpcStatus().isPresent()) {
            grpcStatus = Optional.of(Integer.toString(abort.grpcStatus().get()));
            sendLocal(LocalReplies.grpcError(abort.grpcStatus().get(), "fault filter abort"), false);
        } else {
            localReply(abort.httpStatus().orElse(503), "fault filter abort", false);
        }
    }

    /**
     * The local_ratelimit filter: answers 429 (and returns true) when the request is over the limit and enforced;
     * otherwise remembers the {@code x-ratelimit-*} headers for the response.
     */
    private boolean rateLimited(WaypointConfig config, ListenerConfig.Http http) {
        LocalRateLimiter.Decision decision = LocalRateLimiter.decide(
                runtime.rateLimitBuckets(),
                listenerName,
                http,
                config.routeTableFor(http),
                view,
                downstream.source().map(a -> a.getAddress().getHostAddress()),
                () -> ThreadLocalRandom.current().nextDouble());
        rateLimitHeaders = decision.headers();
        switch (decision) {
            case LocalRateLimiter.Pass pass -> {
                return false;
            }
            case LocalRateLimiter.CountedOnly counted -> {
                HeaderMutator.apply(counted.requestHeaders(), request.headers());
                return false;
            }
            case LocalRateLimiter.Limited limited -> {
                flags = "RL";
                if (grpc) {
                    // as Envoy's local reply mapping: 429 becomes UNAVAILABLE, or RESOURCE_EXHAUSTED on request
                    int code = limited.config().grpcResourceExhausted() ? 8 : 14;
                    grpcStatus = Optional.of(Integer.toString(code));
                    sendLocal(LocalReplies.grpcError(code, "local_rate_limited"), false);
                    return true;
                }
                FullHttpResponse response = LocalReplies.text(limited.config().status(), "local_rate_limited");
                response.headers().set("x-envoy-ratelimited", "true");
                HeaderMutator.apply(limited.config().responseHeaders(), response.headers());
                sendLocal(response, false);
                return true;
            }
        }
    }

    private void route() {
        if (corsAfterFault) {
            corsAfterFault = false;
            if (corsAnswered(Optional.of(route))) {
                return;
            }
        }
        if (rateLimitListener != null) {
            ListenerConfig.Http http = rateLimitListener;
            rateLimitListener = null;
            if (rateLimited(rateLimitConfig, http)) {
                return;
            }
        }
        switch (route.action()) {
            case RouteAction.DirectResponse direct ->
                sendLocal(LocalReplies.direct(direct, route.responseHeaders()), false);
            case RouteAction.Redirect redirect -> sendLocal(LocalReplies.redirect(redirect, route, view), false);
            case RouteAction.Forward f -> startForward(f);
        }
    }

    void onBody(HttpContent content) {
        ByteBuf data = content.content();
        requestBytes += data.readableBytes();
        boolean last = content instanceof LastHttpContent;
        if (last) {
            requestEnded = true;
            HttpHeaders trailers = ((LastHttpContent) content).trailingHeaders();
            requestTrailers = trailers.isEmpty() ? null : trailers.copy();
        }
        if (finished) {
            content.release();
            return;
        }
        if (data.isReadable()) {
            if (current != null && currentStreaming) {
                current.lease.channel().writeAndFlush(new DefaultHttpContent(data.retainedDuplicate()));
            }
            keep(data.retain());
        }
        content.release();
        if (last) {
            if (current != null && currentStreaming) {
                writeRequestEnd(current);
            }
            if (forwarding) {
                startRouteTimer();
            }
            maybeStartMirrors();
        }
        if (!keepAll && currentStreaming) {
            releaseKept();
        }
    }

    private void keep(ByteBuf data) {
        kept.add(data);
        keptBytes += data.readableBytes();
        if (keptBytes > runtime.limits().bufferLimitBytes()) {
            keepAll = false;
            if (!currentStreaming) {
                // Nobody drains the copy yet: hold the client until an upstream takes it.
                ctx.channel().config().setAutoRead(false);
            }
        }
    }

    private void releaseKept() {
        kept.forEach(ByteBuf::release);
        kept.clear();
        keptBytes = 0;
    }

    void onDownstreamClosed() {
        if (finished) {
            return;
        }
        flags = "DC";
        if (current != null) {
            current.abort();
            endAttempt(current);
        }
        finish(responseStarted ? status : 0);
    }

    /**
     * The client stopped sending its body (or took too long for all of it): 408 if nothing was answered yet, else
     * the downstream is cut; either way the upstream exchange is abandoned and released.
     */
    void onRequestStalled(String why) {
        if (finished) {
            return;
        }
        flags = "SI";
        localReply(408, why, true);
    }

    void onDownstreamWritable(boolean writable) {
        if (current != null && current.lease.channel().isActive()) {
            current.lease.channel().config().setAutoRead(writable);
            upstreamPaused = !writable;
        }
    }

    // ---- forwarding

    private void startForward(RouteAction.Forward f) {
        forward = f;
        chosen = pickWeighted(f);
        clusterName = chosen.name();
        Optional<ClusterRuntime> runtimeCluster = runtime.clusters().get(clusterName);
        if (runtimeCluster.isEmpty()) {
            flags = "NC";
            localReply(503, "cluster not found: " + clusterName, false);
            return;
        }
        cluster = runtimeCluster.get();
        if (destinationService.equals(UNKNOWN_SERVICE)) {
            String[] clusterParts = clusterName.split("\\|", -1);
            if (clusterParts.length == 4) {
                destinationService = clusterParts[3]; // an ingress listener names no service; the cluster does
            }
        }
        ForwardedRequest upstream =
                ForwardedRequest.of(request.headers(), request.uri(), view, route, f, chosen, requestId);
        upstreamHeaders = upstream.headers();
        upstreamPath = upstream.path();
        upstreamAuthority = upstream.authority();
        forwarding = true;
        if (requestEnded) {
            startRouteTimer();
        }
        maybeStartMirrors();
        startAttempt();
    }

    /** Envoy counts the route timeout from the end of the client's request. */
    private void startRouteTimer() {
        if (routeTimer == null && forward != null) {
            forward.timeout()
                    .ifPresent(
                            t -> routeTimer = loop.schedule(this::onRouteTimeout, t.toNanos(), TimeUnit.NANOSECONDS));
        }
    }

    private static RouteAction.WeightedCluster pickWeighted(RouteAction.Forward f) {
        if (f.clusters().size() == 1) {
            return f.clusters().getFirst();
        }
        int roll = ThreadLocalRandom.current().nextInt(f.totalWeight());
        for (RouteAction.WeightedCluster c : f.clusters()) {
            roll -= c.weight();
            if (roll < 0) {
                return c;
            }
        }
        return f.clusters().getLast();
    }

    private void startAttempt() {
        if (!requestCounted) {
            if (!cluster.limits().tryStartRequest()) {
                overflow("max requests");
                return;
            }
            requestCounted = true;
        }
        HostState host = cluster.pick(
                HashKeys.of(forward.hashPolicies(), view, downstream.source()),
                tried,
                downstream.originalDestination());
        if (host == null) {
            flags = "UH";
            localReply(503, "no healthy upstream", false);
            return;
        }
        attempts++;
        tried.add(host);
        lastHost = host;
        UpstreamProtocol protocol =
                http2ByClientChoice || cluster.config().http2() ? UpstreamProtocol.HTTP2 : UpstreamProtocol.HTTP1;
        host.activeRequestsIncrement();
        int attemptNumber = attempts;
        cluster.acquire(host, loop, protocol)
                .whenComplete((lease, error) -> loop.execute(() -> {
                    if (finished || attemptNumber != attempts) {
                        host.activeRequestsDecrement();
                        if (lease != null) {
                            lease.release(true);
                        }
                        return;
                    }
                    if (error != null) {
                        host.activeRequestsDecrement();
                        Throwable cause =
                                error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                                        ? error.getCause()
                                        : error;
                        if (cause instanceof OverflowException) {
                            overflow(cause.getMessage());
                        } else {
                            onConnectFailure(host, cause.getMessage());
                        }
                        return;
                    }
                    onLease(lease);
                }));
    }

    private void onLease(Lease lease) {
        UpstreamAttempt attempt = new UpstreamAttempt(this, loop, lease);
        current = attempt;
        var channel = lease.channel();
        channel.eventLoop().execute(() -> {
            channel.pipeline().addLast(UpstreamAttempt.NAME, attempt);
            if (!channel.isActive()) {
                loop.execute(() -> onUpstreamLost(attempt, "upstream connection closed before the request"));
            }
        });
        forward.retry()
                .flatMap(RetryPolicy::perTryTimeout)
                .ifPresent(
                        t -> tryTimer = loop.schedule(() -> onTryTimeout(attempt), t.toNanos(), TimeUnit.NANOSECONDS));
        HttpRequest head =
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, request.method(), upstreamPath, upstreamHeaders.copy());
        if (attempts > 1) {
            head.headers().set("x-envoy-attempt-count", attempts);
        }
        if (telemetry != null) {
            telemetry.onUpstreamRequest(head.headers(), clusterName, attempt.host.addressText(), attempts);
        }
        boolean hasBody = HttpUtil.isTransferEncodingChunked(request)
                || requestBytes > 0
                || (!requestEnded && !HttpUtil.isContentLengthSet(request) && http2);
        if (!HttpUtil.isContentLengthSet(head) && hasBody) {
            HttpUtil.setTransferEncodingChunked(head, true);
        }
        channel.write(head);
        for (ByteBuf b : kept) {
            channel.write(new DefaultHttpContent(b.retainedDuplicate()));
        }
        currentStreaming = true;
        if (!keepAll) {
            releaseKept();
        }
        ctx.channel().config().setAutoRead(true);
        if (requestEnded) {
            writeRequestEnd(attempt);
        } else {
            channel.flush();
        }
    }

    private void writeRequestEnd(UpstreamAttempt attempt) {
        LastHttpContent last = requestTrailers == null
                ? new DefaultLastHttpContent()
                : new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, requestTrailers.copy());
        attempt.lease.channel().writeAndFlush(last);
    }

    // ---- upstream events

    private static boolean retriesGrpcAnswer(RetryPolicy retry, HttpResponse response) {
        String status = response.headers().get("grpc-status");
        if (status == null && response instanceof FullHttpResponse whole) {
            status = whole.trailingHeaders().get("grpc-status");
        }
        if (status == null) {
            return false;
        }
        try {
            return retry.retriesGrpcStatus(Integer.parseInt(status.trim()));
        } catch (NumberFormatException e) {
            return false;
        }
    }

    @Override
    public void onResponseHead(UpstreamAttempt attempt, HttpResponse response) {
        if (attempt != current || finished) {
            return;
        }
        int code = response.status().code();
        cluster.recordOutcome(attempt.host, code);
        if (telemetry != null) {
            telemetry.onUpstreamResponse(code, response.headers());
        }
        Optional<RetryPolicy> retry = forward.retry();
        if (retry.isPresent()
                && (retry.get().retriesStatus(code) || retriesGrpcAnswer(retry.get(), response))
                && canRetry()) {
            attempt.abort();
            endAttempt(attempt, false); // the retry just granted stays counted until its try ends
            scheduleRetry();
            return;
        }
        cancelTryTimer();
        status = code;
        responseStarted = true;
        upstreamKeepAlive = HttpUtil.isKeepAlive(response);
        HttpHeaders headers = response.headers().copy();
        for (String h : ForwardedRequest.HOP_BY_HOP) {
            headers.remove(h);
        }
        headers.remove(HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text());
        HeaderMutator.apply(chosen.responseHeaders(), headers);
        HeaderMutator.apply(route.responseHeaders(), headers);
        rateLimitHeaders.ifPresent(h -> h.applyTo(headers));
        corsHeaders.forEach(headers::set);
        headers.set(HttpHeaderNames.SERVER, "istio-envoy");
        String grpcHeader = headers.get("grpc-status");
        if (grpcHeader != null) {
            grpcStatus = Optional.of(grpcHeader);
        }
        boolean bodyless = HttpMethod.HEAD.equals(request.method()) || code == 204 || code == 304 || code < 200;
        if (response instanceof FullHttpResponse whole) {
            // The whole answer in one message (HTTP/2 HEADERS with END_STREAM, e.g. a gRPC trailers-only error):
            // pass it on in one piece, so an HTTP/2 client sees it as one HEADERS frame too.
            String trailerStatus = whole.trailingHeaders().get("grpc-status");
            if (trailerStatus != null) {
                grpcStatus = Optional.of(trailerStatus);
            }
            FullHttpResponse out = new DefaultFullHttpResponse(
                    HttpVersion.HTTP_1_1,
                    response.status(),
                    whole.content().retainedDuplicate(),
                    headers,
                    whole.trailingHeaders().copy());
            if (!http2 && !bodyless && !HttpUtil.isContentLengthSet(out)) {
                HttpUtil.setContentLength(out, whole.content().readableBytes());
            }
            if (!http2 && !HttpUtil.isKeepAlive(request)) {
                out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            responseBytes += whole.content().readableBytes();
            attempt.finish(requestEnded && upstreamKeepAlive && !http2Upstream(attempt));
            endAttempt(attempt);
            finish(status); // the same message arrives as body next and is dropped: the flow is finished
            ctx.writeAndFlush(out);
            return;
        }
        if (!http2 && !bodyless && !HttpUtil.isContentLengthSet(response)) {
            HttpUtil.setTransferEncodingChunked(response, true);
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        if (!http2 && !HttpUtil.isKeepAlive(request)) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ctx.write(new DefaultHttpResponse(HttpVersion.HTTP_1_1, response.status(), headers));
    }

    @Override
    public void onResponseBody(UpstreamAttempt attempt, HttpContent content) {
        if (attempt != current || finished || !responseStarted) {
            content.release();
            return;
        }
        responseBytes += content.content().readableBytes();
        if (content instanceof LastHttpContent last) {
            String trailerStatus = last.trailingHeaders().get("grpc-status");
            if (trailerStatus != null) {
                grpcStatus = Optional.of(trailerStatus);
            }
            boolean reusable = requestEnded && upstreamKeepAlive && !http2Upstream(attempt);
            attempt.finish(reusable);
            endAttempt(attempt);
            finish(status);
            ctx.writeAndFlush(last);
        } else {
            ctx.writeAndFlush(content);
            if (!ctx.channel().isWritable() && !upstreamPaused) {
                onDownstreamWritable(false);
            }
        }
    }

    private static boolean http2Upstream(UpstreamAttempt attempt) {
        return attempt.lease.channel() instanceof io.netty.handler.codec.http2.Http2StreamChannel
                && attempt.lease.channel().pipeline().get(io.netty.handler.codec.http.HttpClientCodec.class) == null;
    }

    @Override
    public void onUpstreamLost(UpstreamAttempt attempt, String reason) {
        if (attempt != current || finished) {
            return;
        }
        attempt.abort();
        endAttempt(attempt);
        if (mayResendAfterStaleConnection(attempt)) {
            resentOnceAfterStaleConnection = true;
            startAttempt();
            return;
        }
        cluster.recordOutcome(attempt.host, 0);
        if (responseStarted) {
            // Too late for a clean answer: the client sees the stream (or connection) cut.
            flags = "UC";
            closeDownstreamAbruptly();
            finish(status);
            return;
        }
        Optional<RetryPolicy> retry = forward.retry();
        if (retry.isPresent() && retry.get().retriesReset() && canRetry()) {
            scheduleRetry();
            return;
        }
        flags = "UC";
        localReply(503, "upstream connect error or disconnect/reset before headers. reset reason: " + reason, false);
    }

    /**
     * A kept-alive connection the server closed just as this request went out (its close and our reuse crossed):
     * an idempotent request whose body is still whole goes out once more on another connection, as RFC 9112
     * section 9.3.1.1 allows a proxy, without counting as a retry or as a failure of the host.
     */
    private boolean mayResendAfterStaleConnection(UpstreamAttempt attempt) {
        return !resentOnceAfterStaleConnection
                && !attempt.responseStarted
                && attempt.lease.reused()
                && keepAll
                && IDEMPOTENT_METHODS.contains(request.method());
    }

    private void onConnectFailure(HostState host, String reason) {
        cluster.recordOutcome(host, 0);
        Optional<RetryPolicy> retry = forward.retry();
        if (retry.isPresent() && retry.get().retriesConnectFailure() && canRetry()) {
            scheduleRetry();
            return;
        }
        flags = "UF";
        localReply(
                503,
                "upstream connect error or disconnect/reset before headers. reset reason: connection failure: "
                        + reason,
                false);
    }

    private void onTryTimeout(UpstreamAttempt attempt) {
        if (attempt != current || finished || attempt.responseStarted) {
            return;
        }
        attempt.abort();
        endAttempt(attempt);
        cluster.recordOutcome(attempt.host, 0);
        Optional<RetryPolicy> retry = forward.retry();
        if (retry.isPresent() && retry.get().retriesReset() && canRetry()) {
            scheduleRetry();
            return;
        }
        flags = "UT";
        localReply(504, "upstream request timeout", false);
    }

    private void onRouteTimeout() {
        if (finished) {
            return;
        }
        if (current != null) {
            current.abort();
            endAttempt(current);
        }
        flags = "UT";
        if (responseStarted) {
            closeDownstreamAbruptly();
            finish(status);
        } else {
            localReply(504, "upstream request timeout", false);
        }
    }

    private void endAttempt(UpstreamAttempt attempt) {
        endAttempt(attempt, true);
    }

    private void endAttempt(UpstreamAttempt attempt, boolean releaseRetry) {
        if (current == attempt) {
            current = null;
            currentStreaming = false;
            attempt.host.activeRequestsDecrement();
        }
        if (releaseRetry) {
            releaseRetry();
        }
        cancelTryTimer();
    }

    /** The retry counted against the cluster's max_retries or retry budget is over. */
    private void releaseRetry() {
        if (retryActive) {
            retryActive = false;
            cluster.limits().endRetry();
        }
    }

    private boolean canRetry() {
        RetryPolicy policy = forward.retry().orElseThrow();
        if (attempts > policy.numRetries()) {
            return false;
        }
        if (!keepAll) {
            return false; // the body was not kept whole: it cannot be sent again
        }
        releaseRetry(); // a failed retry gives its place back before asking for the next, as Envoy's does
        if (!cluster.limits().tryStartRetry()) {
            flags = "URX";
            return false;
        }
        retryActive = true;
        return true;
    }

    private void scheduleRetry() {
        RetryPolicy policy = forward.retry().orElseThrow();
        long base = policy.baseInterval().toNanos();
        long ceiling = Math.min(policy.maxInterval().toNanos(), base * ((1L << Math.min(attempts, 20)) - 1));
        long wait = ThreadLocalRandom.current().nextLong(Math.max(1, ceiling));
        loop.schedule(
                () -> {
                    if (!finished) {
                        startAttempt();
                    } else {
                        releaseRetry();
                    }
                },
                wait,
                TimeUnit.NANOSECONDS);
    }

    private void cancelTryTimer() {
        if (tryTimer != null) {
            tryTimer.cancel(false);
            tryTimer = null;
        }
    }

    private void overflow(String what) {
        flags = "UO";
        sendLocal(LocalReplies.overflow(what), false);
    }

    // ---- mirrors

    private void maybeStartMirrors() {
        if (mirrorsStarted || !forwarding || !requestEnded || forward.mirrors().isEmpty()) {
            return;
        }
        mirrorsStarted = true;
        if (!keepAll) {
            return; // no full copy of the body to send
        }
        for (RouteAction.Mirror m : forward.mirrors()) {
            if (ThreadLocalRandom.current().nextDouble() >= m.fraction()) {
                continue;
            }
            Optional<ClusterRuntime> target = runtime.clusters().get(m.cluster());
            if (target.isEmpty()) {
                continue;
            }
            HttpHeaders headers = upstreamHeaders.copy();
            headers.set(HttpHeaderNames.HOST, MirrorSender.shadowAuthority(upstreamAuthority));
            List<ByteBuf> body = new ArrayList<>(kept.size());
            for (ByteBuf b : kept) {
                body.add(b.retainedDuplicate());
            }
            MirrorSender.send(
                    target.get(),
                    loop,
                    http2ByClientChoice ? UpstreamProtocol.HTTP2 : UpstreamProtocol.HTTP1,
                    new DefaultHttpRequest(HttpVersion.HTTP_1_1, request.method(), upstreamPath, headers),
                    body,
                    requestTrailers);
        }
    }

    // ---- local replies and completion

    private void localReply(int code, String body, boolean close) {
        sendLocal(LocalReplies.text(code, body), close);
    }

    private void sendLocal(FullHttpResponse response, boolean close) {
        if (finished || responseStarted) {
            response.release();
            if (!finished) {
                if (current != null) {
                    current.abort();
                    endAttempt(current);
                }
                closeDownstreamAbruptly();
                finish(status);
            }
            return;
        }
        cancelTimers();
        if (current != null) {
            current.abort();
            endAttempt(current);
        }
        responseStarted = true;
        status = response.status().code();
        responseBytes += response.content().readableBytes();
        rateLimitHeaders.ifPresent(h -> h.applyTo(response.headers()));
        corsHeaders.forEach(response.headers()::set);
        response.headers().set(HttpHeaderNames.SERVER, "istio-envoy");
        HttpUtil.setContentLength(response, response.content().readableBytes());
        boolean bodyUnread = !requestEnded
                && (HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0);
        boolean closeAfter = close || (!http2 && (!HttpUtil.isKeepAlive(request) || bodyUnread));
        if (closeAfter && !http2) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        finish(status); // before the bytes leave, so the record exists when the client sees the answer
        ctx.writeAndFlush(response).addListener(f -> {
            if (closeAfter) {
                ctx.close();
            }
        });
    }

    private void closeDownstreamAbruptly() {
        ctx.close();
    }

    private void cancelTimers() {
        if (routeTimer != null) {
            routeTimer.cancel(false);
        }
        cancelTryTimer();
    }

    private void finish(int finalStatus) {
        if (finished) {
            return;
        }
        finished = true;
        cancelTimers();
        releaseKept();
        if (requestCounted) {
            cluster.limits().endRequest();
        }
        if (!http2 && !HttpUtil.isKeepAlive(request) && ctx.channel().isActive()) {
            loop.execute(ctx::close); // after the response just written
        }
        ctx.channel().config().setAutoRead(true);
        RequestRecord finished = record(finalStatus);
        if (telemetry != null) {
            telemetry.finish(finished);
        } else {
            runtime.observer().onRequest(finished);
        }
        onComplete.run();
    }

    private RequestRecord record(int finalStatus) {
        var endpoint = lastHost == null ? null : lastHost.endpoint();
        return new RequestRecord(
                start,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos),
                request.method().name(),
                request.uri(),
                view.authority(),
                http2 ? "HTTP/2" : request.protocolVersion().text(),
                finalStatus,
                flags,
                requestBytes,
                responseBytes,
                attempts,
                route == null ? "-" : route.name(),
                clusterName,
                lastHost == null ? Optional.empty() : Optional.of(lastHost.addressText()),
                endpoint == null ? Optional.empty() : endpoint.workload(),
                endpoint == null ? Optional.empty() : endpoint.identity(),
                destinationService,
                downstream.peerPrincipal(),
                downstream.sourceAddress(),
                downstream.sourceWorkload(),
                grpc ? grpcStatus : Optional.empty(),
                requestId,
                downstream.peerIdentity().isPresent(),
                rbacLogged);
    }

    private boolean isCorsPreflight(JwtAuthnConfig jwt) {
        return jwt.bypassCorsPreflight()
                && request.method().name().equals("OPTIONS")
                && request.headers().contains(HttpHeaderNames.ORIGIN)
                && request.headers().contains(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD);
    }

    private RequestSubject rbacSubject(Map<String, Map<String, Object>> metadata) {
        Optional<java.net.InetAddress> destinationIp;
        try {
            destinationIp = Optional.of(java.net.InetAddress.ofLiteral(downstream.listenerAddress()));
        } catch (IllegalArgumentException notAnAddress) {
            destinationIp = Optional.empty();
        }
        return new RequestSubject(
                view,
                downstream.listenerPort(),
                destinationIp,
                downstream.peerPrincipal(),
                downstream.source().map(InetSocketAddress::getAddress),
                metadata);
    }

    /**
     * The service a waypoint listener ({@code inbound-vip|<port>|<protocol>|<host>}) serves; none for an ingress
     * listener ({@code 0.0.0.0_<port>}), whose requests take their service from the chosen cluster instead.
     */
    static Optional<String> serviceOf(String listenerName) {
        int third = -1;
        for (int i = 0; i < 3; i++) {
            third = listenerName.indexOf('|', third + 1);
            if (third < 0) {
                return Optional.empty();
            }
        }
        return third + 1 < listenerName.length() && listenerName.indexOf('|', third + 1) < 0
                ? Optional.of(listenerName.substring(third + 1))
                : Optional.empty();
    }
}
