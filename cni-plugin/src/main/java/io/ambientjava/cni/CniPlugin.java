package io.ambientjava.cni;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The CNI 1.0 protocol of a chained plugin: reads {@code CNI_COMMAND} and friends from the environment and the
 * network configuration (with the primary plugin's {@code prevResult}) from stdin; ADD enrolls the pod and
 * passes {@code prevResult} on unchanged (this plugin adds no interfaces or addresses), DEL removes it, CHECK
 * validates, VERSION lists the versions spoken. Every failure becomes the spec's error object.
 *
 * <p>Runs in a short-lived process per call, so it uses {@link JsonText} rather than a JSON library.
 */
public final class CniPlugin {
    public static final List<String> SUPPORTED_VERSIONS = List.of("0.3.0", "0.3.1", "0.4.0", "1.0.0");
    private static final String FALLBACK_VERSION = "1.0.0";

    private final PodEnrollment enrollment;

    /** What to print on stdout and how to exit. */
    public record Outcome(int exitCode, String stdout) {}

    public CniPlugin(PodEnrollment enrollment) {
        this.enrollment = Objects.requireNonNull(enrollment, "enrollment");
    }

    public Outcome execute(Map<String, String> env, String stdin) {
        String version = FALLBACK_VERSION;
        try {
            String command = required(env, "CNI_COMMAND");
            Map<String, Object> config = parseConfig(stdin);
            version = cniVersion(config);
            return switch (command) {
                case "VERSION" -> new Outcome(0, versionReply(version));
                case "ADD" -> add(env, config, version);
                case "DEL" -> del(env);
                case "CHECK" -> check(env, config);
                default ->
                    throw new CniException(
                            CniException.INVALID_ENVIRONMENT,
                            "unknown CNI_COMMAND '" + command + "'",
                            "expected ADD, DEL, CHECK or VERSION");
            };
        } catch (CniException e) {
            return new Outcome(1, errorReply(version, e));
        } catch (RuntimeException e) {
            return new Outcome(1, errorReply(version, new CniException(CniException.ENROLLMENT_FAILED, e.toString())));
        }
    }

    private Outcome add(Map<String, String> env, Map<String, Object> config, String version) {
        if (!(config.get("prevResult") instanceof Map<?, ?> prevResult)) {
            throw new CniException(
                    CniException.INVALID_NETWORK_CONFIG,
                    "prevResult is missing",
                    "this plugin must be chained after the primary network plugin");
        }
        CniPod pod = pod(env, true);
        enrollment.add(pod);
        Map<Object, Object> result = new LinkedHashMap<>(prevResult);
        result.put("cniVersion", version);
        return new Outcome(0, JsonText.write(result));
    }

    private Outcome del(Map<String, String> env) {
        enrollment.remove(pod(env, false));
        return new Outcome(0, "");
    }

    private Outcome check(Map<String, String> env, Map<String, Object> config) {
        pod(env, true);
        if (config.get("prevResult") == null) {
            throw new CniException(CniException.INVALID_NETWORK_CONFIG, "prevResult is missing on CHECK");
        }
        return new Outcome(0, "");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> parseConfig(String stdin) {
        if (stdin == null || stdin.isBlank()) {
            throw new CniException(CniException.DECODING_FAILURE, "no network configuration on stdin");
        }
        Object config;
        try {
            config = JsonText.parse(stdin);
        } catch (JsonText.MalformedJsonException e) {
            throw new CniException(
                    CniException.DECODING_FAILURE, "cannot decode network configuration", e.getMessage());
        }
        if (!(config instanceof Map<?, ?>)) {
            throw new CniException(CniException.DECODING_FAILURE, "network configuration is not a JSON object");
        }
        return (Map<String, Object>) config;
    }

    private static String cniVersion(Map<String, Object> config) {
        String version = JsonText.string(config, "cniVersion");
        if (version == null || version.isBlank()) {
            throw new CniException(CniException.INVALID_NETWORK_CONFIG, "cniVersion is missing from the configuration");
        }
        if (!SUPPORTED_VERSIONS.contains(version)) {
            throw new CniException(
                    CniException.INCOMPATIBLE_VERSION,
                    "incompatible CNI version " + version,
                    "supported: " + String.join(", ", SUPPORTED_VERSIONS));
        }
        return version;
    }

    private static CniPod pod(Map<String, String> env, boolean netnsRequired) {
        String containerId = required(env, "CNI_CONTAINERID");
        String netns = env.getOrDefault("CNI_NETNS", "");
        if (netnsRequired) {
            required(env, "CNI_NETNS");
            required(env, "CNI_IFNAME");
        }
        Map<String, String> args = cniArgs(env.getOrDefault("CNI_ARGS", ""));
        String name = args.get("K8S_POD_NAME");
        String namespace = args.get("K8S_POD_NAMESPACE");
        if (name == null || namespace == null) {
            throw new CniException(
                    CniException.INVALID_ENVIRONMENT,
                    "CNI_ARGS lacks K8S_POD_NAME or K8S_POD_NAMESPACE",
                    "CNI_ARGS was '" + env.getOrDefault("CNI_ARGS", "") + "'");
        }
        return new CniPod(
                args.getOrDefault("K8S_POD_UID", containerId),
                name,
                namespace,
                args.getOrDefault("K8S_POD_SERVICE_ACCOUNT", ""),
                containerId,
                netns.isBlank() ? null : Path.of(netns));
    }

    /** {@code CNI_ARGS}: {@code KEY=VALUE} pairs separated by semicolons. */
    static Map<String, String> cniArgs(String raw) {
        Map<String, String> args = new HashMap<>();
        for (String pair : raw.split(";")) {
            if (pair.isBlank()) {
                continue;
            }
            int equals = pair.indexOf('=');
            if (equals <= 0) {
                throw new CniException(
                        CniException.INVALID_ENVIRONMENT,
                        "malformed CNI_ARGS entry '" + pair + "'",
                        "expected KEY=VALUE");
            }
            args.put(pair.substring(0, equals), pair.substring(equals + 1));
        }
        return args;
    }

    private static String required(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            throw new CniException(CniException.INVALID_ENVIRONMENT, name + " is not set");
        }
        return value;
    }

    private static String versionReply(String version) {
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("cniVersion", version);
        reply.put("supportedVersions", SUPPORTED_VERSIONS);
        return JsonText.write(reply);
    }

    private static String errorReply(String version, CniException error) {
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("cniVersion", version);
        reply.put("code", error.code());
        reply.put("msg", error.getMessage());
        if (!error.details().isEmpty()) {
            reply.put("details", error.details());
        }
        return JsonText.write(reply);
    }
}
