package io.ambientjava.ztunnel.admin;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Exact-path routing with per-path methods: an unknown path answers 404, a known path with another method 405 with
 * an {@code Allow} header, both with a one-line explanation.
 */
public final class HttpRoutes {

    /** Answers one request; runs on a virtual thread, so it may take its time (but not forever). */
    @FunctionalInterface
    public interface Handler {
        HttpReply handle(HttpExchange request) throws Exception;
    }

    private final Map<String, Map<String, Handler>> routes = new LinkedHashMap<>();
    private final String serverName;

    public HttpRoutes(String serverName) {
        this.serverName = serverName;
    }

    public HttpRoutes get(String path, Handler handler) {
        return add("GET", path, handler);
    }

    public HttpRoutes post(String path, Handler handler) {
        return add("POST", path, handler);
    }

    public HttpRoutes add(String method, String path, Handler handler) {
        if (routes.computeIfAbsent(path, p -> new LinkedHashMap<>()).putIfAbsent(method, handler) != null) {
            throw new IllegalArgumentException(method + " " + path + " is routed twice");
        }
        return this;
    }

    /** The routed paths, in the order they were added. */
    public Set<String> paths() {
        return Collections.unmodifiableSet(routes.keySet());
    }

    /** Routes and runs a request; handler failures become 500s naming the failure. */
    public HttpReply dispatch(HttpExchange request) {
        Map<String, Handler> byMethod = routes.get(request.path());
        if (byMethod == null) {
            return HttpReply.text(
                    404,
                    "no such path on the " + serverName + " server: " + request.path() + "; try one of " + paths()
                            + "\n");
        }
        Handler handler = byMethod.get(request.method());
        if (handler == null && request.method().equals("HEAD")) {
            handler = byMethod.get("GET");
        }
        if (handler == null) {
            String allowed = String.join(", ", new TreeSet<>(byMethod.keySet()));
            return HttpReply.text(
                            405, request.method() + " is not allowed on " + request.path() + "; use " + allowed + "\n")
                    .withHeader("Allow", allowed);
        }
        try {
            return handler.handle(request);
        } catch (IllegalArgumentException e) {
            return HttpReply.text(400, e.getMessage() + "\n");
        } catch (Exception e) {
            return HttpReply.text(500, request.path() + " failed: " + e + "\n");
        }
    }
}
