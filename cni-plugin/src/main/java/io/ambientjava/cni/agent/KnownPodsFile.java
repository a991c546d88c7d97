package io.ambientjava.cni.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The node agent's memory across restarts: every pod it knows (uid, identity, netns path, enrolled or not) as a
 * JSON file, rewritten whole on each change through a temporary file and a rename, so a crash leaves the old or
 * the new version, never half of one.
 */
public final class KnownPodsFile {
    private final Path file;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public KnownPodsFile(Path file) {
        this.file = file;
    }

    public Path path() {
        return file;
    }

    /** The saved pods; none when the file does not exist. Throws with the file's name when it does not parse. */
    public List<KnownPod> read() throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        JsonNode root;
        try {
            root = json.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException("pod state file " + file + " is unreadable: " + e.getMessage(), e);
        }
        List<KnownPod> pods = new ArrayList<>();
        for (JsonNode pod : root.path("pods")) {
            String uid = pod.path("uid").asText("");
            String netns = pod.path("netns").asText("");
            if (uid.isEmpty() || netns.isEmpty()) {
                throw new IOException("pod state file " + file + " has an entry without uid or netns: " + pod);
            }
            pods.add(new KnownPod(
                    uid,
                    pod.path("name").asText(""),
                    pod.path("namespace").asText(""),
                    pod.path("serviceAccount").asText(""),
                    pod.path("containerId").asText(""),
                    Path.of(netns),
                    pod.path("enrolled").asBoolean(false)));
        }
        return pods;
    }

    public synchronized void write(Collection<KnownPod> pods) throws IOException {
        ObjectNode root = json.createObjectNode();
        ArrayNode list = root.putArray("pods");
        for (KnownPod pod : pods) {
            ObjectNode entry = list.addObject();
            entry.put("uid", pod.uid());
            entry.put("name", pod.name());
            entry.put("namespace", pod.namespace());
            entry.put("serviceAccount", pod.serviceAccount());
            entry.put("containerId", pod.containerId());
            entry.put("netns", pod.netns().toString());
            entry.put("enrolled", pod.enrolled());
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.write(temp, json.writeValueAsBytes(root));
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
