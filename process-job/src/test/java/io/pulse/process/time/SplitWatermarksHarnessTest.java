package io.pulse.process.time;

import static io.pulse.process.Fixtures.BEGINNING;
import static io.pulse.process.Fixtures.ONE_MINUTE;
import static io.pulse.process.Fixtures.ONE_SECOND;
import static org.assertj.core.api.Assertions.assertThat;

import io.pulse.process.ProcessPipeline;
import io.pulse.process.model.Activity;
import io.pulse.process.model.DecodedRecord;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkOutputMultiplexer;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.streaming.api.operators.source.SourceOutputWithWatermarks;
import org.apache.flink.streaming.api.operators.source.WatermarkToDataOutput;
import org.apache.flink.streaming.runtime.io.PushingAsyncDataInput;
import org.apache.flink.streaming.runtime.streamrecord.LatencyMarker;
import org.apache.flink.streaming.runtime.streamrecord.RecordAttributes;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.util.clock.ManualClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link SplitWatermarks} on one source subtask reading two partitions, wired as Flink's source
 * operator wires it: a generator for the reader's main output and one per split, the splits'
 * outputs combined by Flink's own {@link WatermarkOutputMultiplexer} into a
 * {@link WatermarkToDataOutput}, the periodic emission every 200 ms driven by hand on a
 * {@link ManualClock}. Kafka is a queue of records per partition with its end offset; the reader
 * emits what a test tells it to; the backlog answers a requested round at the next periodic
 * emission, from the partitions' end offsets (as {@code KafkaBacklogProbe} does against Kafka, tested
 * in {@code KafkaBacklogProbeITCase}).
 */
class SplitWatermarksHarnessTest {
    private static final Duration BOUND = Duration.ofMinutes(2);
    private static final Duration IDLENESS = Duration.ofSeconds(30);
    private static final Duration PERIOD = Duration.ofMillis(200);
    private static final String TOPIC = "user_activity";

    private final ManualClock clock = new ManualClock(Duration.ofHours(1).toNanos());
    /** Watermarks and statuses the subtask emitted downstream, in order. */
    private final List<Object> emitted = new ArrayList<>();
    /** The time of every record the subtask emitted, in order, with the watermark downstream had when it went out. */
    private final List<long[]> recordsAndWatermark = new ArrayList<>();
    private final List<Object> mainOutput = new ArrayList<>();
    private SplitWatermarks<DecodedRecord> strategy;
    private WatermarkOutputMultiplexer multiplexer;
    private WatermarkGenerator<DecodedRecord> main;
    private Partition a;
    private Partition b;
    private FakeBacklog backlog;
    private int ids;

    /** A partition in Kafka and its split in the reader. */
    private final class Partition {
        final int number;
        final Deque<DecodedRecord> unread = new ArrayDeque<>();
        long end;
        long next;
        SourceOutputWithWatermarks<DecodedRecord> output;

        Partition(int number) {
            this.number = number;
        }

        /** Records appended to the partition (committed), not yet read. */
        Partition append(long... times) {
            for (long t : times) {
                unread.add(DecodedRecord.valid(Activity.of("e-" + (++ids), "u-" + number, "click", t)));
                end++;
            }
            return this;
        }

        Partition appendRejected() {
            unread.add(DecodedRecord.rejected("BAD_TIMESTAMP", "x", TOPIC, number, end, null, new byte[] {'x'}));
            end++;
            return this;
        }

        /** The reader emits every record it has not emitted yet. */
        void read() {
            while (!unread.isEmpty()) {
                DecodedRecord r = unread.poll();
                strategy.subtask().emitting(TOPIC, number, next++);
                output.collect(r, 0);
            }
        }
    }

    /** Rounds answered at the next periodic emission, from the partitions' end offsets. */
    private final class FakeBacklog implements SubtaskSplits.Backlog {
        long requested;
        long started;
        long completed;

        @Override
        public long requestRound() {
            requested = Math.max(requested, started + 1);
            return started + 1;
        }

        @Override
        public long completedRound() {
            return completed;
        }

        void answer() {
            if (requested <= started) {
                return;
            }
            long round = ++started;
            boolean unboundPending = false;
            for (SubtaskSplits.Split s : strategy.subtask().assignedSplits()) {
                Partition p = s.partition == 0 ? a : b;
                long position = s.published() == SubtaskSplits.UNKNOWN ? 0 : s.published();
                boolean pending = p.end > position;
                s.verdict(new SubtaskSplits.Verdict(round, position, pending));
                unboundPending |= !s.bound() && pending;
            }
            strategy.subtask().unboundVerdict(new SubtaskSplits.Verdict(round, 0, unboundPending));
            completed = round;
        }
    }

    @BeforeEach
    void subtask() {
        strategy = ProcessPipeline.watermarks(new ProcessPipeline.Options(BOUND, IDLENESS, Duration.ZERO, Duration.ofSeconds(5),
                Duration.ofMinutes(15), 0));
        PushingAsyncDataInput.DataOutput<DecodedRecord> data = new PushingAsyncDataInput.DataOutput<>() {
            @Override
            public void emitRecord(StreamRecord<DecodedRecord> record) {
                recordsAndWatermark.add(new long[] {record.getTimestamp(), lastWatermark()});
            }

            @Override
            public void emitWatermark(org.apache.flink.streaming.api.watermark.Watermark watermark) {
                emitted.add(watermark.getTimestamp());
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
        multiplexer = new WatermarkOutputMultiplexer(new WatermarkToDataOutput(data));
        main = strategy.createWatermarkGenerator(context());
        backlog = new FakeBacklog();
        strategy.subtask().attach(backlog);
        a = split(0, data);
        b = split(1, data);
    }

    private Partition split(int number, PushingAsyncDataInput.DataOutput<DecodedRecord> data) {
        Partition p = new Partition(number);
        String id = TOPIC + "-" + number;
        strategy.subtask().assigned(TOPIC, number, 0);
        multiplexer.registerNewOutput(id, watermark -> {});
        p.output = SourceOutputWithWatermarks.createWithSeparateOutputs(data, multiplexer.getImmediateOutput(id),
                multiplexer.getDeferredOutput(id), strategy.createTimestampAssigner(UnregisteredMetricsGroup::new),
                strategy.createWatermarkGenerator(context()));
        return p;
    }

    private WatermarkGeneratorSupplier.Context context() {
        return new WatermarkGeneratorSupplier.Context() {
            @Override
            public MetricGroup getMetricGroup() {
                return new UnregisteredMetricsGroup();
            }

            @Override
            public ManualClock getInputActivityClock() {
                return clock;
            }
        };
    }

    /** One periodic emission, 200 ms after the last, as Flink's source operator runs it. */
    private void pass() {
        clock.advanceTime(PERIOD);
        backlog.answer();
        a.output.emitPeriodicWatermark();
        b.output.emitPeriodicWatermark();
        main.onPeriodicEmit(new Recording(mainOutput));
        multiplexer.onPeriodicEmit();
    }

    private void passes(Duration duration) {
        for (long t = 0; t < duration.toMillis(); t += PERIOD.toMillis()) {
            pass();
        }
    }

    private long lastWatermark() {
        return emitted.stream().filter(e -> e instanceof Long).mapToLong(e -> (Long) e).max().orElse(Long.MIN_VALUE);
    }

    private Object lastStatus() {
        return emitted.stream().filter(e -> e instanceof WatermarkStatus).reduce((x, y) -> y).orElse(WatermarkStatus.ACTIVE);
    }

    private static long watermarkOf(long time) {
        return time - BOUND.toMillis() - 1;
    }

    /** Records emitted when the watermark downstream had already passed them: what a window would route to late_events. */
    private List<Long> lateRecords() {
        return recordsAndWatermark.stream().filter(r -> r[0] <= r[1]).map(r -> r[0]).toList();
    }

    private static long[] minutes(long from, long to) {
        long[] times = new long[(int) (to - from)];
        for (int i = 0; i < times.length; i++) {
            times[i] = BEGINNING + (from + i) * ONE_MINUTE;
        }
        return times;
    }

    @Test
    void anIdleSubtaskTakesTheHighestWatermarkAnotherSubtaskWentIdleAtAndReportsItsOwn() {
        List<Long> reports = new ArrayList<>();
        strategy.subtask().reportTo(reports::add);
        a.append(BEGINNING).read();
        b.append(BEGINNING + ONE_SECOND).read();
        passes(IDLENESS.plusSeconds(2));
        assertThat(lastStatus()).isEqualTo(WatermarkStatus.IDLE);
        assertThat(reports).as("what the subtask went idle at").containsExactly(watermarkOf(BEGINNING + ONE_SECOND));

        // Another subtask went idle 10 minutes later: downstream the watermark is there already (all inputs idle),
        // and this subtask is counted again when it wakes only once its own watermark has reached it.
        strategy.subtask().highestWatermark(watermarkOf(BEGINNING + 10 * ONE_MINUTE));
        passes(Duration.ofSeconds(2));
        assertThat(lastWatermark()).isEqualTo(watermarkOf(BEGINNING + 10 * ONE_MINUTE));
        assertThat(lastStatus()).as("idle again once a round found it caught up").isEqualTo(WatermarkStatus.IDLE);
    }

    @Test
    void anIdleSplitWithRecordsToReadDoesNotTakeAHigherWatermark() {
        a.append(BEGINNING).read();
        b.append(BEGINNING).read();
        passes(IDLENESS.plusSeconds(2));
        assertThat(lastStatus()).isEqualTo(WatermarkStatus.IDLE);
        b.append(BEGINNING + 5 * ONE_MINUTE); // in Kafka, not read yet
        pass();
        strategy.subtask().highestWatermark(watermarkOf(BEGINNING + 10 * ONE_MINUTE));
        passes(Duration.ofSeconds(2));
        assertThat(lastWatermark()).as("B's records are not read yet").isEqualTo(watermarkOf(BEGINNING));
        b.read();
        passes(Duration.ofSeconds(2));
        assertThat(lateRecords()).isEmpty();
    }

    @Test
    void aBacklogOnBothPartitionsAfterAQuietSpellIsReadBeforeTheWatermarkMoves() {
        a.append(BEGINNING).read();
        b.append(BEGINNING).read();
        passes(Duration.ofSeconds(1));
        assertThat(lastWatermark()).isEqualTo(watermarkOf(BEGINNING));
        passes(IDLENESS.plusSeconds(2));
        assertThat(lastStatus()).isEqualTo(WatermarkStatus.IDLE);

        // Hours of event time land on both partitions at once (one transaction); the reader emits A's part first.
        a.append(minutes(60, 240));
        b.append(minutes(60, 240));
        a.read();
        passes(Duration.ofSeconds(3));
        assertThat(lastWatermark()).as("nothing may pass B's records before they are read").isEqualTo(watermarkOf(BEGINNING));
        b.read();
        passes(Duration.ofSeconds(2));
        assertThat(lateRecords()).isEmpty();
        assertThat(lastWatermark()).isEqualTo(watermarkOf(BEGINNING + 239 * ONE_MINUTE));
        assertThat(mainOutput).doesNotHaveAnyElementsOfTypes(Watermark.class);
    }

    @Test
    void aSplitWhosePartitionHoldsUnreadRecordsIsNeverIdleHoweverLongItWasQuiet() {
        a.append(BEGINNING).read();
        b.append(BEGINNING).read();
        pass();
        // A is read live, second by second; B's records reach Kafka just as fast but its reader is held back.
        long t = BEGINNING;
        for (int i = 0; i < 2 * IDLENESS.toMillis() / PERIOD.toMillis(); i++) {
            t += PERIOD.toMillis();
            a.append(t).read();
            b.append(t);
            pass();
        }
        assertThat(lastStatus()).isEqualTo(WatermarkStatus.ACTIVE);
        assertThat(lastWatermark()).as("B holds the watermark at its last read record").isEqualTo(watermarkOf(BEGINNING));
        b.read();
        pass();
        assertThat(lateRecords()).isEmpty();
        assertThat(lastWatermark()).isEqualTo(watermarkOf(t));
    }

    @Test
    void aPartitionThatIsCaughtUpGoesIdleSoTheOtherMovesTheWatermark() {
        a.append(BEGINNING).read();
        b.append(BEGINNING).read();
        long t = BEGINNING;
        for (int i = 0; i < (IDLENESS.toMillis() + 2000) / PERIOD.toMillis(); i++) {
            t += PERIOD.toMillis();
            a.append(t).read();
            pass();
        }
        assertThat(lastWatermark()).isEqualTo(watermarkOf(t));
        assertThat(lastStatus()).isEqualTo(WatermarkStatus.ACTIVE);
    }

    @Test
    void aPartitionCarryingOnlyRejectedRecordsGoesIdle() {
        a.append(BEGINNING).read();
        b.append(BEGINNING).read();
        long t = BEGINNING;
        for (int i = 0; i < (IDLENESS.toMillis() + 2000) / PERIOD.toMillis(); i++) {
            t += PERIOD.toMillis();
            a.append(t).read();
            b.appendRejected().read();
            pass();
        }
        assertThat(lastWatermark()).isEqualTo(watermarkOf(t));
    }

    @Test
    void whenEverySplitIsCaughtUpTheHighestWatermarkGoesOutBeforeTheSubtaskGoesIdle() {
        a.append(BEGINNING + 10 * ONE_MINUTE).read();
        b.append(BEGINNING).read();
        passes(Duration.ofSeconds(1));
        assertThat(lastWatermark()).isEqualTo(watermarkOf(BEGINNING));
        passes(IDLENESS.plusSeconds(2));
        assertThat(lastWatermark()).isEqualTo(watermarkOf(BEGINNING + 10 * ONE_MINUTE));
        assertThat(emitted.get(emitted.size() - 1)).isEqualTo(WatermarkStatus.IDLE);
    }

    @Test
    void aSplitThatHasReadNothingYetHoldsTheWatermarkWhileItsPartitionHasRecords() {
        b.append(BEGINNING, BEGINNING + ONE_SECOND); // assigned, records in Kafka, the reader has not got to them
        long t = BEGINNING;
        for (int i = 0; i < (IDLENESS.toMillis() + 2000) / PERIOD.toMillis(); i++) {
            t += PERIOD.toMillis();
            a.append(t + 10 * ONE_MINUTE).read();
            pass();
        }
        assertThat(lastWatermark()).isEqualTo(Long.MIN_VALUE);
        b.read();
        pass();
        assertThat(lateRecords()).isEmpty();
        assertThat(lastWatermark()).isEqualTo(watermarkOf(BEGINNING + ONE_SECOND));
    }

    @Test
    void anIdleSplitWhosePartitionGetsRecordsHoldsTheWatermarkAgainUntilTheyAreRead() {
        a.append(BEGINNING).read();
        b.append(BEGINNING).read();
        passes(IDLENESS.plusSeconds(2));
        assertThat(lastStatus()).isEqualTo(WatermarkStatus.IDLE);
        b.append(BEGINNING + 5 * ONE_MINUTE); // in Kafka, not read (a slow fetch)
        passes(Duration.ofSeconds(1));
        a.append(BEGINNING + 20 * ONE_MINUTE).read();
        passes(Duration.ofSeconds(3));
        assertThat(lastWatermark()).isEqualTo(watermarkOf(BEGINNING));
        b.read();
        passes(Duration.ofSeconds(2));
        assertThat(lateRecords()).isEmpty();
        assertThat(lastWatermark()).isEqualTo(watermarkOf(BEGINNING + 5 * ONE_MINUTE));
    }

    @Test
    void withoutABacklogAQuietSplitGoesIdleOnTheClockAlone() {
        strategy.subtask().detach(backlog);
        a.append(BEGINNING).read();
        b.append(BEGINNING).read();
        long t = BEGINNING;
        for (int i = 0; i < (IDLENESS.toMillis() + 2000) / PERIOD.toMillis(); i++) {
            t += PERIOD.toMillis();
            a.append(t).read();
            b.append(t); // unread: nobody can tell
            pass();
        }
        assertThat(lastWatermark()).isEqualTo(watermarkOf(t));
    }

    /** A watermark output that records what it is given. */
    private record Recording(List<Object> into) implements WatermarkOutput {
        @Override
        public void emitWatermark(Watermark watermark) {
            into.add(watermark);
        }

        @Override
        public void markIdle() {
            into.add(WatermarkStatus.IDLE);
        }

        @Override
        public void markActive() {
            into.add(WatermarkStatus.ACTIVE);
        }
    }
}
