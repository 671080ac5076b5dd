package io.pulse.process;

import io.pulse.process.pipeline.ProcessPipeline;
import io.pulse.process.sink.DiagnosticsKafkaSinks;
import io.pulse.process.sink.PostgresUpsertSinks;
import io.pulse.process.source.ActivityKafkaSource;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** The process job: user_activity from Kafka through windows and sessions to PostgreSQL and Kafka. */
public final class ProcessJob {
    private ProcessJob() {}

    public static void main(String[] args) throws Exception {
        ProcessSettings settings = ProcessSettings.load(args);
        System.out.println("pulse process-job settings:\n" + settings);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        configure(env, settings);
        pipeline(settings).build(env);
        env.execute("pulse-process");
    }

    public static ProcessPipeline pipeline(ProcessSettings s) {
        PostgresUpsertSinks postgres = new PostgresUpsertSinks(s.jdbcUrl(), s.postgres.user(), s.postgres.password(),
                s.jdbcBatchSize, s.jdbcBatchInterval);
        DiagnosticsKafkaSinks diagnostics = new DiagnosticsKafkaSinks(s.kafkaBootstrap, s.transactionalIdPrefix);
        ProcessPipeline.Outputs outputs = new ProcessPipeline.Outputs(postgres.sessionKpis(), postgres.pageViewCounts(),
                postgres.activeUsers(), postgres.userSessions(), postgres.aggregatedCounts(),
                diagnostics.lateEvents(s.lateTopic), diagnostics.deadLetters(s.deadLetterTopic));
        return new ProcessPipeline(ActivityKafkaSource.create(s.kafkaBootstrap, s.activityTopic, s.groupId), outputs, s.pipeline);
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
        env.configure(conf);
    }
}
