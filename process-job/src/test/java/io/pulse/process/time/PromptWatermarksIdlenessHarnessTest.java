package io.pulse.process.time;

import io.pulse.process.Fixtures;
import io.pulse.process.ProcessPipeline;
import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.process.model.Activity;
import io.pulse.process.model.DecodedRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.streaming.api.operators.source.SourceOutputWithWatermarks;
import org.apache.flink.streaming.api.operators.source.WatermarkToDataOutput;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.io.PushingAsyncDataInput;
import org.apache.flink.streaming.runtime.streamrecord.LatencyMarker;
import org.apache.flink.streaming.runtime.streamrecord.RecordAttributes;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.util.clock.ManualClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link PromptWatermarks#strategy} on one source split, as a Kafka source reader runs it: Flink's own
 * split output ({@link SourceOutputWithWatermarks} into a {@link WatermarkToDataOutput}) with the
 * strategy's generator on a {@link ManualClock} as the input-activity clock, and the periodic
 * emission every 200 ms (Flink's default interval) driven by hand. Records with the timestamp
 * {@link PromptWatermarks#NO_TIME} (rejected at the edge) are no activity: a split that carries only
 * them goes idle, so it does not hold the job's watermark back.
 */
class PromptWatermarksIdlenessHarnessTest {
    private static final Duration BOUND = Duration.ofMinutes(2);
    private static final Duration IDLENESS = Duration.ofSeconds(30);
    private static final Duration PERIOD = Duration.ofMillis(200);
    private static final long KAFKA_TIME = 0; // the strategy takes the event's time, never Kafka's

    private final ManualClock clock = new ManualClock(Duration.ofHours(1).toNanos());
    /** Records (copied), watermarks and watermark statuses, in the order the split emitted them. */
    private final List<Object> emitted = new ArrayList<>();
    private SourceOutputWithWatermarks<DecodedRecord> split;

    @BeforeEach
    void openSplit() {
        // The job's timestamps (ProcessPipeline.watermarks): a rejected record carries no time.
        WatermarkStrategy<DecodedRecord> strategy = PromptWatermarks.strategy(BOUND, IDLENESS,
                (record, kafkaTime) -> record.isValid() ? record.activity.eventTime : PromptWatermarks.NO_TIME);
        WatermarkGenerator<DecodedRecord> generator = strategy.createWatermarkGenerator(new WatermarkGeneratorSupplier.Context() {
            @Override
            public MetricGroup getMetricGroup() {
                return new UnregisteredMetricsGroup();
            }

            @Override
            public ManualClock getInputActivityClock() {
                return clock;
            }
        });
        PushingAsyncDataInput.DataOutput<DecodedRecord> data = new PushingAsyncDataInput.DataOutput<>() {
            @Override
            public void emitRecord(StreamRecord<DecodedRecord> record) {
                emitted.add(new StreamRecord<>(record.getValue(), record.getTimestamp()));
            }

            @Override
            public void emitWatermark(Watermark watermark) {
                emitted.add(watermark);
            }

            @Override
            public void emitWatermarkStatus(WatermarkStatus status) {
                emitted.add(status);
            }

            @Override
            public void emitLatencyMarker(LatencyMarker marker) {}

            @Override
            public void emitRecordAttributes(RecordAttributes attributes) {}
        };
        WatermarkToDataOutput watermarks = new WatermarkToDataOutput(data);
        split = SourceOutputWithWatermarks.createWithSeparateOutputs(data, watermarks, watermarks,
                strategy.createTimestampAssigner(UnregisteredMetricsGroup::new), generator);
    }

    private static DecodedRecord valid(long eventTime) {
        return DecodedRecord.valid(Activity.of("e-" + eventTime, "u-1", "click", eventTime));
    }

    private static DecodedRecord rejected() {
        return DecodedRecord.rejected("BAD_TIMESTAMP", "event_time is not an ISO-8601 time", "user_activity", 0, 0, null, new byte[] {'x'});
    }

    /** {@code duration} of processing time, with the periodic emission every 200 ms and, before each, one record if given. */
    private void run(Duration duration, DecodedRecord each) {
        for (long t = 0; t < duration.toMillis(); t += PERIOD.toMillis()) {
            if (each != null) {
                split.collect(each, KAFKA_TIME);
            }
            clock.advanceTime(PERIOD);
            split.emitPeriodicWatermark();
        }
    }

    private List<Object> statuses() {
        return emitted.stream().filter(e -> e instanceof WatermarkStatus).toList();
    }

    private long lastWatermark() {
        return emitted.stream().filter(e -> e instanceof Watermark).mapToLong(e -> ((Watermark) e).getTimestamp()).max()
                .orElse(Long.MIN_VALUE);
    }

    @Test
    void aSplitWithOnlyRejectedRecordsGoesIdleAfterTheIdlenessInterval() {
        long t0 = Fixtures.BEGINNING;
        split.collect(valid(t0), KAFKA_TIME);
        run(PERIOD, null);
        assertThat(lastWatermark()).isEqualTo(t0 - BOUND.toMillis() - 1);

        // a rejected record every 200 ms: not idle while the interval since the last timed record runs...
        run(IDLENESS.minus(PERIOD.multipliedBy(2)), rejected());
        assertThat(statuses()).isEmpty();
        // ...idle within a few periodic checks once it has passed, although records keep coming
        run(PERIOD.multipliedBy(5), rejected());
        assertThat(statuses()).containsExactly(WatermarkStatus.IDLE);
    }

    @Test
    void aSplitWithRecordsCarryingATimeStaysActive() {
        long t0 = Fixtures.BEGINNING;
        split.collect(valid(t0), KAFKA_TIME);
        run(IDLENESS.multipliedBy(2), valid(t0)); // the same time over and over: the watermark does not move
        assertThat(statuses()).isEmpty();
        assertThat(lastWatermark()).isEqualTo(t0 - BOUND.toMillis() - 1);
    }

    @Test
    void rejectedRecordsNeitherMoveNorHoldBackTheWatermark() {
        long t0 = Fixtures.BEGINNING;
        split.collect(valid(t0), KAFKA_TIME);
        run(PERIOD.multipliedBy(3), rejected());
        assertThat(lastWatermark()).isEqualTo(t0 - BOUND.toMillis() - 1);
        split.collect(valid(t0 + Fixtures.ONE_MINUTE), KAFKA_TIME);
        run(PERIOD, rejected());
        assertThat(lastWatermark()).isEqualTo(t0 + Fixtures.ONE_MINUTE - BOUND.toMillis() - 1);
    }

    @Test
    void aRecordCarryingATimeMakesTheIdleSplitActiveAgain() {
        long t0 = Fixtures.BEGINNING;
        split.collect(valid(t0), KAFKA_TIME);
        run(IDLENESS.plus(PERIOD.multipliedBy(5)), rejected());
        assertThat(statuses()).containsExactly(WatermarkStatus.IDLE);
        emitted.clear();

        long later = t0 + Fixtures.ONE_SECOND;
        DecodedRecord timed = valid(later);
        split.collect(timed, KAFKA_TIME);
        run(PERIOD, null);
        assertThat(emitted).containsExactly(new StreamRecord<>(timed, later), WatermarkStatus.ACTIVE,
                new Watermark(later - BOUND.toMillis() - 1));
        // and it stays active while such records keep coming
        run(IDLENESS.multipliedBy(2), valid(later));
        assertThat(statuses()).containsExactly(WatermarkStatus.ACTIVE);
    }
}
