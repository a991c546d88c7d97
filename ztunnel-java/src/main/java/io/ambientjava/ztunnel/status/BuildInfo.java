package io.ambientjava.ztunnel.status;

/**
 * What this ztunnel build is.
 *
 * @param component always {@code ztunnel}, as Istio's {@code istio_build} metric names the component
 * @param version this build's version (the jar manifest's Implementation-Version), {@code unknown} outside a jar
 */
public record BuildInfo(String component, String version) {

    public static BuildInfo current() {
        String version = BuildInfo.class.getPackage().getImplementationVersion();
        return new BuildInfo("ztunnel", version == null || version.isBlank() ? "unknown" : version);
    }
}
