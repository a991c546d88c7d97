package io.ambientjava.ztunnel.config;

/**
 * A local config that cannot be used. The message reads {@code <source>:<line>:<column>: <field path>: <problem>},
 * e.g. {@code /etc/ztunnel/local.yaml:12:7: workloads[1].workloadIps[0]: '198.18.0.300' is not an IP address}.
 * Line and column are 1-based; 0 when unknown.
 */
public final class LocalConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String source;
    private final int line;
    private final int column;
    private final String path;
    private final String problem;

    public LocalConfigException(String source, int line, int column, String path, String problem) {
        super(format(source, line, column, path, problem));
        this.source = source;
        this.line = line;
        this.column = column;
        this.path = path;
        this.problem = problem;
    }

    public LocalConfigException(String source, int line, int column, String path, String problem, Throwable cause) {
        this(source, line, column, path, problem);
        initCause(cause);
    }

    private static String format(String source, int line, int column, String path, String problem) {
        StringBuilder sb = new StringBuilder(source);
        if (line > 0) {
            sb.append(':').append(line);
            if (column > 0) {
                sb.append(':').append(column);
            }
        }
        sb.append(": ");
        if (!path.isEmpty()) {
            sb.append(path).append(": ");
        }
        return sb.append(problem).toString();
    }

    /** The file path, or {@code LOCAL_XDS} for inline config. */
    public String source() {
        return source;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }

    /** The field path, e.g. {@code workloads[1].workloadIps[0]}; empty for errors not tied to a field. */
    public String path() {
        return path;
    }

    public String problem() {
        return problem;
    }
}
