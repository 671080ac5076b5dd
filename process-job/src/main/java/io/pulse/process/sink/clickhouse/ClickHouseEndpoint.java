package io.pulse.process.sink.clickhouse;

import io.pulse.model.settings.Login;
import io.pulse.model.settings.Tls;
import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Where ClickHouse's HTTP interface is and how to log in: {@code clickhouse.url} (https:// for
 * TLS), {@code clickhouse.user} and {@code clickhouse.password}, {@code clickhouse.tls.ca}.
 */
public record ClickHouseEndpoint(String url, Login login, Tls tls) implements Serializable {
    /** ClickHouse's codes for an unknown user (192), a wrong password (193), a password required (194), authentication failed (516). */
    private static final java.util.regex.Pattern LOGIN_REFUSED = java.util.regex.Pattern.compile("Code: (192|193|194|516)\\b");

    public static ClickHouseEndpoint plain(String url) {
        return new ClickHouseEndpoint(url, Login.NONE, new Tls("clickhouse", url.startsWith("https://"), ""));
    }

    public HttpClient client() {
        HttpClient.Builder http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5));
        if (tls.enabled()) {
            http.sslContext(tls.sslContext());
        }
        return http.build();
    }

    /** A request to {@code uri} carrying the login (ClickHouse's X-ClickHouse-User/Key headers). */
    public HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri);
        if (login.present()) {
            request.header("X-ClickHouse-User", login.user()).header("X-ClickHouse-Key", login.password());
        }
        return request;
    }

    /** Runs SELECT 1 once; fails with the setting to fix. */
    public void check() {
        HttpResponse<String> response;
        try {
            response = client().send(request(URI.create(url + "/?query=SELECT%201")).timeout(Duration.ofSeconds(30)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            String tlsHint = e instanceof javax.net.ssl.SSLException || String.valueOf(e.getMessage()).contains("SSL")
                    ? "TLS failed: check clickhouse.tls.ca (the PEM file of the CA that signed the server's certificate) and that the"
                    + " URL's host matches the certificate"
                    : "start the local stack with ./pulse up, or check clickhouse.url (https:// for a TLS port)";
            throw new IllegalArgumentException(this + " is not reachable (" + e + "): " + tlsHint, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking ClickHouse", e);
        }
        String body = response.body().strip();
        if (response.statusCode() == 401 || response.statusCode() == 403 || LOGIN_REFUSED.matcher(body).find()) {
            throw new IllegalArgumentException(this + " refused the login (HTTP " + response.statusCode() + ": " + firstLine(body)
                    + "): check clickhouse.user and clickhouse.password");
        }
        if (response.statusCode() != 200) {
            throw new IllegalArgumentException(this + " answered HTTP " + response.statusCode() + ": " + firstLine(body)
                    + "; check clickhouse.url");
        }
    }

    private static String firstLine(String body) {
        String line = body.lines().findFirst().orElse("");
        return line.length() <= 300 ? line : line.substring(0, 300) + "...";
    }

    @Override
    public String toString() {
        return "ClickHouse at " + io.pulse.model.settings.SettingsLoader.maskUrlPassword(url) + (login.present() ? " as " + login.user() : "");
    }
}
