package io.pulse.producer.generate;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.UUID;
import net.datafaker.Faker;

/**
 * Engagement traffic for PostgreSQL, deterministic for a seed: first the content rows, then a
 * stream of engagement inserts (popular content more often) with a share of updates and deletes of
 * earlier rows.
 */
public final class EngagementGenerator {
    private static final String[] TYPES = {"view", "like", "comment", "share", "complete"};
    private static final int[] TYPE_WEIGHTS = {60, 15, 8, 5, 12};
    private static final String[] CONTENT_TYPES = {"video", "article", "podcast"};
    private static final String[] DEVICES = {"iPhone", "Android", "Web", "SmartTV"};
    private static final int LIVE_ROWS = 2000;

    private final EngagementOptions options;
    private final Random random;
    private final Faker faker;
    private final List<EngagementOp.Content> content = new ArrayList<>();
    private final List<String> users = new ArrayList<>();
    /** Recent inserted rows that updates and deletes may touch. */
    private final List<UUID> live = new ArrayList<>();
    private int contentEmitted;
    private long time;

    public EngagementGenerator(EngagementOptions options) {
        this.options = options;
        this.random = new Random(options.seed());
        this.faker = new Faker(Locale.ENGLISH, random);
        for (int i = 0; i < options.contentRows(); i++) {
            String type = CONTENT_TYPES[random.nextInt(CONTENT_TYPES.length)];
            String title = switch (type) {
                case "video" -> faker.movie().name();
                case "podcast" -> faker.book().title() + " (podcast)";
                default -> faker.book().title();
            };
            content.add(new EngagementOp.Content(uuid(), title, type, 30 + random.nextInt(3600)));
        }
        for (int i = 0; i < options.users(); i++) {
            users.add(uuid().toString());
        }
        this.time = options.start().toEpochMilli();
    }

    public List<EngagementOp.Content> content() {
        return List.copyOf(content);
    }

    /** Content rows first, then inserts, updates and deletes. */
    public EngagementOp next() {
        if (contentEmitted < content.size()) {
            return content.get(contentEmitted++);
        }
        double roll = random.nextDouble();
        if (!live.isEmpty() && roll < options.deleteShare()) {
            return new EngagementOp.Delete(live.remove(random.nextInt(live.size())));
        }
        if (!live.isEmpty() && roll < options.deleteShare() + options.updateShare()) {
            UUID id = live.get(random.nextInt(live.size()));
            String type = weightedType();
            return new EngagementOp.Update(id, type, duration(type, 600));
        }
        time += 1 + (long) (-1000 * Math.log(1 - random.nextDouble()));
        EngagementOp.Content item = content.get((int) (content.size() * Math.pow(random.nextDouble(), 2)));
        String type = weightedType();
        UUID id = uuid();
        live.add(id);
        if (live.size() > LIVE_ROWS) {
            live.remove(0);
        }
        return new EngagementOp.Insert(id, item.contentId(), users.get(random.nextInt(users.size())), type,
                duration(type, item.lengthSeconds()), DEVICES[random.nextInt(DEVICES.length)], Instant.ofEpochMilli(time));
    }

    private String weightedType() {
        int pick = random.nextInt(100);
        for (int i = 0; i < TYPES.length; i++) {
            pick -= TYPE_WEIGHTS[i];
            if (pick < 0) {
                return TYPES[i];
            }
        }
        return TYPES[0];
    }

    private Integer duration(String type, int lengthSeconds) {
        return switch (type) {
            case "view" -> 1000 + random.nextInt(Math.max(1, lengthSeconds * 1000));
            case "complete" -> lengthSeconds * 1000;
            default -> null;
        };
    }

    private UUID uuid() {
        return SeededUuid.next(random);
    }
}
