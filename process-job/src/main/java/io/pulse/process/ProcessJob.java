package io.pulse.process;

import io.pulse.process.engagement.ContentLookup;
import io.pulse.process.engagement.EngagementPipeline;
import io.pulse.process.sink.ProcessSinks;
import io.pulse.process.sink.StoreChecks;
import io.pulse.process.source.ActivityKafkaSource;
import io.pulse.process.source.EngagementKafkaSource;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The process job: user_activity from Kafka through windows and sessions to PostgreSQL, every valid
 * event to Cassandra, the Parquet lake and Kafka enriched_activity; engagement_events enriched to
 * ClickHouse, the HTTP system and the Redis leaderboard; late and bad records to Kafka.
 */
public final class ProcessJob {
    private ProcessJob() {}

    public static void main(String[] args) throws Exception {
        ProcessSettings settings = ProcessSettings.load(args);
        System.out.println("pulse process-job settings:\n" + settings);
        StoreChecks.check(settings);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        configure(env, settings);
        pipeline(settings).build(env);
        env.execute("pulse-process");
    }

    public static ProcessPipeline pipeline(ProcessSettings s) {
        ProcessSinks sinks = ProcessSinks.stores(s);
        return new ProcessPipeline(ActivityKafkaSource.create(s.kafka, s.activityTopic, s.groupId, s.inputLimits,
                s.deadLetterMaxPayload, ProcessPipeline.watermarks(s.pipeline)), sinks, s.pipeline, engagement(s, sinks));
    }

    /** The engagement side, or null when none of its outputs is on. */
    static EngagementPipeline engagement(ProcessSettings s, ProcessSinks sinks) {
        if (!sinks.anyEngagementOutput()) {
            return null;
        }
        ContentLookup lookup = new ContentLookup(s.postgres, s.engagement.scorer(), s.lookupThreads, s.lookupCacheSize,
                s.lookupCacheTtl);
        return new EngagementPipeline(EngagementKafkaSource.create(s.kafka, s.engagementTopic, s.groupId,
                s.inputLimits, s.deadLetterMaxPayload, EngagementPipeline.watermarks(s.engagement.outOfOrderness(), s.engagement.idleness())),
                lookup, sinks, s.engagement);
    }

    public static void configure(StreamExecutionEnvironment env, ProcessSettings s) {
        env.enableCheckpointing(s.checkpointInterval.toMillis(), CheckpointingMode.EXACTLY_ONCE);
        Configuration conf = new Configuration();
        conf.setString("state.backend.type", s.stateBackend);
        conf.setString("execution.checkpointing.incremental", "true");
        // Timers live on the heap (snapshotted with the checkpoint): one RocksDB write per timer
        // registration cost more than the windows themselves.
        conf.setString("state.backend.rocksdb.timer-service.factory", "HEAP");
        conf.setString("state.backend.rocksdb.predefined-options", "FLASH_SSD_OPTIMIZED");
        // Most state here is written, not read back later: give managed memory to write buffers, so
        // RocksDB flushes less and does not stall writers behind compaction.
        conf.setString("state.backend.rocksdb.memory.write-buffer-ratio", "0.8");
        if (!s.checkpointDir.isEmpty()) {
            conf.setString("execution.checkpointing.dir", s.checkpointDir);
        }
        conf.setString("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
        conf.setString("execution.checkpointing.min-pause", "1s");
        // A store that is down makes a sink fail after its retries; the job then restarts from the
        // last checkpoint, backing off up to a minute between attempts instead of crash-looping.
        conf.setString("restart-strategy.type", "exponential-delay");
        conf.setString("restart-strategy.exponential-delay.initial-backoff", "1s");
        conf.setString("restart-strategy.exponential-delay.max-backoff", "1min");
        // Chained operators hand records on without a defensive copy per hop. Safe here: every
        // operator and deserializer of the job emits a new object per record and none changes a
        // record it received (buffering sinks may keep references; nothing mutates them).
        conf.setString("pipeline.object-reuse", "true");
        env.configure(conf);
    }
}
