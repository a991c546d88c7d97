package io.ambientjava.cni.install;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * Puts our plugin at the end of a node's CNI network configuration, and takes it out again. Pure text in, text
 * out; {@link CniInstaller} does the files.
 *
 * <p>A single-plugin {@code .conf} becomes a {@code .conflist} holding it (its {@code cniVersion} and {@code name}
 * move to the list); the list remembers the file it came from in {@value #CONVERTED_FROM}, so uninstalling can
 * give the node its {@code .conf} back. Runtimes ignore unknown top-level fields.
 */
public final class CniConfigChain {
    /** Our plugin's {@code type}: the name of the launcher in the CNI bin dir. */
    public static final String PLUGIN_TYPE = "ambient-cni";
    /** Top-level field of a conflist we made from a {@code .conf}: that file's name. */
    public static final String CONVERTED_FROM = "ambientJavaConvertedFrom";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private CniConfigChain() {}

    /** A configuration file's new content after chaining, and whether it must be renamed to a {@code .conflist}. */
    public record Chained(String text, boolean convertedFromConf) {}

    /** A configuration that cannot be understood; the message names the file and what is wrong. */
    public static final class InvalidConfigException extends RuntimeException {
        public InvalidConfigException(String message) {
            super(message);
        }
    }

    /** Our plugin entry: its type and where the node agent listens. */
    public static ObjectNode pluginEntry(String agentSocket) {
        ObjectNode entry = JSON.createObjectNode();
        entry.put("type", PLUGIN_TYPE);
        entry.put("agentSocket", agentSocket);
        return entry;
    }

    /**
     * Appends {@code entry} to the plugins of {@code text} (a conflist, or a single plugin {@code .conf} which is
     * converted). An existing entry of ours is replaced in place and moved last; the result is unchanged text when
     * nothing changes, so installing twice rewrites nothing.
     */
    public static Chained chain(String fileName, String text, ObjectNode entry) {
        ObjectNode config = parse(fileName, text);
        boolean isList = config.has("plugins");
        ObjectNode list;
        if (isList) {
            list = config;
            plugins(fileName, list);
        } else {
            list = convert(fileName, config);
        }
        ArrayNode plugins = (ArrayNode) list.get("plugins");
        ArrayNode updated = JSON.createArrayNode();
        for (JsonNode plugin : plugins) {
            if (!isOurs(plugin)) {
                updated.add(plugin);
            }
        }
        if (updated.isEmpty()) {
            throw new InvalidConfigException(fileName + " has no primary plugin to chain after");
        }
        updated.add(entry);
        if (isList && updated.equals(plugins)) {
            return new Chained(text, false);
        }
        list.set("plugins", updated);
        return new Chained(write(list), !isList);
    }

    /**
     * Removes our entries from a conflist. Returns empty when there are none (the file is not ours to touch);
     * otherwise the new text and, for a list we converted, the original {@code .conf} name to write it back as.
     */
    public static Optional<Unchained> unchain(String fileName, String text) {
        ObjectNode config = parse(fileName, text);
        if (!config.has("plugins")) {
            return Optional.empty();
        }
        ArrayNode plugins = plugins(fileName, config);
        ArrayNode kept = JSON.createArrayNode();
        for (JsonNode plugin : plugins) {
            if (!isOurs(plugin)) {
                kept.add(plugin);
            }
        }
        if (kept.size() == plugins.size()) {
            return Optional.empty();
        }
        JsonNode convertedFrom = config.get(CONVERTED_FROM);
        if (convertedFrom != null && convertedFrom.isTextual() && kept.size() == 1) {
            ObjectNode single = JSON.createObjectNode();
            copyIfPresent(config, single, "cniVersion");
            copyIfPresent(config, single, "name");
            kept.get(0).properties().forEach(field -> single.set(field.getKey(), field.getValue()));
            return Optional.of(new Unchained(write(single), Optional.of(convertedFrom.asText())));
        }
        config.set("plugins", kept);
        config.remove(CONVERTED_FROM);
        return Optional.of(new Unchained(write(config), Optional.empty()));
    }

    /** A conflist without our entries, or (restoredConf present) the single-plugin {@code .conf} it came from. */
    public record Unchained(String text, Optional<String> restoredConf) {}

    /** Whether the configuration text lists our plugin (false for text that does not parse). */
    public static boolean containsOurPlugin(String text) {
        try {
            JsonNode config = JSON.readTree(text);
            JsonNode plugins = config == null ? null : config.get("plugins");
            if (plugins == null || !plugins.isArray()) {
                return false;
            }
            for (JsonNode plugin : plugins) {
                if (isOurs(plugin)) {
                    return true;
                }
            }
            return false;
        } catch (JsonProcessingException e) {
            return false;
        }
    }

    private static ObjectNode convert(String fileName, ObjectNode single) {
        if (!single.path("type").isTextual()) {
            throw new InvalidConfigException(fileName + " has neither \"plugins\" nor a plugin \"type\"");
        }
        ObjectNode list = JSON.createObjectNode();
        copyIfPresent(single, list, "cniVersion");
        copyIfPresent(single, list, "name");
        list.put(CONVERTED_FROM, fileName);
        ObjectNode plugin = JSON.createObjectNode();
        Iterator<Map.Entry<String, JsonNode>> fields = single.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (!field.getKey().equals("cniVersion") && !field.getKey().equals("name")) {
                plugin.set(field.getKey(), field.getValue());
            }
        }
        list.putArray("plugins").add(plugin);
        return list;
    }

    private static void copyIfPresent(ObjectNode from, ObjectNode to, String field) {
        if (from.has(field)) {
            to.set(field, from.get(field));
        }
    }

    private static boolean isOurs(JsonNode plugin) {
        return PLUGIN_TYPE.equals(plugin.path("type").asText());
    }

    private static ArrayNode plugins(String fileName, ObjectNode list) {
        if (!(list.get("plugins") instanceof ArrayNode plugins)) {
            throw new InvalidConfigException(fileName + ": \"plugins\" is not an array");
        }
        for (JsonNode plugin : plugins) {
            if (!plugin.isObject() || !plugin.path("type").isTextual()) {
                throw new InvalidConfigException(fileName + ": every entry of \"plugins\" needs a \"type\"");
            }
        }
        return plugins;
    }

    private static ObjectNode parse(String fileName, String text) {
        try {
            JsonNode node = JSON.readTree(text);
            if (node instanceof ObjectNode object) {
                return object;
            }
            throw new InvalidConfigException(fileName + " is not a JSON object");
        } catch (JsonProcessingException e) {
            throw new InvalidConfigException(fileName + " is not valid JSON: " + e.getOriginalMessage() + " (line "
                    + e.getLocation().getLineNr() + ")");
        }
    }

    private static String write(JsonNode node) {
        try {
            return JSON.writeValueAsString(node) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }
}
