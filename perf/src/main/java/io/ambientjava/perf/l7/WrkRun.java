package io.ambientjava.perf.l7;

import io.ambientjava.testing.netns.Pod;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One closed-loop wrk run from inside the client pod: the most requests per second a path sustains. */
record WrkRun(double requestsPerSecond, long requests, long errors, String summary) {

    private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern TOTAL = Pattern.compile("(\\d+) requests in");
    private static final Pattern SOCKET_ERRORS =
            Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
    private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");

    /** Runs {@code wrk -t1 -c<connections> -d<seconds>s --timeout 5s <url>} inside {@code client}. */
    static WrkRun run(Pod client, String wrk, String url, int connections, Duration duration) {
        long seconds = Math.max(1, duration.toSeconds());
        NetnsCommand.Output result = NetnsCommand.run(
                client.netnsName(),
                Duration.ofSeconds(seconds + 30),
                wrk,
                "-t1",
                "-c" + connections,
                "-d" + seconds + "s",
                "--timeout",
                "5s",
                url);
        if (result.exitCode() != 0) {
            throw new IllegalStateException("wrk " + url + " failed (exit " + result.exitCode() + "): "
                    + result.output().strip());
        }
        return parse(result.output());
    }

    static WrkRun parse(String out) {
        Matcher rate = RATE.matcher(out);
        if (!rate.find()) {
            throw new IllegalStateException("wrk printed no Requests/sec:\n" + out);
        }
        Matcher total = TOTAL.matcher(out);
        long errors = 0;
        Matcher socket = SOCKET_ERRORS.matcher(out);
        if (socket.find()) {
            for (int i = 1; i <= 4; i++) {
                errors += Long.parseLong(socket.group(i));
            }
        }
        Matcher non2xx = NON_2XX.matcher(out);
        if (non2xx.find()) {
            errors += Long.parseLong(non2xx.group(1));
        }
        return new WrkRun(
                Double.parseDouble(rate.group(1)),
                total.find() ? Long.parseLong(total.group(1)) : 0,
                errors,
                out.strip());
    }
}
