package io.pulse.process.sink;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.function.BiPredicate;
import java.util.function.Function;

/**
 * One POST of a batch by an HTTP sink writer (ClickHouse, the external HTTP system): retried with
 * {@link Backoff} after an I/O error, a 5xx or a 429/408, up to {@code maxAttempts}; a refusal of the
 * batch's data ({@code refused}: the caller's rule) or another 4xx ends at once.
 * {@link #sendIsolating} then splits the batch until the refused rows are alone and sends those to
 * dead_letter.
 */
public final class HttpPost {
    /** The request timeout of a sink without a setting of its own. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /**
     * What a row of the batch can cause: 400 (bad request), 413 (too large), 422 (unprocessable). Other
     * 4xx (401, 403, 404, 405, ...) say the sink is misconfigured: they fail the job, every row would be
     * refused alike.
     */
    public static final BiPredicate<Integer, String> CLIENT_ERROR = (status, body) -> status == 400 || status == 413 || status == 422;

    private HttpPost() {}

    /** Why a batch was not taken: after how many attempts, the last error, and whether the receiver refused it for good. */
    public record Failure(int attempts, String lastError, boolean refused) {
        @Override
        public String toString() {
            return "after " + attempts + (attempts == 1 ? " attempt" : " attempts") + ": " + lastError;
        }
    }

    /** Null when the receiver took the batch (2xx), else why not. */
    public static Failure send(HttpClient http, HttpRequest request, int maxAttempts, Backoff backoff, BiPredicate<Integer, String> refused)
            throws InterruptedException {
        String lastError = null;
        int attempt = 1;
        for (; attempt <= maxAttempts; attempt++) {
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status >= 200 && status < 300) {
                    return null;
                }
                String body = response.body().strip();
                lastError = "HTTP " + status + ": " + (body.length() <= 1000 ? body : body.substring(0, 1000) + "...");
                if (refused.test(status, body)) {
                    return new Failure(attempt, lastError, true);
                }
                if (status < 500 && status != 429 && status != 408) {
                    return new Failure(attempt, lastError, false);
                }
            } catch (IOException e) {
                lastError = e.toString();
            }
            if (attempt < maxAttempts) {
                backoff.pause();
            }
        }
        return new Failure(maxAttempts, lastError, false);
    }

    /**
     * Posts {@code rows} as one request ({@code request} builds it); rows of a batch refused for good are
     * isolated by halving and each sent to {@code deadLetters} as {@code output}. Null when every row was
     * taken or dead-lettered, else the failure that must fail the job (or every failure, without a channel).
     */
    public static Failure sendIsolating(HttpClient http, List<String> rows, Function<List<String>, HttpRequest> request, int maxAttempts,
                                 Duration firstBackoff, Duration maxBackoff, BiPredicate<Integer, String> refused,
                                 SinkDeadLetters.Channel deadLetters, String output) throws InterruptedException {
        Failure failure = send(http, request.apply(rows), maxAttempts, new Backoff(firstBackoff, maxBackoff), refused);
        if (failure == null) {
            return null;
        }
        if (!failure.refused() || deadLetters == null) {
            return failure;
        }
        if (rows.size() == 1) {
            deadLetters.send(output, null, failure.lastError(), rows.get(0));
            return null;
        }
        int half = rows.size() / 2;
        Failure first = sendIsolating(http, rows.subList(0, half), request, maxAttempts, firstBackoff, maxBackoff, refused, deadLetters,
                output);
        if (first != null) {
            return first;
        }
        return sendIsolating(http, rows.subList(half, rows.size()), request, maxAttempts, firstBackoff, maxBackoff, refused, deadLetters,
                output);
    }
}
