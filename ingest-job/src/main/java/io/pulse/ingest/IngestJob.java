package io.pulse.ingest;

import io.pulse.ingest.pipeline.EngagementChange;
import io.pulse.ingest.pipeline.IngestPipeline;
import io.pulse.ingest.sink.EngagementKafkaSink;
import io.pulse.ingest.source.EngagementChangeDeserializer;
import io.pulse.ingest.source.PostgresPreflight;
import io.pulse.ingest.source.ReplicationSlots;
import java.util.Properties;
import org.apache.flink.cdc.connectors.base.options.StartupOptions;
import org.apache.flink.cdc.connectors.postgres.source.PostgresSourceBuilder;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The ingest job: PostgreSQL engagement_events (initial snapshot, then the WAL through pgoutput)
 * to Kafka engagement_events, exactly once. {@code --drop-slot} retires the replication slot and
 * publication instead of running.
 */
public final class IngestJob {
    private IngestJob() {}

    public static void main(String[] args) throws Exception {
        IngestSettings settings = IngestSettings.load(args);
        System.out.println("pulse ingest-job settings:\n" + settings);
        if (settings.dropSlot) {
            System.out.println(ReplicationSlots.drop(settings));
            return;
        }
        PostgresPreflight.check(settings);
        settings.kafka.check(java.time.Duration.ofSeconds(30));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        configure(env, settings);
        new IngestPipeline(source(settings), EngagementKafkaSink.create(settings.kafka, settings.topic,
                settings.transactionalIdPrefix)).build(env);
        env.execute("pulse-ingest");
    }

    public static void configure(StreamExecutionEnvironment env, IngestSettings settings) {
        env.enableCheckpointing(settings.checkpointInterval.toMillis(), CheckpointingMode.EXACTLY_ONCE);
        Configuration conf = new Configuration();
        conf.setString("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
        conf.setString("execution.checkpointing.min-pause", "500ms");
        env.configure(conf);
    }

    public static PostgresSourceBuilder.PostgresIncrementalSource<EngagementChange> source(IngestSettings s) {
        Properties debezium = new Properties();
        debezium.setProperty("publication.name", s.publicationName);
        // The job creates its publication for just this table; ./pulse ingest-drop-slot removes it.
        debezium.setProperty("publication.autocreate.mode", "filtered");
        s.postgres.debeziumTls().forEach(debezium::setProperty);
        return PostgresSourceBuilder.PostgresIncrementalSource.<EngagementChange>builder()
                .hostname(s.postgres.host())
                .port(s.postgres.port())
                .database(s.postgres.database())
                .schemaList(s.schema)
                .tableList(s.schema + "." + s.table)
                .username(s.postgres.user())
                .password(s.postgres.password())
                .slotName(s.slotName)
                .decodingPluginName("pgoutput")
                .startupOptions(StartupOptions.initial())
                .debeziumProperties(debezium)
                .deserializer(new EngagementChangeDeserializer())
                .build();
    }
}
