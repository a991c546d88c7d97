package io.ambientjava.cni.install;

import io.ambientjava.cni.CniMain;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * The plugin's own small jar: only the classes of package {@code io.ambientjava.cni} (the plugin side, which uses
 * nothing but the JDK), taken from wherever this code runs from (the node agent's jar, or a classes folder). A
 * dozen classes open much faster than the agent's jar with all its libraries.
 */
final class PluginJar {
    private static final String PACKAGE_PATH = CniMain.class.getPackageName().replace('.', '/') + "/";

    private PluginJar() {}

    static byte[] build() throws IOException {
        Path source;
        try {
            source = Path.of(CniMain.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
        } catch (URISyntaxException | RuntimeException e) {
            throw new IOException("cannot tell where the plugin classes are loaded from", e);
        }
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, CniMain.class.getName());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int classes = 0;
        try (JarOutputStream jar = new JarOutputStream(bytes, manifest)) {
            for (ClassFile file : Files.isDirectory(source) ? fromFolder(source) : fromJar(source)) {
                JarEntry entry = new JarEntry(file.name());
                entry.setTime(0);
                jar.putNextEntry(entry);
                jar.write(file.content());
                jar.closeEntry();
                classes++;
            }
        }
        if (classes == 0) {
            throw new IOException("no plugin classes (" + PACKAGE_PATH + "*.class) found in " + source);
        }
        return bytes.toByteArray();
    }

    private record ClassFile(String name, byte[] content) {}

    private static boolean isPluginClass(String name) {
        return name.startsWith(PACKAGE_PATH) && name.endsWith(".class") && name.indexOf('/', PACKAGE_PATH.length()) < 0;
    }

    private static List<ClassFile> fromFolder(Path folder) throws IOException {
        Path dir = folder.resolve(PACKAGE_PATH);
        List<ClassFile> files = new ArrayList<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path file : list.sorted(Comparator.naturalOrder()).toList()) {
                String name = PACKAGE_PATH + file.getFileName();
                if (isPluginClass(name)) {
                    files.add(new ClassFile(name, Files.readAllBytes(file)));
                }
            }
        }
        return files;
    }

    private static List<ClassFile> fromJar(Path jarFile) throws IOException {
        List<ClassFile> files = new ArrayList<>();
        try (JarFile jar = new JarFile(jarFile.toFile())) {
            for (JarEntry entry : jar.stream()
                    .filter(e -> isPluginClass(e.getName()))
                    .sorted(Comparator.comparing(JarEntry::getName))
                    .toList()) {
                try (InputStream in = jar.getInputStream(entry)) {
                    files.add(new ClassFile(entry.getName(), in.readAllBytes()));
                }
            }
        }
        return files;
    }
}
