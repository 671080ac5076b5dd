package io.pulse.process;

import static io.pulse.process.ReferenceModel.MINUTE;

import io.pulse.model.codec.RejectReason;
import io.pulse.process.ReferenceModel.Event;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** The fixed activity data sets of the process job's and the end-to-end tests. */
public final class Datasets {
    private static final String[] TYPES = {"page_view", "page_view", "page_view", "click", "click", "search", "form_submit",
            "add_to_cart", "purchase", "login", "logout", "session_start", "session_end"};
    private static final String[] PAGES = {"/", "/home", "/products/42", "/cart"};
    private static final String[] DEVICES = {"iPhone", "Android", "Web", null};

    private Datasets() {}

    /** On-time events of 8 users over 40 minutes, with pauses past the 15-minute session timeout. */
    public static List<Event> onTimeEvents(long t0) {
        Random random = new Random(7);
        List<Event> events = new ArrayList<>();
        int id = 0;
        for (int u = 1; u <= 8; u++) {
            String user = "u" + u;
            String device = DEVICES[u % DEVICES.length];
            long t = t0 + random.nextInt(60_000);
            while (t < t0 + 40 * MINUTE) {
                String type = TYPES[random.nextInt(TYPES.length)];
                String page = type.equals("page_view") || type.equals("click") ? PAGES[random.nextInt(PAGES.length)] : null;
                events.add(new Event("ev-" + (++id), user, type, t, device, page));
                t += random.nextInt(10) == 0 ? (16 + random.nextInt(5)) * MINUTE : 5_000 + random.nextInt(4 * 60_000);
            }
        }
        return events;
    }

    /**
     * A backlog: {@code users} users active over {@code span} from {@code from}, one event every 30 s to
     * 3.5 min each (pauses past the session timeout now and then), as a device flushes its offline
     * buffer or a producer catches up after an outage. Ids start with {@code prefix}.
     */
    public static List<Event> backlog(String prefix, long from, java.time.Duration span, int users, long seed) {
        Random random = new Random(seed);
        List<Event> events = new ArrayList<>();
        int id = 0;
        for (int u = 0; u < users; u++) {
            String user = prefix + "user-" + u;
            String device = DEVICES[u % DEVICES.length];
            long t = from + random.nextInt(60_000);
            while (t < from + span.toMillis()) {
                String type = TYPES[random.nextInt(TYPES.length)];
                String page = type.equals("page_view") || type.equals("click") ? PAGES[random.nextInt(PAGES.length)] : null;
                events.add(new Event(prefix + "b-" + (++id), user, type, t, device, page));
                t += random.nextInt(25) == 0 ? (16 + random.nextInt(10)) * MINUTE : 30_000 + random.nextInt(3 * 60_000);
            }
        }
        return events;
    }

    /** Events far behind the watermark by the time they are sent (phase 2). */
    public static List<Event> lateEvents(long t0) {
        return List.of(
                new Event("late-1", "u1", "page_view", t0 + 2 * MINUTE + 1, "iPhone", "/home"),
                new Event("late-2", "u2", "click", t0 + 3 * MINUTE + 7, "Web", "/cart"),
                new Event("late-3", "u3", "purchase", t0 + 6 * MINUTE + 11, null, null),
                new Event("late-4", "u9", "login", t0 + 9 * MINUTE + 13, "Android", null));
    }

    public static Map<byte[], RejectReason> malformed() {
        Map<byte[], RejectReason> bad = new java.util.LinkedHashMap<>();
        bad.put("garbage".getBytes(StandardCharsets.UTF_8), RejectReason.UNRECOGNISED_FORMAT);
        bad.put("{\"user_id\":\"u1\",\"event_time\":".getBytes(StandardCharsets.UTF_8), RejectReason.JSON_MALFORMED);
        bad.put("{\"event_type\":\"click\",\"event_time\":0}".getBytes(StandardCharsets.UTF_8), RejectReason.MISSING_USER_ID);
        bad.put(new byte[] {(byte) 0xFF, (byte) 0xFE, 0x41}, RejectReason.NOT_UTF8);
        bad.put(new byte[] {(byte) 0xC3, 0x01, 0x00}, RejectReason.AVRO_TRUNCATED);
        return bad;
    }
}
