package io.pulse.producer.generate;

import io.pulse.model.avro.UserEvent;
import io.pulse.model.codec.UserEventCodec;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.UUID;
import net.datafaker.Faker;

/**
 * Realistic user journeys, deterministic for a seed: each user runs sessions of
 * [session_start] login, page views / clicks / searches / form submits, sometimes add_to_cart and
 * purchase, usually logout, [session_end], with think times between actions and longer pauses
 * (some beyond the 15-minute session timeout) between sessions. Events come out in event-time
 * order across users; a share is made late or replaced by malformed bytes, as asked.
 */
public final class ActivityGenerator {
    private static final String[] DEVICES = {"iPhone", "Android", "Web", "iPad"};
    private static final int[] DEVICE_WEIGHTS = {35, 30, 30, 5};
    private static final List<String> CLICK_TARGETS = List.of("buy", "nav", "banner", "card", "share");
    private static final List<String> FORMS = List.of("newsletter", "review", "profile");
    private static final double MEAN_THINK_SECONDS = 15;
    private static final double MAX_THINK_SECONDS = 300;
    private static final double MEAN_SESSION_GAP_SECONDS = 12 * 60;
    /**
     * Event-time seconds between two events of one user, on average over sessions and the pauses
     * between them (a session: ~9.5 events ~16 s apart, then ~12 min away): N users emit about
     * N / this many events per second of event time (checked by ActivityGeneratorTest).
     */
    public static final double MEAN_SECONDS_BETWEEN_EVENTS_OF_A_USER = 90;
    /** How long a session lasts on average (~8.5 think times), and its share of a session plus the pause after it. */
    private static final double MEAN_SESSION_SECONDS = 136;
    private static final double SESSION_SHARE = MEAN_SESSION_SECONDS / (MEAN_SESSION_SECONDS + MEAN_SESSION_GAP_SECONDS);

    private final ActivityOptions options;
    private final Random random;
    private final Faker faker;
    private final UserEventCodec codec = new UserEventCodec();
    private final MalformedRecords malformed;
    private final List<String> pages;
    // Vocabulary drawn from datafaker once: per-event faker calls cost more than everything else.
    private final List<String> products;
    private final List<String> prices;
    private final PriorityQueue<UserState> queue;

    public ActivityGenerator(ActivityOptions options) {
        this.options = options;
        this.random = new Random(options.seed());
        this.faker = new Faker(Locale.ENGLISH, random);
        this.malformed = new MalformedRecords(random);
        this.pages = pagePool(24);
        this.products = new ArrayList<>();
        this.prices = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            products.add(faker.commerce().productName());
            prices.add(faker.commerce().price());
        }
        this.queue = new PriorityQueue<>(Math.max(1, options.users()),
                (a, b) -> a.nextTime != b.nextTime ? Long.compare(a.nextTime, b.nextTime) : Integer.compare(a.index, b.index));
        long startMillis = options.start().toEpochMilli();
        for (int i = 0; i < options.users(); i++) {
            UserState user = new UserState(i, uuid().toString());
            if (options.steady()) {
                // As if running for a while: in a session now (its next step soon) or away (the pause is memoryless).
                user.nextTime = startMillis + (random.nextDouble() < SESSION_SHARE ? seconds(random.nextDouble() * MEAN_THINK_SECONDS)
                        : seconds(exponential(MEAN_SESSION_GAP_SECONDS)));
            } else {
                // Users arrive spread over the first minute.
                user.nextTime = startMillis + (long) (random.nextDouble() * 60_000);
            }
            queue.add(user);
        }
    }

    /** The next record in event-time order (late records carry a time in the past). */
    public GeneratedActivity next() {
        UserState user = queue.poll();
        if (user.plan.isEmpty()) {
            planSession(user);
        }
        Step step = user.plan.removeFirst();
        long time = user.nextTime;
        UserEvent.Builder event = UserEvent.newBuilder()
                .setEventId(uuid().toString())
                .setUserId(user.id)
                .setEventType(step.type)
                .setEventTime(Instant.ofEpochMilli(time))
                .setDevice(user.device)
                .setPage(step.page)
                .setContentId(step.contentId)
                .setMetadata(step.metadata);
        user.nextTime = time + (user.plan.isEmpty()
                ? seconds(exponential(MEAN_SESSION_GAP_SECONDS))
                : seconds(Math.min(MAX_THINK_SECONDS, 1 + exponential(MEAN_THINK_SECONDS))));
        queue.add(user);

        double roll = random.nextDouble();
        if (roll < options.malformedShare()) {
            return new GeneratedActivity(user.id, malformed.next(), ActivityKind.MALFORMED, null);
        }
        if (roll < options.malformedShare() + options.lateShare()) {
            event.setEventTime(Instant.ofEpochMilli(time - options.lateBy().toMillis()));
            UserEvent late = event.build();
            return new GeneratedActivity(user.id, codec.encode(late, options.format()), ActivityKind.LATE, late);
        }
        UserEvent valid = event.build();
        return new GeneratedActivity(user.id, codec.encode(valid, options.format()), ActivityKind.VALID, valid);
    }

    private void planSession(UserState user) {
        user.device = weighted(DEVICES, DEVICE_WEIGHTS);
        boolean markers = random.nextDouble() < 0.3;
        Deque<Step> plan = user.plan;
        if (markers) {
            plan.add(new Step("session_start", null, null, Map.of()));
        }
        plan.add(new Step("login", null, null, Map.of()));
        int actions = 1 + (int) exponential(6);
        for (int i = 0; i < actions; i++) {
            double r = random.nextDouble();
            String page = pages.get((int) (pages.size() * Math.pow(random.nextDouble(), 2))); // popular pages first
            if (r < 0.5) {
                String contentId = page.startsWith("/watch/") ? page.substring("/watch/".length()) : null;
                plan.add(new Step("page_view", page, contentId, Map.of()));
            } else if (r < 0.75) {
                plan.add(new Step("click", page, null, Map.of("element", pick(CLICK_TARGETS))));
            } else if (r < 0.9) {
                plan.add(new Step("search", "/search", null, Map.of("query", pick(products))));
            } else {
                plan.add(new Step("form_submit", page, null, Map.of("form", pick(FORMS))));
            }
        }
        if (random.nextDouble() < 0.35) {
            int product = random.nextInt(products.size());
            plan.add(new Step("add_to_cart", "/cart", null, Map.of("product", products.get(product))));
            if (random.nextDouble() < 0.5) {
                plan.add(new Step("purchase", "/checkout", null, Map.of("product", products.get(product), "amount", prices.get(product))));
            }
        }
        if (random.nextDouble() < 0.85) {
            plan.add(new Step("logout", null, null, Map.of()));
        }
        if (markers) {
            plan.add(new Step("session_end", null, null, Map.of()));
        }
    }

    private List<String> pagePool(int size) {
        List<String> out = new ArrayList<>(List.of("/", "/home", "/cart", "/checkout"));
        Map<String, Boolean> seen = new HashMap<>();
        out.forEach(p -> seen.put(p, true));
        while (out.size() < size) {
            String page = switch (random.nextInt(3)) {
                case 0 -> "/products/" + slug(faker.commerce().department());
                case 1 -> "/articles/" + slug(faker.book().title());
                default -> "/watch/" + uuid();
            };
            if (seen.putIfAbsent(page, true) == null) {
                out.add(page);
            }
        }
        return out;
    }

    private static String slug(String text) {
        return text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
    }

    private String pick(List<String> values) {
        return values.get(random.nextInt(values.size()));
    }

    private String weighted(String[] values, int[] weights) {
        int total = 0;
        for (int w : weights) {
            total += w;
        }
        int pick = random.nextInt(total);
        for (int i = 0; i < values.length; i++) {
            pick -= weights[i];
            if (pick < 0) {
                return values[i];
            }
        }
        return values[values.length - 1];
    }

    private double exponential(double mean) {
        return -mean * Math.log(1 - random.nextDouble());
    }

    private static long seconds(double s) {
        return (long) (s * 1000);
    }

    private UUID uuid() {
        return SeededUuid.next(random);
    }

    private record Step(String type, String page, String contentId, Map<String, String> metadata) {}

    private static final class UserState {
        final int index;
        final String id;
        final Deque<Step> plan = new ArrayDeque<>();
        String device;
        long nextTime;

        UserState(int index, String id) {
            this.index = index;
            this.id = id;
        }
    }
}
