package io.ambientjava.meshctl;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** {@code meshctl --version}: the build's version, filtered into a resource at build time. */
public final class MeshctlVersion implements IVersionProvider {

    /** The version of this build, or {@code unknown} when run from unfiltered classes. */
    public static String current() {
        Properties properties = new Properties();
        try (InputStream in = MeshctlVersion.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            // Reported as unknown below.
        }
        return properties.getProperty("version", "unknown");
    }

    @Override
    public String[] getVersion() {
        return new String[] {"meshctl (ambient-java) " + current(), "Java " + Runtime.version()};
    }
}
