package io.pulse.ingest.pipeline;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The ingest dataflow: captured changes straight to the sink, in capture order. Source and sink
 * are arguments, so the same pipeline runs on PostgreSQL/Kafka and on test inputs.
 */
public final class IngestPipeline {
    private final Source<EngagementChange, ?, ?> source;
    private final Sink<EngagementChange> sink;

    public IngestPipeline(Source<EngagementChange, ?, ?> source, Sink<EngagementChange> sink) {
        this.source = source;
        this.sink = sink;
    }

    public void build(StreamExecutionEnvironment env) {
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "postgres-cdc engagement_events")
                .uid("engagement-cdc-source")
                // One CDC reader: changes keep their WAL order all the way to the topic.
                .setParallelism(1)
                .map(new io.pulse.ingest.source.ReleaseCdcConnections())
                .uid("release-cdc-connections")
                .name("release CDC connections with the job")
                .setParallelism(1)
                .sinkTo(sink)
                .uid("engagement-kafka-sink")
                .name("kafka engagement_events")
                .setParallelism(1);
    }
}
