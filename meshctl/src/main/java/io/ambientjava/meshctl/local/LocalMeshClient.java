package io.ambientjava.meshctl.local;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ambientjava.meshctl.MeshctlException;
import io.ambientjava.meshctl.local.ControlApi.MeshStatus;
import io.ambientjava.meshctl.local.ControlApi.PodInfo;
import io.ambientjava.meshctl.local.ControlApi.PodSpec;
import io.ambientjava.meshctl.local.ControlApi.Problem;
import io.ambientjava.meshctl.local.ControlApi.WaypointInfo;
import io.ambientjava.meshctl.local.ControlApi.WaypointSpec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A meshctl command's handle on a running local mesh: its supervisor's control endpoint and its config folder. */
public final class LocalMeshClient {
    private static final Duration POD_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final LocalMeshState state;
    private final LocalMeshState.Control control;
    private final String token;
    private final ObjectMapper json = new ObjectMapper();

    private LocalMeshClient(LocalMeshState state, LocalMeshState.Control control, String token) {
        this.state = state;
        this.control = control;
        this.token = token;
    }

    /** Finds the running mesh, or fails with one line saying what to do instead. */
    public static LocalMeshClient connect(LocalMeshState state) {
        if (!state.exists()) {
            throw new MeshctlException(state.notRunningMessage());
        }
        if (!Files.isReadable(state.dir()) || !Files.isExecutable(state.dir())) {
            throw new MeshctlException("permission denied: local mesh '" + state.name() + "' belongs to root ("
                    + state.dir() + "); run meshctl with sudo");
        }
        if (!state.supervisorAlive()) {
            throw new MeshctlException("local mesh '" + state.name() + "' is not running: its supervisor"
                    + state.pid().map(p -> " (pid " + p + ")").orElse("") + " has exited (log: " + state.log()
                    + "); `meshctl local down" + state.flag() + "` removes what it left, `meshctl local up"
                    + state.flag() + "` starts it again");
        }
        LocalMeshState.Control control = state.control()
                .orElseThrow(() -> new MeshctlException(
                        "local mesh '" + state.name() + "' is still starting; try again in a few seconds"));
        try {
            return new LocalMeshClient(
                    state, control, Files.readString(state.tokenFile()).strip());
        } catch (IOException e) {
            throw new MeshctlException("cannot read the control token " + state.tokenFile() + ": " + e.getMessage());
        }
    }

    public LocalMeshState state() {
        return state;
    }

    public LocalMeshState.Control control() {
        return control;
    }

    /** The mesh's config folder, edited under the state folder's lock. */
    public MeshConfigStore store() {
        return new MeshConfigStore(Path.of(control.configDir()), state.lockFile());
    }

    public MeshStatus status() {
        return send("GET", "/v1/status", null, TIMEOUT, new TypeReference<>() {});
    }

    public List<PodInfo> pods() {
        return send("GET", "/v1/pods", null, TIMEOUT, new TypeReference<>() {});
    }

    public PodInfo run(PodSpec spec) {
        return send("POST", "/v1/pods", spec, POD_TIMEOUT, new TypeReference<>() {});
    }

    public void delete(String namespace, String name) {
        send("DELETE", "/v1/pods/" + namespace + "/" + name, null, POD_TIMEOUT, new TypeReference<Problem>() {});
    }

    /** Starts a waypoint; returns once it is ready (it has its config from istiod-lite). */
    public WaypointInfo addWaypoint(WaypointSpec spec) {
        return send("POST", "/v1/waypoints", spec, POD_TIMEOUT, new TypeReference<>() {});
    }

    public List<WaypointInfo> waypoints() {
        return send("GET", "/v1/waypoints", null, TIMEOUT, new TypeReference<>() {});
    }

    /** Stops a waypoint and removes all it had; fails with "waypoint NS/NAME not found" for an unknown one. */
    public void deleteWaypoint(String namespace, String name) {
        send("DELETE", "/v1/waypoints/" + namespace + "/" + name, null, POD_TIMEOUT, new TypeReference<Problem>() {});
    }

    public void shutdown() {
        send("POST", "/v1/shutdown", null, TIMEOUT, new TypeReference<Problem>() {});
    }

    private <T> T send(String method, String path, Object body, Duration timeout, TypeReference<T> type) {
        try (HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + control.port() + path))
                    .timeout(timeout)
                    .header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json")
                    .method(
                            method,
                            body == null
                                    ? HttpRequest.BodyPublishers.noBody()
                                    : HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)))
                    .build();
            HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() / 100 != 2) {
                String error;
                try {
                    error = json.readValue(response.body(), Problem.class).error();
                } catch (IOException unreadable) {
                    error = "HTTP " + response.statusCode();
                }
                throw new MeshctlException(error);
            }
            return json.readValue(response.body(), type);
        } catch (IOException e) {
            throw new MeshctlException(
                    "cannot reach local mesh '" + state.name() + "' on 127.0.0.1:" + control.port() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MeshctlException("interrupted", e);
        }
    }
}
