package io.ambientjava.meshctl.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ambientjava.meshctl.MeshctlException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The state folder of a running local mesh ({@code $XDG_RUNTIME_DIR/ambient-java/local/<name>}, else
 * {@code /run/ambient-java/local/<name>}; mode 0700): the supervisor's pid, its log, the control endpoint (a
 * loopback port) with the token that guards it (0600), and the lock that serialises edits of the config folder.
 */
public record LocalMeshState(String name, Path dir) {
    /** Overrides the root folder of every mesh's state (tests, or a machine without /run). */
    public static final String STATE_ROOT_PROPERTY = "meshctl.local.stateRoot";

    public static final String DEFAULT_NAME = "default";
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the supervisor publishes once the mesh is up. */
    public record Control(long pid, int port, String meshName, String meshDir, String configDir, String startedAt) {}

    public static LocalMeshState of(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new MeshctlException("invalid mesh name '" + name
                    + "': use 1-32 lower-case letters, digits and '-', starting and ending with a letter or digit");
        }
        return new LocalMeshState(name, root().resolve(name));
    }

    public static Path root() {
        String override = System.getProperty(STATE_ROOT_PROPERTY);
        if (override != null && !override.isBlank()) {
            return Path.of(override);
        }
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        return (runtime == null || runtime.isBlank() ? Path.of("/run") : Path.of(runtime))
                .resolve("ambient-java")
                .resolve("local");
    }

    public Path pidFile() {
        return dir.resolve("supervisor.pid");
    }

    public Path controlFile() {
        return dir.resolve("control.json");
    }

    public Path tokenFile() {
        return dir.resolve("token");
    }

    public Path log() {
        return dir.resolve("supervisor.log");
    }

    public Path lockFile() {
        return dir.resolve("config.lock");
    }

    public boolean exists() {
        return Files.isDirectory(dir);
    }

    /** Makes the folder, readable by its owner only. */
    public void create() throws IOException {
        Files.createDirectories(dir.getParent());
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    public Optional<Long> pid() {
        try {
            return Optional.of(Long.parseLong(Files.readString(pidFile()).strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    public boolean supervisorAlive() {
        return pid().flatMap(ProcessHandle::of).map(ProcessHandle::isAlive).orElse(false);
    }

    public Optional<Control> control() {
        try {
            return Optional.of(JSON.readValue(controlFile().toFile(), Control.class));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Written last by the supervisor (atomically), so a reader sees all of it or nothing. */
    void publish(Control control) throws IOException {
        Path temp = dir.resolve(".control.json.tmp");
        JSON.writeValue(temp.toFile(), control);
        Files.move(temp, controlFile(), StandardCopyOption.ATOMIC_MOVE);
    }

    /** How commands refer to this mesh: nothing for the default, {@code --mesh NAME} otherwise. */
    public String flag() {
        return name.equals(DEFAULT_NAME) ? "" : " --mesh " + name;
    }

    public String notRunningMessage() {
        return "no local mesh '" + name + "' is running; start one with `meshctl local up" + flag() + "` (as root)";
    }
}
