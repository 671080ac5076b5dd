package io.pulse.process;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the five PostgreSQL tables must hold for a set of on-time events, computed the plain way
 * (group, sort, loop) straight from DESIGN.md, without any pipeline code. Rows are rendered as
 * strings so that a mismatch prints readably.
 */
public final class ReferenceModel {
    public static final long MINUTE = 60_000;
    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(ZoneOffset.UTC);

    /** A test event: only what the outputs depend on. */
    public record Event(String id, String user, String type, long time, String device, String page) {}

    private ReferenceModel() {}

    /** Every PostgreSQL table of the job, as rows, for on-time events and the default timeout (15 min) and gap (5 s). */
    public static java.util.Map<String, Set<String>> postgresTables(List<Event> onTime) {
        return java.util.Map.of(
                "session_kpis", sessionKpis(onTime),
                "page_view_counts", pageViewCounts(onTime),
                "active_users", activeUsers(onTime),
                "user_sessions", userSessions(onTime, 15 * MINUTE),
                "aggregated_counts", aggregatedCounts(onTime, 5_000));
    }

    public static Set<String> sessionKpis(List<Event> events) {
        Map<String, List<Event>> groups = new TreeMap<>();
        for (Event e : events) {
            String device = e.device() == null ? "unknown" : e.device();
            long start = e.time() - Math.floorMod(e.time(), 5 * MINUTE);
            groups.computeIfAbsent(e.user() + "|" + device + "|" + start, k -> new ArrayList<>()).add(e);
        }
        Set<String> rows = new TreeSet<>();
        groups.forEach((key, group) -> {
            String[] parts = key.split("\\|");
            long start = Long.parseLong(parts[2]);
            long first = group.stream().mapToLong(Event::time).min().orElseThrow();
            long last = group.stream().mapToLong(Event::time).max().orElseThrow();
            boolean login = group.stream().anyMatch(e -> e.type().equals("login"));
            boolean purchase = group.stream().anyMatch(e -> e.type().equals("purchase"));
            String sessionId = parts[0] + "_" + ID_TIME.format(Instant.ofEpochMilli(start));
            rows.add(String.join("|", sessionId, parts[1], parts[0], str(start), str(start + 5 * MINUTE), str(first), str(last),
                    Long.toString((last - first) / 1000), Boolean.toString(login), Boolean.toString(purchase),
                    Integer.toString(group.size())));
        });
        return rows;
    }

    public static Set<String> pageViewCounts(List<Event> events) {
        Map<String, Integer> counts = new TreeMap<>();
        for (Event e : events) {
            if (e.type().equals("page_view") && e.page() != null) {
                long start = e.time() - Math.floorMod(e.time(), MINUTE);
                counts.merge(str(start) + "|" + e.page() + "|" + str(start + MINUTE), 1, Integer::sum);
            }
        }
        Set<String> rows = new TreeSet<>();
        counts.forEach((k, v) -> rows.add(k + "|" + v));
        return rows;
    }

    public static Set<String> activeUsers(List<Event> events) {
        Map<Long, Set<String>> users = new TreeMap<>();
        for (Event e : events) {
            for (long s = e.time() - Math.floorMod(e.time(), MINUTE); s > e.time() - 5 * MINUTE; s -= MINUTE) {
                users.computeIfAbsent(s, k -> new HashSet<>()).add(e.user());
            }
        }
        Set<String> rows = new TreeSet<>();
        users.forEach((s, u) -> rows.add(str(s) + "|" + str(s + 5 * MINUTE) + "|" + u.size()));
        return rows;
    }

    public static Set<String> userSessions(List<Event> events, long timeout) {
        Map<String, List<Event>> byUser = byUser(events);
        Set<String> rows = new TreeSet<>();
        byUser.forEach((user, list) -> {
            list.sort(Comparator.comparingLong(Event::time).thenComparingInt(e -> rank(e.type())).thenComparing(Event::id));
            Long start = null;
            long last = 0;
            int count = 0;
            for (Event e : list) {
                if (start != null && e.time() - last >= timeout) {
                    rows.add(session(user, start, last, count, "timeout"));
                    start = null;
                }
                if (e.type().equals("session_start") && start != null) {
                    rows.add(session(user, start, last, count, "superseded"));
                    start = null;
                }
                if (start == null) {
                    start = e.time();
                    count = 0;
                }
                last = e.time();
                count++;
                if (e.type().equals("session_end") || e.type().equals("logout")) {
                    rows.add(session(user, start, e.time(), count, "ended"));
                    start = null;
                }
            }
            if (start != null) {
                rows.add(session(user, start, last, count, "timeout")); // the watermark passes everything at the end
            }
        });
        return rows;
    }

    public static Set<String> aggregatedCounts(List<Event> events, long gap) {
        Set<String> rows = new TreeSet<>();
        byUser(events).forEach((user, list) -> {
            list.sort(Comparator.comparingLong(Event::time));
            long start = list.get(0).time();
            long last = start;
            int count = 0;
            for (Event e : list) {
                if (e.time() - last >= gap) {
                    rows.add(user + ":" + start + "|" + count + "|" + str(last + gap));
                    start = e.time();
                    count = 0;
                }
                last = e.time();
                count++;
            }
            rows.add(user + ":" + start + "|" + count + "|" + str(last + gap));
        });
        return rows;
    }

    /** The operators a late event is reported by: every one whose input it belongs to. */
    public static List<String> operatorsOf(Event late) {
        List<String> ops = new ArrayList<>(List.of("session_kpis", "active_users", "user_sessions", "aggregated_counts"));
        if (late.type().equals("page_view") && late.page() != null) {
            ops.add("page_view_counts");
        }
        return ops;
    }

    private static int rank(String type) {
        return switch (type) {
            case "session_start" -> 0;
            case "logout" -> 2;
            case "session_end" -> 3;
            default -> 1;
        };
    }

    private static String session(String user, long start, long end, int count, String reason) {
        return String.join("|", user, str(start), str(end), Long.toString((end - start) / 1000), Integer.toString(count), reason);
    }

    private static Map<String, List<Event>> byUser(List<Event> events) {
        Map<String, List<Event>> out = new TreeMap<>();
        events.forEach(e -> out.computeIfAbsent(e.user(), k -> new ArrayList<>()).add(e));
        return out;
    }

    public static String str(long millis) {
        return Instant.ofEpochMilli(millis).toString();
    }

    // ------------------------------------------------------------------ engagement side

    /** A change of one engagement_events row: its new value, or a delete. */
    public record EngagementChange(String id, String content, String user, String type, long time, boolean deleted) {}

    public static final Map<String, Double> WEIGHTS = Map.of("view", 1.0, "like", 3.0, "comment", 4.0, "share", 5.0, "complete", 2.0);

    /** The last value of every event that ever had one (what ClickHouse and the HTTP system keep by key). */
    public static Map<String, EngagementChange> lastValues(List<EngagementChange> changes) {
        Map<String, EngagementChange> last = new TreeMap<>();
        changes.stream().filter(c -> !c.deleted()).forEach(c -> last.put(c.id(), c));
        return last;
    }

    /** The current rows: last values minus the deleted events. */
    public static Map<String, EngagementChange> currentRows(List<EngagementChange> changes) {
        Map<String, EngagementChange> current = new TreeMap<>();
        for (EngagementChange c : changes) {
            if (c.deleted()) {
                current.remove(c.id());
            } else {
                current.put(c.id(), c);
            }
        }
        return current;
    }

    /** ClickHouse engagement_enriched after collapsing: event_id|epoch s|user|type|content|title|type|score. */
    public static Set<String> clickhouseRows(List<EngagementChange> changes, Map<String, String[]> content) {
        Set<String> rows = new TreeSet<>();
        for (EngagementChange e : lastValues(changes).values()) {
            String[] c = content.get(e.content());
            rows.add(String.join("|", e.id(), Long.toString(e.time() / 1000), e.user(), e.type(), e.content(),
                    c == null ? "null" : c[0], c == null ? "null" : c[1], String.valueOf(WEIGHTS.get(e.type()))));
        }
        return rows;
    }

    /** Leaderboard HOP windows (10 min, slide 1 min) of the current rows: window end -> content -> score sum. */
    public static Map<Long, Map<String, Double>> leaderboardWindows(List<EngagementChange> changes) {
        Map<Long, Map<String, Double>> windows = new TreeMap<>();
        for (EngagementChange e : currentRows(changes).values()) {
            for (long end = e.time() - Math.floorMod(e.time(), MINUTE) + MINUTE; end <= e.time() + 10 * MINUTE; end += MINUTE) {
                windows.computeIfAbsent(end, k -> new TreeMap<>()).merge(e.content(), WEIGHTS.get(e.type()), Double::sum);
            }
        }
        return windows;
    }

    /** A raw sink row (Cassandra, lake): user|UTC date|time|type|id|device|page. */
    public static String rawRow(Event a) {
        return String.join("|", a.user(), Instant.ofEpochMilli(a.time()).atZone(ZoneOffset.UTC).toLocalDate().toString(),
                str(a.time()), a.type(), a.id(), String.valueOf(a.device()), String.valueOf(a.page()));
    }
}
