package io.ambientjava.cni;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CniPluginTest {
    private static final String PREV_RESULT = """
            {"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/var/run/netns/pod1"}],
             "ips":[{"address":"198.18.1.2/24","gateway":"198.18.1.1","interface":0}]}""";
    private static final String CONFIG = """
            {"cniVersion":"1.0.0","name":"ambient","type":"ambient-java","prevResult":%s}""".formatted(PREV_RESULT);

    private final ObjectMapper json = new ObjectMapper();
    private final List<String> calls = new ArrayList<>();
    private final List<CniPod> pods = new ArrayList<>();
    private RuntimeException failure;

    private final CniPlugin plugin = new CniPlugin(new PodEnrollment() {
        @Override
        public void add(CniPod pod) {
            calls.add("add");
            pods.add(pod);
            if (failure != null) {
                throw failure;
            }
        }

        @Override
        public void remove(CniPod pod) {
            calls.add("remove");
            pods.add(pod);
        }
    });

    private static Map<String, String> env(String command) {
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", "c0ffee");
        env.put("CNI_NETNS", "/var/run/netns/pod1");
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_PATH", "/opt/cni/bin");
        env.put("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-1;K8S_POD_UID=uid-1");
        return env;
    }

    private JsonNode parse(String text) throws Exception {
        return json.readTree(text);
    }

    @Test
    void versionListsTheSupportedVersions() throws Exception {
        CniPlugin.Outcome outcome = plugin.execute(Map.of("CNI_COMMAND", "VERSION"), "{\"cniVersion\":\"1.0.0\"}");

        assertThat(outcome.exitCode()).isZero();
        JsonNode reply = parse(outcome.stdout());
        assertThat(reply.get("cniVersion").asText()).isEqualTo("1.0.0");
        assertThat(reply.get("supportedVersions").toString()).contains("1.0.0", "0.4.0");
    }

    @Test
    void addEnrollsThePodAndPassesPrevResultOn() throws Exception {
        CniPlugin.Outcome outcome = plugin.execute(env("ADD"), CONFIG);

        assertThat(outcome.exitCode()).isZero();
        assertThat(parse(outcome.stdout())).isEqualTo(parse(PREV_RESULT));
        assertThat(calls).containsExactly("add");
        assertThat(pods.getFirst())
                .isEqualTo(new CniPod("uid-1", "web-1", "default", "", "c0ffee", Path.of("/var/run/netns/pod1")));
    }

    @Test
    void addWithoutPrevResultIsAnInvalidConfig() throws Exception {
        CniPlugin.Outcome outcome =
                plugin.execute(env("ADD"), "{\"cniVersion\":\"1.0.0\",\"name\":\"ambient\",\"type\":\"ambient-java\"}");

        assertThat(outcome.exitCode()).isEqualTo(1);
        JsonNode error = parse(outcome.stdout());
        assertThat(error.get("code").asInt()).isEqualTo(CniException.INVALID_NETWORK_CONFIG);
        assertThat(error.get("msg").asText()).isEqualTo("prevResult is missing");
        assertThat(error.get("details").asText()).contains("chained after the primary");
        assertThat(error.get("cniVersion").asText()).isEqualTo("1.0.0");
        assertThat(calls).isEmpty();
    }

    @Test
    void malformedConfigIsADecodingFailureWithItsPosition() throws Exception {
        CniPlugin.Outcome outcome = plugin.execute(env("ADD"), "{\"cniVersion\": \"1.0.0\",\n \"name\": }");

        assertThat(outcome.exitCode()).isEqualTo(1);
        JsonNode error = parse(outcome.stdout());
        assertThat(error.get("code").asInt()).isEqualTo(CniException.DECODING_FAILURE);
        assertThat(error.get("msg").asText()).isEqualTo("cannot decode network configuration");
        assertThat(error.get("details").asText()).contains("line 2");
    }

    @Test
    void emptyStdinAndNonObjectsAreRefused() throws Exception {
        assertThat(parse(plugin.execute(env("ADD"), "").stdout()).get("msg").asText())
                .isEqualTo("no network configuration on stdin");
        assertThat(parse(plugin.execute(env("ADD"), "[1,2]").stdout())
                        .get("msg")
                        .asText())
                .isEqualTo("network configuration is not a JSON object");
    }

    @Test
    void unsupportedVersionIsIncompatible() throws Exception {
        JsonNode error = parse(plugin.execute(env("ADD"), "{\"cniVersion\":\"9.9.9\",\"prevResult\":{}}")
                .stdout());

        assertThat(error.get("code").asInt()).isEqualTo(CniException.INCOMPATIBLE_VERSION);
        assertThat(error.get("msg").asText()).isEqualTo("incompatible CNI version 9.9.9");
        assertThat(error.get("details").asText()).contains("1.0.0");
    }

    @Test
    void missingOrUnknownCommandAndMissingEnvironmentAreNamed() throws Exception {
        Map<String, String> noCommand = env("ADD");
        noCommand.remove("CNI_COMMAND");
        assertThat(parse(plugin.execute(noCommand, CONFIG).stdout()).get("msg").asText())
                .isEqualTo("CNI_COMMAND is not set");

        JsonNode unknown = parse(plugin.execute(env("FROB"), CONFIG).stdout());
        assertThat(unknown.get("code").asInt()).isEqualTo(CniException.INVALID_ENVIRONMENT);
        assertThat(unknown.get("msg").asText()).isEqualTo("unknown CNI_COMMAND 'FROB'");

        Map<String, String> noNetns = env("ADD");
        noNetns.remove("CNI_NETNS");
        assertThat(parse(plugin.execute(noNetns, CONFIG).stdout()).get("msg").asText())
                .isEqualTo("CNI_NETNS is not set");

        Map<String, String> badArgs = env("ADD");
        badArgs.put("CNI_ARGS", "K8S_POD_NAME=web;garbage");
        assertThat(parse(plugin.execute(badArgs, CONFIG).stdout()).get("msg").asText())
                .isEqualTo("malformed CNI_ARGS entry 'garbage'");

        Map<String, String> noPod = env("ADD");
        noPod.put("CNI_ARGS", "IgnoreUnknown=1");
        assertThat(parse(plugin.execute(noPod, CONFIG).stdout()).get("msg").asText())
                .isEqualTo("CNI_ARGS lacks K8S_POD_NAME or K8S_POD_NAMESPACE");
        assertThat(calls).isEmpty();
    }

    @Test
    void enrollmentFailuresKeepTheirCode() throws Exception {
        failure = new CniException(CniException.TRY_AGAIN_LATER, "no ztunnel connected");

        CniPlugin.Outcome outcome = plugin.execute(env("ADD"), CONFIG);

        assertThat(outcome.exitCode()).isEqualTo(1);
        JsonNode error = parse(outcome.stdout());
        assertThat(error.get("code").asInt()).isEqualTo(CniException.TRY_AGAIN_LATER);
        assertThat(error.get("msg").asText()).isEqualTo("no ztunnel connected");
    }

    @Test
    void delWorksWithoutANetnsAndCheckNeedsPrevResult() throws Exception {
        Map<String, String> del = env("DEL");
        del.remove("CNI_NETNS");
        CniPlugin.Outcome deleted = plugin.execute(del, CONFIG);
        assertThat(deleted.exitCode()).isZero();
        assertThat(deleted.stdout()).isEmpty();
        assertThat(pods.getFirst().netns()).isNull();

        assertThat(plugin.execute(env("CHECK"), CONFIG).exitCode()).isZero();
        JsonNode error =
                parse(plugin.execute(env("CHECK"), "{\"cniVersion\":\"1.0.0\"}").stdout());
        assertThat(error.get("msg").asText()).isEqualTo("prevResult is missing on CHECK");
    }

    @Test
    void serviceAccountComesFromOurCniArgsKey() {
        Map<String, String> env = env("ADD");
        env.put("CNI_ARGS", env.get("CNI_ARGS") + ";K8S_POD_SERVICE_ACCOUNT=web-sa");

        plugin.execute(env, CONFIG);

        assertThat(pods.getFirst().serviceAccount()).isEqualTo("web-sa");
    }
}
