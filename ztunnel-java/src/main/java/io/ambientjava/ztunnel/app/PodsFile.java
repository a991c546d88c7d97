package io.ambientjava.ztunnel.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code --pods-file} format: one pod per line, {@code <uid> <netns-path>} separated by white space; blank lines
 * and lines starting with {@code #} are ignored. Errors name the file and line.
 */
public final class PodsFile {

    private PodsFile() {}

    /** Reads and parses the file; pods by uid in file order. */
    public static Map<String, PodSpec> read(Path file) throws StartupException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new StartupException("pods file " + file + " does not exist");
        } catch (IOException e) {
            throw new StartupException("cannot read pods file " + file + ": " + e.getMessage(), e);
        }
        return parse(file.toString(), text);
    }

    /** Parses pods-file text; {@code source} names it in errors. */
    public static Map<String, PodSpec> parse(String source, String text) throws StartupException {
        Map<String, PodSpec> pods = new LinkedHashMap<>();
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\\s+");
            if (fields.length != 2) {
                throw new StartupException(
                        source + ":" + (i + 1) + ": expected '<uid> <netns-path>' but found '" + line + "'");
            }
            PodSpec pod = new PodSpec(fields[0], Path.of(fields[1]));
            if (pods.putIfAbsent(pod.uid(), pod) != null) {
                throw new StartupException(source + ":" + (i + 1) + ": pod " + pod.uid() + " is listed twice");
            }
        }
        return pods;
    }
}
