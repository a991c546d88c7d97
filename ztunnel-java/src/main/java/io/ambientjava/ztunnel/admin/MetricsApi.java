package io.ambientjava.ztunnel.admin;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The metrics port (15020): {@code /metrics} and {@code /stats/prometheus} in the Prometheus text format, or
 * OpenMetrics when the scraper asks for it in {@code Accept}, as upstream ztunnel decides.
 */
public final class MetricsApi {

    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPENMETRICS_TEXT = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private final PrometheusMeterRegistry registry;
    private final Runnable beforeScrape;

    /** @param beforeScrape refreshes gauges that need it (e.g. per-certificate rows); must not throw */
    public MetricsApi(PrometheusMeterRegistry registry, Runnable beforeScrape) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.beforeScrape = Objects.requireNonNull(beforeScrape, "beforeScrape");
    }

    public HttpRoutes routes() {
        return new HttpRoutes("metrics").get("/metrics", this::scrape).get("/stats/prometheus", this::scrape);
    }

    HttpReply scrape(HttpExchange request) {
        beforeScrape.run();
        String contentType = wantsOpenMetrics(request.header("accept").orElse("")) ? OPENMETRICS_TEXT : PROMETHEUS_TEXT;
        String body = registry.scrape(contentType);
        return new HttpReply(200, contentType, body.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    static boolean wantsOpenMetrics(String accept) {
        for (String entry : accept.split(",")) {
            String mediaType = entry.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
            if (mediaType.equals("application/openmetrics-text")) {
                return true;
            }
        }
        return false;
    }
}
