package io.pulse.process.model;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * Writes an {@link Activity} field by field (nullable strings as Flink's StringValue, which keeps
 * any UTF-16 text intact, unpaired surrogates included; the metadata as a count and pairs): every valid event crosses several keyed shuffles, and Flink's reflective
 * POJO serializer was a large share of the job's CPU. Activities are not kept in any state; the
 * snapshot still lets a future format change be detected.
 */
public final class ActivitySerializer extends TypeSerializerSingleton<Activity> {
    private static final long serialVersionUID = 1L;
    public static final ActivitySerializer INSTANCE = new ActivitySerializer();
    private static final int NO_METADATA = -1;

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public Activity createInstance() {
        return new Activity();
    }

    @Override
    public Activity copy(Activity from) {
        Activity a = new Activity();
        a.eventId = from.eventId;
        a.userId = from.userId;
        a.eventType = from.eventType;
        a.eventTime = from.eventTime;
        a.device = from.device;
        a.page = from.page;
        a.contentId = from.contentId;
        a.metadata = from.metadata == null ? null : new HashMap<>(from.metadata);
        return a;
    }

    @Override
    public Activity copy(Activity from, Activity reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(Activity a, DataOutputView out) throws IOException {
        StringValue.writeString(a.eventId, out);
        StringValue.writeString(a.userId, out);
        StringValue.writeString(a.eventType, out);
        out.writeLong(a.eventTime);
        StringValue.writeString(a.device, out);
        StringValue.writeString(a.page, out);
        StringValue.writeString(a.contentId, out);
        if (a.metadata == null) {
            out.writeInt(NO_METADATA);
            return;
        }
        out.writeInt(a.metadata.size());
        for (Map.Entry<String, String> e : a.metadata.entrySet()) {
            StringValue.writeString(e.getKey(), out);
            StringValue.writeString(e.getValue(), out);
        }
    }

    @Override
    public Activity deserialize(DataInputView in) throws IOException {
        Activity a = new Activity();
        a.eventId = StringValue.readString(in);
        a.userId = StringValue.readString(in);
        a.eventType = StringValue.readString(in);
        a.eventTime = in.readLong();
        a.device = StringValue.readString(in);
        a.page = StringValue.readString(in);
        a.contentId = StringValue.readString(in);
        int entries = in.readInt();
        if (entries != NO_METADATA) {
            a.metadata = new HashMap<>(Math.max(4, entries * 2));
            for (int i = 0; i < entries; i++) {
                a.metadata.put(StringValue.readString(in), StringValue.readString(in));
            }
        }
        return a;
    }

    @Override
    public Activity deserialize(Activity reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        StringValue.copyString(in, out); // eventId
        StringValue.copyString(in, out); // userId
        StringValue.copyString(in, out); // eventType
        out.writeLong(in.readLong()); // eventTime
        StringValue.copyString(in, out); // device
        StringValue.copyString(in, out); // page
        StringValue.copyString(in, out); // contentId
        int entries = in.readInt();
        out.writeInt(entries);
        for (int i = 0; i < Math.max(0, entries) * 2; i++) {
            StringValue.copyString(in, out);
        }
    }

    @Override
    public TypeSerializerSnapshot<Activity> snapshotConfiguration() {
        return new Snapshot();
    }

    /** The serializer's snapshot: no configuration, version 1. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<Activity> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
