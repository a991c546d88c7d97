package io.ambientjava.ztunnel.controlplane;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.concurrent.Executor;

/** {@code authorization: Bearer <token>} on every call, the token read from its file each time. */
public final class BearerTokenCredentials extends CallCredentials {

    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final Path tokenFile;

    public BearerTokenCredentials(Path tokenFile) {
        this.tokenFile = tokenFile;
    }

    @Override
    public void applyRequestMetadata(RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
        appExecutor.execute(() -> {
            try {
                Metadata headers = new Metadata();
                headers.put(AUTHORIZATION, "Bearer " + BearerTokenFile.read(tokenFile));
                applier.apply(headers);
            } catch (ControlPlaneException e) {
                applier.fail(Status.UNAUTHENTICATED.withDescription(e.getMessage()));
            }
        });
    }
}
