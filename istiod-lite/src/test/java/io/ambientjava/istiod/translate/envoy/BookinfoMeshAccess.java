package io.ambientjava.istiod.translate.envoy;

import io.ambientjava.istiod.config.ConfigSnapshot;

/** {@link BookinfoMesh} for tests in other packages. */
public final class BookinfoMeshAccess {

    private BookinfoMeshAccess() {}

    public static ConfigSnapshot with(String... extra) {
        return BookinfoMesh.with(extra);
    }

    public static String seed(String name) {
        return BookinfoMesh.seed(name);
    }
}
