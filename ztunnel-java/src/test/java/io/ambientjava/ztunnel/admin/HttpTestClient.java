package io.ambientjava.ztunnel.admin;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Plain HTTP/1.1 requests against a local operations server. */
public final class HttpTestClient {

    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private HttpTestClient() {}

    public static HttpResponse<String> get(InetSocketAddress server, String pathAndQuery) {
        return send(server, "GET", pathAndQuery);
    }

    public static HttpResponse<String> post(InetSocketAddress server, String pathAndQuery) {
        return send(server, "POST", pathAndQuery);
    }

    public static HttpResponse<String> send(InetSocketAddress server, String method, String pathAndQuery) {
        URI uri = URI.create("http://" + server.getAddress().getHostAddress() + ":" + server.getPort() + pathAndQuery);
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .build();
        try {
            return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(method + " " + uri + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
