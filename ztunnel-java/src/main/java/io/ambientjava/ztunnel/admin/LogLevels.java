package io.ambientjava.ztunnel.admin;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.LoggerFactory;

/**
 * Reads and changes logback levels at runtime, for {@code /logging}. Accepts upstream ztunnel's forms
 * ({@code level=debug}, {@code level=access:debug,io.ambientjava.ztunnel.proxy:trace}, {@code reset}) and Envoy's
 * ({@code <logger>=<level>}).
 */
public final class LogLevels {

    /** Levels as ztunnel names them; {@code off} silences a logger. */
    public static final List<String> LEVELS = List.of("error", "warn", "info", "debug", "trace", "off");

    static final String HELP = """
            usage: GET  /logging                                    (list the levels set)
                   POST /logging?level=<level>                      (set the root level)
                   POST /logging?level=<logger>:<level>,<logger>:<level>
                   POST /logging?<logger>=<level>                   (set one logger, e.g. access=debug)
                   POST /logging?reset                              (back to the levels at startup)
            levels: error|warn|info|debug|trace|off
            """;

    private final LoggerContext context;
    private final Map<String, Level> initial;

    public LogLevels() {
        this(currentContext());
    }

    LogLevels(LoggerContext context) {
        this.context = Objects.requireNonNull(context, "context");
        this.initial = explicitLevels();
    }

    private static LoggerContext currentContext() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logback) {
            return logback;
        }
        throw new IllegalStateException("logging is not backed by logback; /logging cannot change levels");
    }

    /** Every logger with a level of its own, root first, as {@code name: level} lines. */
    public String describe() {
        StringBuilder out = new StringBuilder();
        explicitLevels()
                .forEach((name, level) -> out.append(name)
                        .append(": ")
                        .append(level.toString().toLowerCase(Locale.ROOT))
                        .append('\n'));
        return out.toString();
    }

    /** The levels set now, by logger name, root first. */
    public Map<String, Level> explicitLevels() {
        Map<String, Level> levels = new LinkedHashMap<>();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        levels.put("root", root.getLevel());
        for (Logger logger : context.getLoggerList()) {
            if (logger != root && logger.getLevel() != null) {
                levels.put(logger.getName(), logger.getLevel());
            }
        }
        return levels;
    }

    /**
     * Applies a {@code /logging} query.
     *
     * @throws IllegalArgumentException naming the bad level or parameter; nothing is changed then
     */
    public void apply(Map<String, List<String>> query) {
        Map<String, Level> changes = new LinkedHashMap<>();
        boolean reset = false;
        for (Map.Entry<String, List<String>> parameter : query.entrySet()) {
            String key = parameter.getKey();
            for (String value : parameter.getValue()) {
                switch (key) {
                    case "reset" -> reset = true;
                    case "level" -> parseLevelList(value, changes);
                    default -> changes.put(key, level(value, key));
                }
            }
        }
        if (reset) {
            resetLevels();
        }
        changes.forEach((name, level) -> context.getLogger(loggerName(name)).setLevel(level));
    }

    private void resetLevels() {
        for (Logger logger : context.getLoggerList()) {
            String name = logger.getName().equals(Logger.ROOT_LOGGER_NAME) ? "root" : logger.getName();
            logger.setLevel(initial.get(name));
        }
    }

    private static void parseLevelList(String value, Map<String, Level> changes) {
        if (value.isEmpty()) {
            throw new IllegalArgumentException("level= needs a value\n" + HELP);
        }
        for (String item : value.split(",")) {
            int colon = item.lastIndexOf(':');
            if (colon < 0) {
                changes.put("root", level(item, "root"));
            } else {
                String name = item.substring(0, colon).trim();
                if (name.isEmpty()) {
                    throw new IllegalArgumentException("missing logger name in '" + item + "'\n" + HELP);
                }
                changes.put(name, level(item.substring(colon + 1), name));
            }
        }
    }

    private static Level level(String text, String logger) {
        String lower = text.trim().toLowerCase(Locale.ROOT);
        if (!LEVELS.contains(lower)) {
            throw new IllegalArgumentException(
                    "invalid level '" + text + "' for logger " + logger + "; use one of " + LEVELS + "\n" + HELP);
        }
        return Level.toLevel(lower);
    }

    private static String loggerName(String name) {
        return Set.of("root", "ROOT", "").contains(name) ? Logger.ROOT_LOGGER_NAME : name;
    }
}
