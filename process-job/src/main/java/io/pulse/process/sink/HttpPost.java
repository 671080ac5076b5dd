package io.pulse.process.sink;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * One POST of a batch by an HTTP sink writer (ClickHouse, the external HTTP system): retried with
 * {@link Backoff} after an I/O error, a 5xx or a 429, up to {@code maxAttempts}; another 4xx means the
 * receiver refuses the batch itself, where retrying cannot help.
 */
final class HttpPost {
    /** The request timeout of a sink without a setting of its own. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private HttpPost() {}

    /** Why a batch was not taken: after how many attempts, and the last error. */
    record Failure(int attempts, String lastError) {
        @Override
        public String toString() {
            return "after " + attempts + (attempts == 1 ? " attempt" : " attempts") + ": " + lastError;
        }
    }

    /** Null when the receiver took the batch (2xx), else why not. */
    static Failure send(HttpClient http, HttpRequest request, int maxAttempts, Backoff backoff) throws InterruptedException {
        String lastError = null;
        int attempt = 1;
        for (; attempt <= maxAttempts; attempt++) {
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status >= 200 && status < 300) {
                    return null;
                }
                lastError = "HTTP " + status + ": " + response.body().strip();
                if (status < 500 && status != 429) {
                    return new Failure(attempt, lastError);
                }
            } catch (IOException e) {
                lastError = e.toString();
            }
            if (attempt < maxAttempts) {
                backoff.pause();
            }
        }
        return new Failure(maxAttempts, lastError);
    }
}
