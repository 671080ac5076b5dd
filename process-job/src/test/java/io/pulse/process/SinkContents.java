package io.pulse.process;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.io.LocalInputFile;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.resps.Tuple;

/**
 * What each store holds, read back in {@link ReferenceModel}'s rendering so a test compares it with
 * the expectation directly (shared with the end-to-end suite through the test jar).
 */
public final class SinkContents {
    private SinkContents() {}

    /** A PostgreSQL output table's rows. */
    public static Set<String> postgresRows(Connection c, String table) {
        String sql = switch (table) {
            case "session_kpis" -> "SELECT session_id, device, user_id, session_start, session_end, first_event_time, "
                    + "last_event_time, session_duration_s, did_login, did_purchase, total_actions FROM session_kpis";
            case "page_view_counts" -> "SELECT window_start, page, window_end, views FROM page_view_counts";
            case "active_users" -> "SELECT window_start, window_end, active_users FROM active_users";
            case "user_sessions" -> "SELECT user_id, session_start, session_end, duration_s, event_count, end_reason FROM user_sessions";
            case "aggregated_counts" -> "SELECT group_key, count_value, window_end_time FROM aggregated_counts";
            default -> throw new IllegalArgumentException(table);
        };
        Set<String> out = new TreeSet<>();
        try (ResultSet rs = c.createStatement().executeQuery(sql)) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> cells = new ArrayList<>();
                for (int i = 1; i <= columns; i++) {
                    Object v = rs.getObject(i);
                    cells.add(v instanceof java.sql.Timestamp || v instanceof java.time.OffsetDateTime
                            ? ReferenceModel.str(rs.getTimestamp(i).getTime()) : String.valueOf(v));
                }
                out.add(String.join("|", cells));
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot read " + table, e);
        }
        return out;
    }

    /** Cassandra user_events rows of these users on these days. */
    public static Set<String> cassandraRows(CqlSession cassandra, Collection<String> users, Collection<LocalDate> days) {
        Set<String> rows = new TreeSet<>();
        for (String user : users) {
            for (LocalDate day : days) {
                for (Row r : cassandra.execute("SELECT user_id, bucket_date, event_time, event_type, event_id, device, page "
                        + "FROM pulse.user_events WHERE user_id = ? AND bucket_date = ?", user, day)) {
                    rows.add(String.join("|", r.getString(0), r.getLocalDate(1).toString(), r.getInstant(2).toString(),
                            r.getString(3), r.getString(4), String.valueOf(r.getString(5)), String.valueOf(r.getString(6))));
                }
            }
        }
        return rows;
    }

    /** Every row of every committed Parquet file of the lake (a list: a duplicate shows). */
    public static List<String> lakeRows(Path lake) {
        List<String> rows = new ArrayList<>();
        if (!Files.isDirectory(lake)) {
            return rows;
        }
        try (Stream<Path> files = Files.walk(lake)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".parquet")
                    && !f.getFileName().toString().startsWith(".")).toList()) {
                try (ParquetReader<GenericRecord> reader = AvroParquetReader.<GenericRecord>builder(new LocalInputFile(file))
                        .withDataModel(GenericData.get()).build()) {
                    for (GenericRecord r = reader.read(); r != null; r = reader.read()) {
                        long time = (Long) r.get("event_time");
                        String date = file.getParent().getFileName().toString().substring("event_date=".length());
                        if (!date.equals(Instant.ofEpochMilli(time).atZone(ZoneOffset.UTC).toLocalDate().toString())) {
                            throw new AssertionError(r + " is in the directory of " + date);
                        }
                        rows.add(String.join("|", r.get("user_id").toString(), date, ReferenceModel.str(time),
                                r.get("event_type").toString(), r.get("event_id").toString(), String.valueOf(r.get("device")),
                                String.valueOf(r.get("page"))));
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the lake at " + lake, e);
        }
        return rows;
    }

    public static Set<String> lakeDirectories(Path lake) throws IOException {
        try (Stream<Path> dirs = Files.list(lake)) {
            return new TreeSet<>(dirs.map(d -> d.getFileName().toString()).toList());
        }
    }

    /** engagement_enriched after collapsing (FINAL), in {@link ReferenceModel#clickhouseRows}'s rendering. */
    public static Set<String> clickhouseRows(String url, String where) {
        return clickhouseRows(io.pulse.process.sink.clickhouse.ClickHouseEndpoint.plain(url), where);
    }

    /** As {@link #clickhouseRows(String, String)}, with the endpoint's login and TLS. */
    public static Set<String> clickhouseRows(io.pulse.process.sink.clickhouse.ClickHouseEndpoint endpoint, String where) {
        Set<String> rows = new TreeSet<>();
        String tsv = clickhouse(endpoint, "SELECT event_id, toUnixTimestamp(event_time), user_id, event_type, content_id, title, "
                + "content_type, score FROM pulse.engagement_enriched FINAL WHERE " + where + " FORMAT TabSeparated");
        for (String line : tsv.split("\n")) {
            if (!line.isBlank()) {
                String[] c = line.split("\t", -1);
                for (int i = 0; i < c.length; i++) {
                    c[i] = c[i].equals("\\N") ? "null" : c[i];
                }
                c[c.length - 1] = String.valueOf(Double.parseDouble(c[c.length - 1]));
                rows.add(String.join("|", c));
            }
        }
        return rows;
    }

    public static String clickhouse(String url, String sql) {
        return clickhouse(io.pulse.process.sink.clickhouse.ClickHouseEndpoint.plain(url), sql);
    }

    public static String clickhouse(io.pulse.process.sink.clickhouse.ClickHouseEndpoint endpoint, String sql) {
        try {
            HttpResponse<String> response = endpoint.client().send(endpoint.request(URI.create(endpoint.url()
                    + "/?query=" + URLEncoder.encode(sql, StandardCharsets.UTF_8))).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("ClickHouse: " + response.body());
            }
            return response.body();
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The event_id of every event a mock-external holds (GET /events). */
    public static Set<String> externalKeys(String baseUrl) {
        return externalKeys(baseUrl, "");
    }

    /** The event_id of every event a mock-external holds whose user_id starts with this prefix. */
    public static Set<String> externalKeys(String baseUrl, String userPrefix) {
        try {
            String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(baseUrl + "/events")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Set<String> keys = new TreeSet<>();
            for (com.fasterxml.jackson.databind.JsonNode e : new com.fasterxml.jackson.databind.ObjectMapper().readTree(body)) {
                if (e.path("user_id").asText("").startsWith(userPrefix)) {
                    keys.add(e.get("event_id").asText());
                }
            }
            return keys;
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The per-window sorted sets {@code <prefix>leaderboard:<end>} that exist among these window ends. */
    public static Map<Long, Map<String, Double>> redisWindows(Jedis redis, String prefix, Set<Long> ends) {
        Map<Long, Map<String, Double>> windows = new TreeMap<>();
        for (long end : ends) {
            Map<String, Double> w = leaderboard(redis, prefix + "leaderboard:" + Instant.ofEpochMilli(end));
            if (!w.isEmpty()) {
                windows.put(end, w);
            }
        }
        return windows;
    }

    public static Map<String, Double> leaderboard(Jedis redis, String key) {
        Map<String, Double> scores = new TreeMap<>();
        for (Tuple t : redis.zrangeWithScores(key, 0, -1)) {
            scores.put(t.getElement(), t.getScore());
        }
        return scores;
    }

    public static String windowDifferences(Map<Long, Map<String, Double>> actual, Map<Long, Map<String, Double>> expected) {
        StringBuilder out = new StringBuilder("windows " + actual.size() + " of " + expected.size());
        expected.forEach((end, scores) -> {
            if (!scores.equals(actual.get(end)) && out.length() < 600) {
                out.append("; window ending ").append(Instant.ofEpochMilli(end)).append(": expected ").append(scores)
                        .append(", got ").append(actual.get(end));
            }
        });
        return out.toString();
    }

    /** Set differences, shortened, for a failure message. */
    public static <T> String difference(Collection<T> expected, Collection<T> actual) {
        Set<T> missing = new TreeSet<>(expected);
        missing.removeAll(actual);
        Set<T> extra = new TreeSet<>(actual);
        extra.removeAll(expected);
        return "missing " + missing.stream().limit(3).toList() + " (" + missing.size() + "), unexpected "
                + extra.stream().limit(3).toList() + " (" + extra.size() + "), " + actual.size() + " of " + expected.size();
    }

    /** Polls a condition until it holds or the wait is over. */
    public static void awaitTrue(String what, Duration wait, BooleanSupplier condition, Supplier<String> state) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waiting for " + what + " within " + wait + " failed; " + state.get());
            }
            try {
                Thread.sleep(250); // between polls; the condition decides when the wait ends
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
