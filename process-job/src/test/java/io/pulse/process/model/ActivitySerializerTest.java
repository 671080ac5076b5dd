package io.pulse.process.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class ActivitySerializerTest {
    private static final ActivitySerializer SERIALIZER = new ActivitySerializer();

    private static Activity full() {
        Activity a = Activity.of("e-1", "user_Ä", "purchase", 1_753_358_400_123L).withDevice("iPhone").withPage("/cart");
        a.contentId = "c-9";
        a.metadata.put("product", "Ergonomic Chair");
        a.metadata.put("price", "19.99");
        return a;
    }

    private static Activity sparse() {
        Activity a = new Activity();
        a.userId = "123";
        a.eventType = "click";
        a.eventTime = -5; // before the epoch
        return a; // every other field null, metadata null
    }

    private static byte[] bytes(Activity a) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(64);
        SERIALIZER.serialize(a, out);
        return out.getCopyOfBuffer();
    }

    private static Activity read(byte[] bytes) throws Exception {
        DataInputDeserializer in = new DataInputDeserializer(bytes);
        Activity a = SERIALIZER.deserialize(in);
        assertThat(in.available()).isZero();
        return a;
    }

    @Test
    void roundTripsEveryFieldIncludingNullsAndEmptyMetadata() throws Exception {
        Activity empty = Activity.of("e-2", "u", "login", 0);
        // JSON input may carry an unpaired surrogate: the key must survive the shuffle unchanged, or
        // the receiving subtask computes another key group than the sender did.
        Activity surrogate = Activity.of("e-3", "u\ud800", "click", 1);
        Activity wide = Activity.of("e-4", "用户-ü-\uD83D\uDE00", "", 2).withPage("/straße");
        wide.metadata.put("ключ", "ÿ");
        // longer than the scratch buffer's first size, then short again: the buffer grows, nothing leaks between strings
        Activity longOne = Activity.of("e-5", "u".repeat(300), "click", 3).withPage("/p/" + "ä".repeat(200));
        for (Activity a : new Activity[] {full(), sparse(), empty, surrogate, wide, longOne, full()}) {
            Activity back = read(bytes(a));
            assertThat(back).usingRecursiveComparison().isEqualTo(a);
        }
        assertThat(read(bytes(sparse())).metadata).isNull();
        assertThat(read(bytes(empty)).metadata).isEmpty();
    }

    @Test
    void copiesBetweenViewsByteForByteAndCopiesObjectsDeeply() throws Exception {
        Activity wide = Activity.of("e-5", "用户\ud800", "click", 3);
        for (Activity a : new Activity[] {full(), sparse(), wide}) {
            byte[] original = bytes(a);
            DataOutputSerializer copied = new DataOutputSerializer(64);
            DataInputDeserializer in = new DataInputDeserializer(original);
            SERIALIZER.copy(in, copied);
            assertThat(copied.getCopyOfBuffer()).isEqualTo(original);
            assertThat(in.available()).isZero();
        }
        Activity a = full();
        Activity copy = SERIALIZER.copy(a);
        copy.metadata.put("price", "0");
        assertThat(a.metadata).containsEntry("price", "19.99");
        assertThat(copy).isNotSameAs(a);
    }

    @Test
    void itsSnapshotRestoresTheSameSerializerAsCompatible() throws Exception {
        TypeSerializerSnapshot<Activity> snapshot = SERIALIZER.snapshotConfiguration();
        DataOutputSerializer out = new DataOutputSerializer(64);
        TypeSerializerSnapshot.writeVersionedSnapshot(out, snapshot);
        TypeSerializerSnapshot<Activity> restored = TypeSerializerSnapshot.readVersionedSnapshot(
                new DataInputDeserializer(out.getCopyOfBuffer()), getClass().getClassLoader());
        TypeSerializerSchemaCompatibility<Activity> compatibility = SERIALIZER.snapshotConfiguration()
                .resolveSchemaCompatibility(restored);
        assertThat(compatibility.isCompatibleAsIs()).isTrue();
        assertThat(restored.restoreSerializer()).isEqualTo(SERIALIZER);
    }

    @Test
    void theRecordsThatCarryAnActivityUseItAndNeedNoKryo() throws Exception {
        SerializerConfigImpl config = new SerializerConfigImpl();
        config.setGenericTypes(false); // a field falling back to Kryo would throw here
        assertThat(Activity.TYPE.createSerializer(config)).isEqualTo(SERIALIZER);
        // each thread gets its own: an instance keeps a scratch buffer
        assertThat(SERIALIZER.duplicate()).isEqualTo(SERIALIZER).isNotSameAs(SERIALIZER);
        DecodedRecord.TYPE.createSerializer(config);
        TypeSerializer<LateActivity> late = LateActivity.TYPE.createSerializer(config);
        LateActivity record = new LateActivity();
        record.operator = "user_sessions";
        record.activity = full();
        record.watermark = 42;
        DataOutputSerializer out = new DataOutputSerializer(64);
        late.serialize(record, out);
        LateActivity back = late.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        assertThat(back).usingRecursiveComparison().isEqualTo(record);
    }
}
