package io.pulse.process.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * Writes an {@link Activity} field by field (strings losslessly, see {@link #writeString}; the
 * metadata as a count and pairs): every valid event crosses several keyed shuffles, and Flink's reflective
 * POJO serializer was a large share of the job's CPU. Activities are not kept in any state; the
 * snapshot still lets a future format change be detected.
 *
 * <p>Each instance has a scratch buffer through which one-byte strings pass, so a string costs one
 * copy and one array each way (the JDK's getBytes and new String from a byte[] of its own cost two):
 * an instance is for one thread at a time, and {@link #duplicate()} gives each user its own.
 */
public final class ActivitySerializer extends TypeSerializer<Activity> {
    private static final long serialVersionUID = 1L;
    private static final int NO_METADATA = -1;
    private static final int NULL_STRING = -1;
    private static final int WIDE_STRING = -2;

    private transient byte[] scratch = new byte[64];

    @Override
    public ActivitySerializer duplicate() {
        return new ActivitySerializer();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ActivitySerializer;
    }

    @Override
    public int hashCode() {
        return ActivitySerializer.class.hashCode();
    }

    private byte[] scratch(int length) {
        if (scratch == null || scratch.length < length) {
            scratch = new byte[Math.max(length, 64)];
        }
        return scratch;
    }

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
        writeString(a.eventId, out);
        writeString(a.userId, out);
        writeString(a.eventType, out);
        out.writeLong(a.eventTime);
        writeString(a.device, out);
        writeString(a.page, out);
        writeString(a.contentId, out);
        if (a.metadata == null) {
            out.writeInt(NO_METADATA);
            return;
        }
        int entries = a.metadata.size();
        out.writeInt(entries);
        if (entries == 0) {
            return; // most events: no iterator to set up
        }
        for (Map.Entry<String, String> e : a.metadata.entrySet()) {
            writeString(e.getKey(), out);
            writeString(e.getValue(), out);
        }
    }

    @Override
    public Activity deserialize(DataInputView in) throws IOException {
        Activity a = new Activity();
        a.eventId = readString(in);
        a.userId = readString(in);
        a.eventType = readString(in);
        a.eventTime = in.readLong();
        a.device = readString(in);
        a.page = readString(in);
        a.contentId = readString(in);
        int entries = in.readInt();
        if (entries != NO_METADATA) {
            a.metadata = new HashMap<>(Math.max(4, entries * 2));
            for (int i = 0; i < entries; i++) {
                a.metadata.put(readString(in), readString(in));
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
        copyString(in, out); // eventId
        copyString(in, out); // userId
        copyString(in, out); // eventType
        out.writeLong(in.readLong()); // eventTime
        copyString(in, out); // device
        copyString(in, out); // page
        copyString(in, out); // contentId
        int entries = in.readInt();
        out.writeInt(entries);
        for (int i = 0; i < Math.max(0, entries) * 2; i++) {
            copyString(in, out);
        }
    }

    /**
     * A string whose characters all fit in one byte (ids, types, devices, most pages) as its length
     * and Latin-1 bytes, which the JDK copies in bulk; any other as Flink's StringValue, which keeps
     * every UTF-16 unit (unpaired surrogates included); null as a marker.
     */
    @SuppressWarnings("deprecation") // getBytes(int, int, byte[], int): the low byte of each char, which is the char here
    void writeString(String s, DataOutputView out) throws IOException {
        if (s == null) {
            out.writeInt(NULL_STRING);
            return;
        }
        int length = s.length();
        for (int i = 0; i < length; i++) {
            if (s.charAt(i) > 0xFF) {
                out.writeInt(WIDE_STRING);
                StringValue.writeString(s, out);
                return;
            }
        }
        out.writeInt(length);
        byte[] bytes = scratch(length);
        s.getBytes(0, length, bytes, 0);
        out.write(bytes, 0, length);
    }

    String readString(DataInputView in) throws IOException {
        int length = in.readInt();
        if (length == NULL_STRING) {
            return null;
        }
        if (length == WIDE_STRING) {
            return StringValue.readString(in);
        }
        byte[] bytes = scratch(length);
        in.readFully(bytes, 0, length);
        return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
    }

    static void copyString(DataInputView in, DataOutputView out) throws IOException {
        int length = in.readInt();
        out.writeInt(length);
        if (length == WIDE_STRING) {
            StringValue.copyString(in, out);
        } else if (length > 0) {
            out.write(in, length);
        }
    }

    @Override
    public TypeSerializerSnapshot<Activity> snapshotConfiguration() {
        return new Snapshot();
    }

    /** The serializer's snapshot: no configuration, version 1. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<Activity> {
        public Snapshot() {
            super(ActivitySerializer::new);
        }
    }
}
