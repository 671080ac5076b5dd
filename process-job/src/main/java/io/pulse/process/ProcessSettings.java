package io.pulse.process;

import io.pulse.model.Topics;
import io.pulse.model.settings.PostgresConnection;
import io.pulse.model.settings.Settings;
import io.pulse.process.pipeline.ProcessPipeline;
import java.io.Serializable;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every setting of the process job, typed. Sources, lowest first: these defaults, {@code --settings
 * FILE}, environment {@code PULSE_<KEY>} (what {@code ./pulse submit} exports from the stack), and
 * {@code --key value} flags.
 */
public final class ProcessSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    static final Map<String, String> DEFAULTS = defaults();

    public final String kafkaBootstrap;
    public final String activityTopic;
    public final String lateTopic;
    public final String deadLetterTopic;
    public final String groupId;
    public final String transactionalIdPrefix;
    public final PostgresConnection postgres;
    public final int jdbcBatchSize;
    public final Duration jdbcBatchInterval;
    public final Duration checkpointInterval;
    public final String checkpointDir;
    public final String stateBackend;
    public final ProcessPipeline.Options pipeline;
    private final Settings raw;

    private ProcessSettings(Settings s) {
        raw = s;
        kafkaBootstrap = s.string("kafka.bootstrap");
        activityTopic = s.string("kafka.activity-topic");
        lateTopic = s.string("kafka.late-topic");
        deadLetterTopic = s.string("kafka.dead-letter-topic");
        groupId = s.string("kafka.group-id");
        transactionalIdPrefix = s.string("kafka.transactional-id-prefix");
        postgres = PostgresConnection.from(s);
        jdbcBatchSize = s.integer("postgres.batch-size");
        jdbcBatchInterval = s.duration("postgres.batch-interval");
        checkpointInterval = s.duration("checkpoint.interval");
        checkpointDir = s.string("checkpoint.dir");
        stateBackend = s.string("state.backend");
        pipeline = new ProcessPipeline.Options(s.duration("watermark.out-of-orderness"), s.duration("watermark.idleness"),
                s.duration("lateness.allowed"), s.duration("session.gap"), s.duration("user-session.timeout"));
        if (!stateBackend.equals("rocksdb") && !stateBackend.equals("hashmap")) {
            throw new IllegalArgumentException("setting 'state.backend' must be rocksdb or hashmap, got '" + stateBackend + "'");
        }
    }

    public static ProcessSettings load(String... args) {
        return new ProcessSettings(Settings.load(DEFAULTS, args));
    }

    public String jdbcUrl() {
        return postgres.jdbcUrl();
    }

    private static Map<String, String> defaults() {
        Map<String, String> d = new TreeMap<>(PostgresConnection.DEFAULTS);
        d.put("kafka.bootstrap", "127.0.0.1:59092");
        d.put("kafka.activity-topic", Topics.USER_ACTIVITY);
        d.put("kafka.late-topic", Topics.LATE_EVENTS);
        d.put("kafka.dead-letter-topic", Topics.DEAD_LETTER);
        d.put("kafka.group-id", "pulse-process");
        d.put("kafka.transactional-id-prefix", "pulse-process");
        d.put("postgres.batch-size", "500");
        d.put("postgres.batch-interval", "1s");
        d.put("checkpoint.interval", "10s");
        d.put("checkpoint.dir", ""); // empty: the cluster's state.checkpoints.dir
        d.put("state.backend", "rocksdb");
        d.put("watermark.out-of-orderness", "2m");
        d.put("watermark.idleness", "30s");
        d.put("lateness.allowed", "0s");
        d.put("session.gap", "5s");
        d.put("user-session.timeout", "15m");
        return d;
    }

    @Override
    public String toString() {
        return raw.toString();
    }
}
