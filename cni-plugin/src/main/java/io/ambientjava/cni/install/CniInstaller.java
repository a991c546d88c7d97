package io.ambientjava.cni.install;

import io.ambientjava.cni.install.CniConfigChain.Chained;
import io.ambientjava.cni.install.CniConfigChain.Unchained;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs the plugin on a node as Istio's install-cni does: the launcher {@code ambient-cni} and its jar (plus
 * the AOT cache from a training run) into the CNI bin dir, or the native launcher and a note of the agent socket, and our entry appended to the node's primary network
 * configuration, the file the runtime uses: the lowest-sorting {@code *.conf}, {@code *.conflist} or {@code
 * *.json} in the net dir. Every file is written to a temporary name and renamed into place, so the runtime never
 * reads half a file. Installing again is harmless; uninstalling removes our entry from every configuration that
 * has one, gives back a converted {@code .conf}, and deletes our files.
 */
public final class CniInstaller {
    private static final Logger LOG = LoggerFactory.getLogger(CniInstaller.class);

    public static final String LAUNCHER = CniConfigChain.PLUGIN_TYPE;
    public static final String JAR = "ambient-cni.jar";
    public static final String AOT_CACHE = "ambient-cni.aot";
    /** The native launcher's note of where the agent listens (it cannot parse the network configuration). */
    public static final String SOCKET_NOTE = "ambient-cni.socket";

    private static final String NATIVE_LAUNCHER = "ambient-cni-native";

    /** What the runtime execs. */
    public enum Launcher {
        /** The shell launcher over a short-lived JVM running the plugin (AOT cache, C1 only). */
        JVM,
        /** A small native binary forwarding the whole CNI call to the agent, which runs the plugin code itself. */
        NATIVE
    }

    private static final List<String> CONFIG_EXTENSIONS = List.of(".conf", ".conflist", ".json");

    /**
     * Where to install and what to write.
     *
     * @param java the JVM the launcher should run (its path is written into the launcher)
     * @param trainCache whether to make the AOT cache (a training run of the installed plugin, ~1-2 s; JVM only)
     */
    public record Settings(
            Path binDir, Path netDir, Path agentSocket, Path java, boolean trainCache, Launcher launcher) {
        public Settings {
            Objects.requireNonNull(binDir, "binDir");
            Objects.requireNonNull(netDir, "netDir");
            Objects.requireNonNull(agentSocket, "agentSocket");
            Objects.requireNonNull(java, "java");
            Objects.requireNonNull(launcher, "launcher");
        }

        /** The JVM launcher. */
        public Settings(Path binDir, Path netDir, Path agentSocket, Path java, boolean trainCache) {
            this(binDir, netDir, agentSocket, java, trainCache, Launcher.JVM);
        }
    }

    /** What an install did: the configuration file our entry is in, and whether the AOT cache was made. */
    public record Installed(Path config, Path launcher, boolean cacheCreated) {}

    private final Settings settings;

    public CniInstaller(Settings settings) {
        this.settings = settings;
    }

    /** The JVM running this code, for {@link Settings#java()}. */
    public static Path currentJava() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    public Installed install() throws IOException {
        Path primary = primaryConfig()
                .orElseThrow(() -> new IllegalStateException("no CNI network configuration (*.conf, *.conflist, "
                        + "*.json) in " + settings.netDir() + "; install the primary CNI plugin first"));
        Files.createDirectories(settings.binDir());
        Path launcher = settings.binDir().resolve(LAUNCHER);
        boolean cached = false;
        Files.deleteIfExists(settings.binDir().resolve(AOT_CACHE));
        if (settings.launcher() == Launcher.NATIVE) {
            Files.deleteIfExists(settings.binDir().resolve(JAR));
            writeAtomically(
                    settings.binDir().resolve(SOCKET_NOTE),
                    (settings.agentSocket() + "\n").getBytes(StandardCharsets.UTF_8));
            writeAtomically(launcher, resource(NATIVE_LAUNCHER));
            Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        } else {
            Files.deleteIfExists(settings.binDir().resolve(SOCKET_NOTE));
            writeAtomically(settings.binDir().resolve(JAR), PluginJar.build());
            writeAtomically(launcher, launcherScript().getBytes(StandardCharsets.UTF_8));
            Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
            if (settings.trainCache()) {
                cached = new CacheTraining(settings.binDir(), launcher).run();
            }
        }
        Path config = chainInto(primary);
        LOG.info("ambient-cni installed in {}, chained in {}", settings.binDir(), config);
        return new Installed(config, launcher, cached);
    }

    /** Removes our entry from every network configuration and our files from the bin dir. */
    public List<Path> uninstall() throws IOException {
        List<Path> changed = new ArrayList<>();
        for (Path config : configFiles()) {
            String text = Files.readString(config);
            if (!CniConfigChain.containsOurPlugin(text)) {
                continue;
            }
            Optional<Unchained> unchained =
                    CniConfigChain.unchain(config.getFileName().toString(), text);
            if (unchained.isEmpty()) {
                continue;
            }
            Optional<String> restore = unchained.get().restoredConf();
            if (restore.isPresent()) {
                Path original = settings.netDir().resolve(restore.get());
                writeAtomically(original, unchained.get().text().getBytes(StandardCharsets.UTF_8));
                Files.delete(config);
                changed.add(original);
            } else {
                writeAtomically(config, unchained.get().text().getBytes(StandardCharsets.UTF_8));
                changed.add(config);
            }
        }
        for (String file : List.of(LAUNCHER, JAR, AOT_CACHE, SOCKET_NOTE)) {
            Files.deleteIfExists(settings.binDir().resolve(file));
        }
        LOG.info("ambient-cni uninstalled from {} and {}", settings.binDir(), changed);
        return changed;
    }

    /** The configuration file a runtime would use: the lowest-sorting one. */
    public Optional<Path> primaryConfig() throws IOException {
        return configFiles().stream().findFirst();
    }

    private List<Path> configFiles() throws IOException {
        if (!Files.isDirectory(settings.netDir())) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(settings.netDir())) {
            return files.filter(Files::isRegularFile)
                    .filter(file -> CONFIG_EXTENSIONS.stream()
                            .anyMatch(file.getFileName().toString()::endsWith))
                    .sorted()
                    .toList();
        }
    }

    private Path chainInto(Path primary) throws IOException {
        String name = primary.getFileName().toString();
        Chained chained = CniConfigChain.chain(
                name,
                Files.readString(primary),
                CniConfigChain.pluginEntry(settings.agentSocket().toString()));
        if (!chained.convertedFromConf()) {
            if (!chained.text().equals(Files.readString(primary))) {
                writeAtomically(primary, chained.text().getBytes(StandardCharsets.UTF_8));
            }
            return primary;
        }
        String base = name.substring(0, name.lastIndexOf('.'));
        Path list = settings.netDir().resolve(base + ".conflist");
        if (Files.exists(list)) {
            throw new IllegalStateException("cannot convert " + primary + " into " + list + ": that file exists");
        }
        writeAtomically(list, chained.text().getBytes(StandardCharsets.UTF_8));
        Files.delete(primary);
        return list;
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = CniInstaller.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("launcher resource " + name + " is missing from the jar");
            }
            return in.readAllBytes();
        }
    }

    private String launcherScript() throws IOException {
        String script = new String(resource(LAUNCHER), StandardCharsets.UTF_8);
        String java = settings.java().toString();
        if (java.contains("'")) {
            throw new IllegalArgumentException("Java path must not contain a quote: " + java);
        }
        return script.replace("@INSTALLED_JAVA@", java);
    }

    /** Writes to a hidden temporary file beside {@code target} (no runtime reads it) and renames it into place. */
    static void writeAtomically(Path target, byte[] content) throws IOException {
        Path temp = target.resolveSibling("." + target.getFileName() + ".ambient-cni-tmp");
        try {
            Files.write(temp, content);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
