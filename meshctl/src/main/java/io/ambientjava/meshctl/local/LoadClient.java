package io.ambientjava.meshctl.local;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * A bounded load of plain HTTP/1.1 GETs, run inside a client pod's netns so that every request goes through the
 * mesh as the pod's own traffic. Prints what came back as counted lines ({@code status 200 1984}, {@code answer
 * reviews v1 1502}, {@code timeouts 16}, {@code errors 0}, {@code slow 190} (answered after {@code --slow-ms}),
 * {@code requests 2000}), the last word being the count;
 * {@link #parse} reads them back. JDK only, like {@link DemoApp}.
 *
 * <p>Usage: {@code LoadClient --url URL [--requests N] [--concurrency C] [--timeout-ms T] [--slow-ms S]}.
 */
public final class LoadClient {
    static final int MAX_REQUESTS = 20_000;
    static final int MAX_CONCURRENCY = 2_000;

    /** The load to send. */
    record Settings(URI url, int requests, int concurrency, Duration timeout, Duration slow) {
        Settings {
            if (url == null || !"http".equals(url.getScheme())) {
                throw new IllegalArgumentException("--url must be an http:// URL, got " + url);
            }
            if (requests < 1 || requests > MAX_REQUESTS) {
                throw new IllegalArgumentException("--requests must be 1.." + MAX_REQUESTS + ", got " + requests);
            }
            if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
                throw new IllegalArgumentException(
                        "--concurrency must be 1.." + MAX_CONCURRENCY + ", got " + concurrency);
            }
            if (slow.isNegative()) {
                throw new IllegalArgumentException("--slow-ms must not be negative, got " + slow.toMillis());
            }
            if (timeout.isNegative() || timeout.isZero() || timeout.toSeconds() > 60) {
                throw new IllegalArgumentException("--timeout-ms must be 1..60000, got " + timeout.toMillis());
            }
        }

        static Settings parse(String[] args) {
            Map<String, String> options = new HashMap<>();
            for (int i = 0; i < args.length; i += 2) {
                if (!List.of("--url", "--requests", "--concurrency", "--timeout-ms", "--slow-ms")
                                .contains(args[i])
                        || i + 1 >= args.length) {
                    throw new IllegalArgumentException(
                            "usage: LoadClient --url URL [--requests N] [--concurrency C] [--timeout-ms T]"
                                    + " [--slow-ms S];"
                                    + " cannot read '" + args[i] + "'");
                }
                options.put(args[i], args[i + 1]);
            }
            return new Settings(
                    URI.create(options.getOrDefault("--url", "")),
                    number(options.getOrDefault("--requests", "1"), "--requests"),
                    number(options.getOrDefault("--concurrency", "1"), "--concurrency"),
                    Duration.ofMillis(number(options.getOrDefault("--timeout-ms", "5000"), "--timeout-ms")),
                    Duration.ofMillis(number(options.getOrDefault("--slow-ms", "0"), "--slow-ms")));
        }

        private static int number(String value, String option) {
            try {
                return Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " must be a number, got '" + value + "'");
            }
        }
    }

    private LoadClient() {}

    public static void main(String[] args) throws InterruptedException {
        Settings settings = Settings.parse(args);
        Map<String, LongAdder> counts = new ConcurrentHashMap<>();
        Semaphore permits = new Semaphore(settings.concurrency());
        long start = System.nanoTime();
        try (HttpClient client = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(settings.timeout())
                        .build();
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            HttpRequest request = HttpRequest.newBuilder(settings.url())
                    .timeout(settings.timeout())
                    .build();
            for (int i = 0; i < settings.requests(); i++) {
                permits.acquire();
                threads.execute(() -> {
                    try {
                        long sent = System.nanoTime();
                        count(counts, outcome(client, request));
                        if (!settings.slow().isZero()
                                && System.nanoTime() - sent >= settings.slow().toNanos()) {
                            count(counts, List.of("slow"));
                        }
                    } finally {
                        permits.release();
                    }
                });
            }
            threads.shutdown();
            threads.awaitTermination(settings.timeout().toMillis() * 2 + 60_000, TimeUnit.MILLISECONDS);
        }
        Map<String, Long> sorted = new TreeMap<>();
        counts.forEach((k, v) -> sorted.put(k, v.sum()));
        sorted.put("requests", (long) settings.requests());
        sorted.putIfAbsent("timeouts", 0L);
        sorted.putIfAbsent("errors", 0L);
        sorted.putIfAbsent("slow", 0L);
        sorted.put("elapsed-ms", (System.nanoTime() - start) / 1_000_000);
        sorted.forEach((k, v) -> System.out.println(k + " " + v));
    }

    private static List<String> outcome(HttpClient client, HttpRequest request) {
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            String body = response.body().strip();
            int cut = body.indexOf(" (");
            String answer = cut < 0 ? body : body.substring(0, cut);
            if (answer.length() > 60) {
                answer = answer.substring(0, 60);
            }
            return List.of("status " + response.statusCode(), "answer " + answer.replaceAll("\\s+", " "));
        } catch (HttpTimeoutException e) {
            return List.of("timeouts");
        } catch (IOException e) {
            return List.of("errors", "error " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of("errors");
        }
    }

    private static void count(Map<String, LongAdder> counts, List<String> keys) {
        for (String key : keys) {
            counts.computeIfAbsent(key, k -> new LongAdder()).increment();
        }
    }

    /** Reads the printed lines back: key (all but the last word) to count. */
    public static Map<String, Long> parse(String output) {
        Map<String, Long> counts = new TreeMap<>();
        output.lines().map(String::strip).filter(l -> l.contains(" ")).forEach(line -> {
            int space = line.lastIndexOf(' ');
            try {
                counts.put(line.substring(0, space), Long.parseLong(line.substring(space + 1)));
            } catch (NumberFormatException notACount) {
                // a stray line (JVM warning); not ours
            }
        });
        return counts;
    }
}
