package io.ambientjava.meshctl.local;

import picocli.CommandLine.Option;

/** {@code --mesh NAME}: which local mesh a command works on (several can run side by side). */
public final class LocalMeshOption {
    @Option(
            names = "--mesh",
            paramLabel = "NAME",
            defaultValue = LocalMeshState.DEFAULT_NAME,
            description = "The local mesh to use (default: ${DEFAULT-VALUE}).")
    String name = LocalMeshState.DEFAULT_NAME;

    public LocalMeshState state() {
        return LocalMeshState.of(name);
    }

    public LocalMeshClient connect() {
        return LocalMeshClient.connect(state());
    }
}
