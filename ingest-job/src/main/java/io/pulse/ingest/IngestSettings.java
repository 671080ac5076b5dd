package io.pulse.ingest;

import io.pulse.model.Tables;
import io.pulse.model.Topics;
import io.pulse.model.settings.PostgresConnection;
import io.pulse.model.settings.Settings;
import java.io.Serializable;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Every setting of the ingest job, typed. Sources, lowest first: these defaults, {@code --settings
 * FILE}, environment {@code PULSE_<KEY>} (what {@code ./pulse submit} exports from the stack), and
 * {@code --key value} flags.
 */
public final class IngestSettings implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    static final Map<String, String> DEFAULTS = defaults();

    /** Every settings key the job knows (as --key, in a --settings file, or as PULSE_<KEY>). */
    public static java.util.Set<String> keys() {
        return java.util.Collections.unmodifiableSet(DEFAULTS.keySet());
    }

    public final PostgresConnection postgres;
    public final String schema;
    public final String table;
    public final String slotName;
    public final String publicationName;
    public final String kafkaBootstrap;
    /** Kafka's bootstrap servers and the kafka.properties.* every Kafka client of the job gets. */
    public final io.pulse.model.settings.KafkaClient kafka;
    public final String topic;
    public final String transactionalIdPrefix;
    public final Duration checkpointInterval;
    public final boolean dropSlot;
    private final Settings raw;

    private IngestSettings(Settings s) {
        raw = s;
        postgres = PostgresConnection.from(s);
        schema = identifier(s, "postgres.schema");
        table = identifier(s, "postgres.table");
        slotName = identifier(s, "slot.name");
        publicationName = identifier(s, "publication.name");
        kafkaBootstrap = s.string("kafka.bootstrap");
        kafka = io.pulse.model.settings.KafkaClient.from(s.asMap());
        topic = s.string("kafka.topic");
        transactionalIdPrefix = s.string("kafka.transactional-id-prefix");
        checkpointInterval = s.duration("checkpoint.interval");
        dropSlot = s.flag("drop-slot");
    }

    public static IngestSettings load(String... args) {
        return new IngestSettings(Settings.load(DEFAULTS, args));
    }

    public String jdbcUrl() {
        return postgres.jdbcUrl();
    }

    /** Slot and publication names end up in SQL as identifiers: only plain lower-case names are accepted. */
    private static String identifier(Settings s, String key) {
        String value = s.string(key);
        if (!IDENTIFIER.matcher(value).matches()) {
            throw new IllegalArgumentException("setting '" + key + "' must be a lower-case SQL identifier ([a-z_][a-z0-9_]*), got '" + value + "'");
        }
        return value;
    }

    private static Map<String, String> defaults() {
        Map<String, String> d = new TreeMap<>(PostgresConnection.DEFAULTS);
        d.put("postgres.schema", "public");
        d.put("postgres.table", Tables.ENGAGEMENT_EVENTS);
        d.put("slot.name", "pulse_ingest");
        d.put("publication.name", "pulse_ingest_pub");
        d.put("kafka.bootstrap", "127.0.0.1:59092");
        d.put(io.pulse.model.settings.KafkaClient.PREFIX + "*", ""); // Kafka client properties, passed through
        d.put("kafka.topic", Topics.ENGAGEMENT_EVENTS);
        d.put("kafka.transactional-id-prefix", "pulse-ingest");
        d.put("checkpoint.interval", "10s");
        d.put("drop-slot", "false");
        return d;
    }

    @Override
    public String toString() {
        return raw.toString();
    }
}
