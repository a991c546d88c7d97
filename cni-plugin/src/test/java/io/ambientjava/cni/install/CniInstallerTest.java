package io.ambientjava.cni.install;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Installing into and uninstalling from temporary CNI bin and net.d folders (no training run: no JVM start). */
class CniInstallerTest {
    private static final String BRIDGE_CONFLIST = """
            {
              "cniVersion": "1.0.0",
              "name": "pods",
              "plugins": [
                {"type": "bridge", "bridge": "cni0", "ipam": {"type": "host-local", "subnet": "198.18.5.0/24"}},
                {"type": "portmap", "capabilities": {"portMappings": true}}
              ]
            }
            """;
    private static final String BRIDGE_CONF = """
            {"cniVersion": "0.4.0", "name": "pods", "type": "bridge", "bridge": "cni0",
             "ipam": {"type": "host-local", "subnet": "198.18.5.0/24"}}
            """;

    @TempDir
    Path dir;

    private final ObjectMapper json = new ObjectMapper();

    private Path bin() {
        return dir.resolve("bin");
    }

    private Path net() {
        return dir.resolve("net.d");
    }

    private CniInstaller installer() {
        return new CniInstaller(new CniInstaller.Settings(
                bin(), net(), Path.of("/run/aj/cni.sock"), Path.of("/opt/jdk/bin/java"), false));
    }

    private JsonNode read(Path file) throws Exception {
        return json.readTree(file.toFile());
    }

    @Test
    void chainsLastIntoTheLowestSortingConflistAndDropsLauncherAndJar() throws Exception {
        Files.createDirectories(net());
        Files.writeString(net().resolve("10-pods.conflist"), BRIDGE_CONFLIST);
        Files.writeString(net().resolve("99-other.conflist"), BRIDGE_CONFLIST.replace("pods", "other"));

        CniInstaller.Installed installed = installer().install();

        assertThat(installed.config()).isEqualTo(net().resolve("10-pods.conflist"));
        JsonNode plugins = read(installed.config()).get("plugins");
        assertThat(plugins).hasSize(3);
        assertThat(plugins.get(0).get("type").asText()).isEqualTo("bridge");
        assertThat(plugins.get(2).get("type").asText()).isEqualTo("ambient-cni");
        assertThat(plugins.get(2).get("agentSocket").asText()).isEqualTo("/run/aj/cni.sock");
        assertThat(read(net().resolve("99-other.conflist")))
                .isEqualTo(json.readTree(BRIDGE_CONFLIST.replace("pods", "other")));
        Path launcher = bin().resolve("ambient-cni");
        assertThat(Files.isExecutable(launcher)).isTrue();
        assertThat(Files.readString(launcher)).startsWith("#!/bin/sh").contains("installed_java='/opt/jdk/bin/java'");
        try (JarFile jar = new JarFile(bin().resolve("ambient-cni.jar").toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class"))
                    .isEqualTo("io.ambientjava.cni.CniMain");
            assertThat(jar.getEntry("io/ambientjava/cni/CniPlugin.class")).isNotNull();
            assertThat(jar.stream().map(e -> e.getName()))
                    .as("only the plugin's own package, no libraries, no agent")
                    .allMatch(name -> name.startsWith("META-INF/") || name.matches("io/ambientjava/cni/[^/]+\\.class"));
        }
        assertThat(installed.cacheCreated()).isFalse();
        try (Stream<Path> files = Files.list(net())) {
            assertThat(files.map(f -> f.getFileName().toString()))
                    .as("no temporary files left")
                    .containsExactlyInAnyOrder("10-pods.conflist", "99-other.conflist");
        }
    }

    @Test
    void installingTwiceChangesNothingAndUninstallRestoresTheMeaningOfTheOriginal() throws Exception {
        Files.createDirectories(net());
        Path config = net().resolve("10-pods.conflist");
        Files.writeString(config, BRIDGE_CONFLIST);
        installer().install();
        String once = Files.readString(config);

        installer().install();

        assertThat(Files.readString(config)).isEqualTo(once);
        assertThat(read(config).get("plugins")).hasSize(3);

        assertThat(installer().uninstall()).containsExactly(config);

        assertThat(read(config)).isEqualTo(json.readTree(BRIDGE_CONFLIST));
        assertThat(bin()).isEmptyDirectory();
        assertThat(installer().uninstall()).as("uninstalling twice is fine").isEmpty();
    }

    @Test
    void aSinglePluginConfIsConvertedToAConflistAndGivenBackOnUninstall() throws Exception {
        Files.createDirectories(net());
        Files.writeString(net().resolve("10-pods.conf"), BRIDGE_CONF);

        CniInstaller.Installed installed = installer().install();

        assertThat(installed.config()).isEqualTo(net().resolve("10-pods.conflist"));
        assertThat(net().resolve("10-pods.conf")).doesNotExist();
        JsonNode list = read(installed.config());
        assertThat(list.get("cniVersion").asText()).isEqualTo("0.4.0");
        assertThat(list.get("name").asText()).isEqualTo("pods");
        assertThat(list.get("plugins").get(0).has("name")).isFalse();
        assertThat(list.get("plugins").get(0).get("bridge").asText()).isEqualTo("cni0");
        assertThat(list.get("plugins").get(1).get("type").asText()).isEqualTo("ambient-cni");

        installer().install();
        assertThat(read(installed.config()).get("plugins"))
                .as("idempotent after conversion")
                .hasSize(2);

        installer().uninstall();

        assertThat(net().resolve("10-pods.conflist")).doesNotExist();
        assertThat(read(net().resolve("10-pods.conf"))).isEqualTo(json.readTree(BRIDGE_CONF));
    }

    @Test
    void anExistingEntryOfOursIsUpdatedAndMovedLast() {
        String stale = """
                {"cniVersion":"1.0.0","name":"pods","plugins":[{"type":"bridge"},
                 {"type":"ambient-cni","agentSocket":"/old.sock"},{"type":"portmap"}]}""";

        CniConfigChain.Chained chained =
                CniConfigChain.chain("10-pods.conflist", stale, CniConfigChain.pluginEntry("/new.sock"));

        assertThat(chained.text()).containsSubsequence("bridge", "portmap", "ambient-cni", "/new.sock");
        assertThat(chained.text()).doesNotContain("/old.sock");
    }

    @Test
    void noConfigurationOrABrokenOneIsAClearError() throws Exception {
        assertThatThrownBy(() -> installer().install())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no CNI network configuration")
                .hasMessageContaining(net().toString());

        Files.createDirectories(net());
        Files.writeString(net().resolve("05-broken.conflist"), "{\"plugins\": [ {\"type\": \"bridge\"}, ");
        assertThatThrownBy(() -> installer().install())
                .isInstanceOf(CniConfigChain.InvalidConfigException.class)
                .hasMessageContaining("05-broken.conflist is not valid JSON");

        Files.writeString(net().resolve("05-broken.conflist"), "{\"name\": \"x\", \"plugins\": {}}");
        assertThatThrownBy(() -> installer().install()).hasMessage("05-broken.conflist: \"plugins\" is not an array");

        Files.writeString(net().resolve("05-broken.conflist"), "{\"name\": \"x\", \"plugins\": []}");
        assertThatThrownBy(() -> installer().install())
                .hasMessage("05-broken.conflist has no primary plugin to chain after");

        Files.writeString(net().resolve("05-broken.conflist"), "{\"name\": \"x\"}");
        assertThatThrownBy(() -> installer().install())
                .hasMessage("05-broken.conflist has neither \"plugins\" nor a plugin \"type\"");
    }

    @Test
    void theNativeLauncherComesWithANoteOfTheAgentSocketAndReplacesTheJvmOne() throws Exception {
        Files.createDirectories(net());
        Files.writeString(net().resolve("10-pods.conflist"), BRIDGE_CONFLIST);
        installer().install();

        new CniInstaller(new CniInstaller.Settings(
                        bin(),
                        net(),
                        Path.of("/run/aj/cni.sock"),
                        Path.of("/opt/jdk/bin/java"),
                        false,
                        CniInstaller.Launcher.NATIVE))
                .install();

        Path launcher = bin().resolve("ambient-cni");
        assertThat(Files.isExecutable(launcher)).isTrue();
        byte[] head = Files.readAllBytes(launcher);
        assertThat(new String(head, 1, 3, java.nio.charset.StandardCharsets.US_ASCII))
                .as("an ELF binary")
                .isEqualTo("ELF");
        assertThat(Files.readString(bin().resolve("ambient-cni.socket"))).isEqualTo("/run/aj/cni.sock\n");
        assertThat(bin().resolve("ambient-cni.jar")).doesNotExist();
        assertThat(read(net().resolve("10-pods.conflist")).get("plugins")).hasSize(3);

        installer().uninstall();

        assertThat(bin()).isEmptyDirectory();
    }

    @Test
    void uninstallLeavesConfigsWithoutUsAlone() throws Exception {
        Files.createDirectories(net());
        Path foreign = net().resolve("20-foreign.conflist");
        String text = "{ \"cniVersion\": \"1.0.0\", \"name\": \"f\", \"plugins\": [{\"type\": \"ptp\"}] }";
        Files.writeString(foreign, text);

        assertThat(installer().uninstall()).isEmpty();

        assertThat(Files.readString(foreign)).as("byte for byte").isEqualTo(text);
    }
}
