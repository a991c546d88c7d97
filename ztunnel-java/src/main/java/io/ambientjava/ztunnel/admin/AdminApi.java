package io.ambientjava.ztunnel.admin;

import java.util.Objects;

/**
 * The admin port's pages (15000, bound to localhost): {@code /config_dump}, {@code /certs}, {@code /logging},
 * {@code /quitquitquit}, {@code /healthz/ready}, and {@code /} listing them.
 */
public final class AdminApi {

    private AdminApi() {}

    /**
     * @param quit starts a graceful shutdown; called on its own thread after the {@code /quitquitquit} reply is
     *     sent
     */
    public static HttpRoutes routes(ConfigDump dump, LogLevels logLevels, ReadinessApi readiness, Runnable quit) {
        Objects.requireNonNull(dump, "dump");
        Objects.requireNonNull(logLevels, "logLevels");
        Objects.requireNonNull(quit, "quit");
        HttpRoutes routes = new HttpRoutes("admin");
        routes.get("/", request -> HttpReply.text(200, index(routes)));
        routes.get("/config_dump", request -> HttpReply.json(200, dump.render()));
        routes.get("/certs", request -> HttpReply.json(200, dump.renderCertificates()));
        routes.get("/logging", request -> {
            if (!request.query().isEmpty()) {
                return HttpReply.text(405, "changing log levels needs POST\n" + LogLevels.HELP)
                        .withHeader("Allow", "GET, POST");
            }
            return HttpReply.text(200, logLevels.describe());
        });
        routes.post("/logging", request -> {
            logLevels.apply(request.query());
            return HttpReply.text(200, logLevels.describe());
        });
        routes.post("/quitquitquit", request -> {
            Thread.ofPlatform().name("quitquitquit").start(() -> {
                try {
                    // let the reply reach the caller before the servers close
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                quit.run();
            });
            return HttpReply.text(200, "shutting down\n");
        });
        routes.get("/healthz/ready", readiness::ready);
        return routes;
    }

    private static String index(HttpRoutes routes) {
        StringBuilder out = new StringBuilder("ztunnel admin\n");
        for (String path : routes.paths()) {
            out.append("  ").append(path).append('\n');
        }
        return out.toString();
    }
}
