package io.ambientjava.waypoint.testsupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** openssl and curl, the real peers of the TLS tests, run in a working directory with a bound on their time. */
public final class LocalCommands {

    private LocalCommands() {}

    /** Runs {@code command} in {@code dir}; its output and error output together. */
    public static String run(Path dir, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("did not finish in 20 s: " + String.join(" ", command));
            }
            return out;
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * curl to {@code <scheme>://<hostname>:<port><path>} with {@code hostname} resolved to 127.0.0.1 (so the SNI and,
     * for https, the certificate check use it), at most 10 s; for https only {@code caCert} is trusted.
     * {@code options} come before the URL ({@code --http1.1}, {@code -w ...}, {@code --cert ...}).
     */
    public static String curl(
            Path dir, String scheme, Path caCert, String hostname, int port, String path, String... options)
            throws IOException, InterruptedException {
        String authority = hostname + ":" + port;
        java.util.List<String> command = new java.util.ArrayList<>(
                java.util.List.of("curl", "-sS", "--max-time", "10", "--resolve", authority + ":127.0.0.1"));
        if (caCert != null) {
            command.addAll(java.util.List.of("--cacert", caCert.toString()));
        }
        command.addAll(java.util.List.of(options));
        command.add(scheme + "://" + authority + path);
        return run(dir, command.toArray(String[]::new));
    }

    /** {@link #curl} over https, trusting {@code <caName>.crt} of {@code dir}. */
    public static String curlHttps(Path dir, String caName, String hostname, int port, String path, String... options)
            throws IOException, InterruptedException {
        return curl(dir, "https", dir.resolve(caName + ".crt"), hostname, port, path, options);
    }

    /** {@link #curl} over plain http. */
    public static String curlHttp(Path dir, String hostname, int port, String path, String... options)
            throws IOException, InterruptedException {
        return curl(dir, "http", null, hostname, port, path, options);
    }

    /** curl to {@code http://127.0.0.1:<port><path>} (a test's local port), at most 10 s; {@code options} go first. */
    public static String curlLoopback(int port, String path, String... options)
            throws IOException, InterruptedException {
        java.util.List<String> command =
                new java.util.ArrayList<>(java.util.List.of("curl", "-sS", "--max-time", "10"));
        command.addAll(java.util.List.of(options));
        command.add("http://127.0.0.1:" + port + path);
        return run(Path.of("."), command.toArray(String[]::new));
    }

    /**
     * A new self-signed certificate for {@code hostname} as {@code <name>.crt} and {@code <name>.key} in {@code dir};
     * {@code keyKind} picks the key's PEM form: {@code pkcs8-rsa}, {@code pkcs1-rsa} or {@code sec1-ec}.
     */
    public static void selfSigned(Path dir, String name, String hostname, String keyKind)
            throws IOException, InterruptedException {
        String key = name + ".key";
        switch (keyKind) {
            case "pkcs8-rsa" -> run(dir, "openssl", "genpkey", "-algorithm", "RSA", "-out", key);
            case "pkcs1-rsa" -> run(dir, "openssl", "genrsa", "-traditional", "-out", key, "2048");
            case "sec1-ec" -> run(dir, "openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key);
            default -> throw new IllegalArgumentException(keyKind);
        }
        run(
                dir,
                "openssl",
                "req",
                "-x509",
                "-new",
                "-key",
                key,
                "-out",
                name + ".crt",
                "-days",
                "1",
                "-subj",
                "/CN=" + hostname,
                "-addext",
                "subjectAltName=DNS:" + hostname);
    }

    /**
     * A client certificate for {@code commonName} issued by the self-signed {@code ca} ({@code <ca>.crt},
     * {@code <ca>.key} from {@link #selfSigned}) as {@code <name>.crt} and {@code <name>.key}.
     */
    public static void issuedBy(Path dir, String ca, String name, String commonName)
            throws IOException, InterruptedException {
        issuedBy(dir, ca, name, commonName, null);
    }

    /** As {@link #issuedBy(Path, String, String, String)}, with openssl's {@code subjectAltName} value (or null). */
    public static void issuedBy(Path dir, String ca, String name, String commonName, String subjectAltName)
            throws IOException, InterruptedException {
        run(dir, "openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", name + ".key");
        java.util.List<String> request = new java.util.ArrayList<>(java.util.List.of(
                "openssl", "req", "-new", "-key", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + commonName));
        if (subjectAltName != null) {
            request.addAll(java.util.List.of("-addext", "subjectAltName=" + subjectAltName));
        }
        run(dir, request.toArray(String[]::new));
        run(
                dir,
                "openssl",
                "x509",
                "-req",
                "-in",
                name + ".csr",
                "-copy_extensions",
                "copy",
                "-CA",
                ca + ".crt",
                "-CAkey",
                ca + ".key",
                "-CAcreateserial",
                "-out",
                name + ".crt",
                "-days",
                "1");
    }

    /**
     * A PEM certificate revocation list {@code <name>.crl} signed by {@code ca} ({@code <ca>.crt}, {@code <ca>.key}),
     * revoking the certificates {@code revoked} ({@code <file>.crt} names; none: an empty list), made by
     * {@code openssl ca} with a throwaway CA database.
     */
    public static void crl(Path dir, String ca, String name, String... revoked)
            throws IOException, InterruptedException {
        Path db = Files.createTempDirectory(dir, "ca-db-");
        Files.writeString(db.resolve("index.txt"), "");
        Files.writeString(db.resolve("crlnumber"), "01\n");
        Files.writeString(db.resolve("ca.cnf"), """
                [ ca ]
                default_ca = default
                [ default ]
                database = %s
                crlnumber = %s
                default_md = sha256
                default_crl_days = 1
                """.formatted(db.resolve("index.txt"), db.resolve("crlnumber")));
        String config = db.resolve("ca.cnf").toString();
        for (String certificate : revoked) {
            run(
                    dir,
                    "openssl",
                    "ca",
                    "-config",
                    config,
                    "-keyfile",
                    ca + ".key",
                    "-cert",
                    ca + ".crt",
                    "-revoke",
                    certificate + ".crt");
        }
        run(
                dir,
                "openssl",
                "ca",
                "-config",
                config,
                "-keyfile",
                ca + ".key",
                "-cert",
                ca + ".crt",
                "-gencrl",
                "-out",
                name + ".crl");
    }
}
