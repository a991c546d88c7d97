package io.ambientjava.ztunnel.config;

import java.util.List;

/**
 * The document upstream ztunnel reads from {@code LOCAL_XDS_PATH} / {@code LOCAL_XDS}: camelCase keys, three
 * lists. Only the schema lives here (what the YAML may say); meaning and validation live in {@link
 * LocalConfigConverter}.
 */
record LocalConfig(List<LocalWorkload> workloads, List<LocalService> services, List<LocalPolicy> policies) {

    LocalConfig {
        workloads = workloads == null ? List.of() : workloads;
        services = services == null ? List.of() : services;
        policies = policies == null ? List.of() : policies;
    }
}
