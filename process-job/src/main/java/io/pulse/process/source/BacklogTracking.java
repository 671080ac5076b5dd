package io.pulse.process.source;

import io.pulse.model.settings.KafkaClient;
import io.pulse.process.time.SplitWatermarks;
import io.pulse.runtime.kafka.HighestWatermark;
import io.pulse.runtime.kafka.KafkaSplitListener;
import io.pulse.runtime.kafka.SplitTrackingKafkaSource;
import java.time.Duration;
import java.util.Properties;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.metrics.Gauge;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The job's Kafka sources, with event time per split that knows when a split is really caught up
 * ({@link SplitWatermarks}): the source tells this listener which partitions each reader is assigned
 * and each record's offset, and a {@link KafkaBacklogProbe} per reader looks for records Kafka holds
 * that the reader has not emitted. The source carries its own strategy: {@code env.fromSource(source,
 * SplitWatermarks.forSource(source, ...), name)}.
 */
public final class BacklogTracking<T> implements KafkaSplitListener, SplitWatermarks.Carrier<T> {
    private static final long serialVersionUID = 1L;
    /** How often the enumerator looks for partitions added to the topic. */
    static final Duration PARTITION_DISCOVERY = Duration.ofSeconds(10);

    /** The same instance the job passes to {@code fromSource}: one object graph, so one instance per subtask once deserialized. */
    private final SplitWatermarks<T> watermarks;
    private final KafkaClient client;
    private final String groupId;

    private BacklogTracking(SplitWatermarks<T> watermarks, KafkaClient client, String groupId) {
        this.watermarks = watermarks;
        this.client = client;
        this.groupId = groupId;
    }

    /** A source of {@code topic}'s committed records; first start: the whole topic, after that the checkpoint's offsets. */
    public static <T> SplitTrackingKafkaSource<T> committedRecords(KafkaClient kafka, String topic, String groupId,
                                                                   KafkaRecordDeserializationSchema<T> deserializer,
                                                                   SplitWatermarks<T> watermarks) {
        BacklogTracking<T> tracking = new BacklogTracking<>(watermarks, kafka, groupId);
        KafkaSource<T> source = KafkaSource.<T>builder()
                .setProperties(kafka.clientProperties())
                .setBootstrapServers(kafka.bootstrap())
                .setTopics(topic)
                .setGroupId(groupId)
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(SplitTrackingKafkaSource.deserializer(deserializer, tracking))
                .setProperty("isolation.level", "read_committed")
                // Well inside the out-of-orderness bound: records in a partition added while the job runs are read before
                // the other partitions' watermark has passed them.
                .setProperty("partition.discovery.interval.ms", Long.toString(PARTITION_DISCOVERY.toMillis()))
                .build();
        return new SplitTrackingKafkaSource<>(source, tracking);
    }

    @Override
    public SplitWatermarks<T> watermarks() {
        return watermarks;
    }

    @Override
    public AutoCloseable readerStarting(SourceReaderContext context) {
        Properties probe = client.clientProperties();
        probe.setProperty("bootstrap.servers", client.bootstrap());
        KafkaBacklogProbe backlog = new KafkaBacklogProbe(probe, groupId, context.getIndexOfSubtask(), watermarks.subtask(),
                PARTITION_DISCOVERY.plusSeconds(5));
        context.metricGroup().gauge("watermarkWaitsForAddedPartitions", (Gauge<Integer>) () -> backlog.partitionsAdded() ? 1 : 0);
        watermarks.subtask().attach(backlog);
        watermarks.subtask().reportTo(w -> context.sendSourceEventToCoordinator(new HighestWatermark(w)));
        backlog.start();
        return () -> {
            watermarks.subtask().detach(backlog);
            backlog.close();
        };
    }

    @Override
    public void highestWatermark(long watermark) {
        watermarks.subtask().highestWatermark(watermark);
    }

    @Override
    public void assigned(String topic, int partition, long startingOffset) {
        watermarks.subtask().assigned(topic, partition, startingOffset);
    }

    @Override
    public void emitting(String topic, int partition, long offset) {
        watermarks.subtask().emitting(topic, partition, offset);
    }
}
