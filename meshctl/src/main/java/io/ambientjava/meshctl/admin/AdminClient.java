package io.ambientjava.meshctl.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ambientjava.meshctl.MeshctlException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Reads JSON pages of a proxy's admin endpoint ({@code /config_dump}, {@code /certs}). */
public final class AdminClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final URI base;
    private final HttpClient http;

    public AdminClient(URI base) {
        this.base = base;
        this.http = HttpClient.newBuilder()
                .connectTimeout(TIMEOUT)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    private static String reason(IOException e) {
        if (e instanceof java.net.ConnectException) {
            return "connection refused";
        }
        if (e instanceof java.net.http.HttpTimeoutException) {
            return "timed out";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    public JsonNode getJson(String path) {
        URI uri = base.resolve(path);
        HttpResponse<String> response;
        try {
            response = http.send(
                    HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new MeshctlException(
                    "cannot read " + uri + ": " + reason(e)
                            + " (is the proxy running? see --admin-address, --pod, --node)",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MeshctlException("interrupted while reading " + uri, e);
        }
        if (response.statusCode() != 200) {
            String body = response.body().lines().findFirst().orElse("").strip();
            throw new MeshctlException(
                    uri + " answered HTTP " + response.statusCode() + (body.isEmpty() ? "" : ": " + body));
        }
        try {
            return JSON.readTree(response.body());
        } catch (JsonProcessingException e) {
            throw new MeshctlException(uri + " did not return JSON: " + e.getOriginalMessage(), e);
        }
    }
}
