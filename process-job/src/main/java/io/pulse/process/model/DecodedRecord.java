package io.pulse.process.model;

import io.pulse.model.diagnostics.DeadLetter;
import java.util.Arrays;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;

/**
 * What the source hands on for one Kafka record: the decoded activity, or (activity null) the
 * reason it was rejected and where it came from, for dead_letter. A rejected record keeps at most a
 * dead letter's payload limit of its bytes (with the whole payload's size and SHA-256), so a huge
 * record is not carried through the graph.
 */
public class DecodedRecord {
    /** Bytes of a rejected record's key kept for its dead letter. */
    public static final int MAX_KEY_BYTES = 1024;

    public Activity activity;
    public String reason;
    public String detail;
    public String topic;
    public int partition;
    public long offset;
    public byte[] key;
    public byte[] payload;
    public long payloadSize;
    public String payloadSha256;
    /** The sink whose store refused the row; null for a record rejected at the edge. */
    public String sink;

    public static final TypeInformation<DecodedRecord> TYPE = Types.POJO(DecodedRecord.class, Map.ofEntries(
            Map.entry("activity", Activity.TYPE), Map.entry("reason", Types.STRING), Map.entry("detail", Types.STRING),
            Map.entry("topic", Types.STRING), Map.entry("partition", Types.INT), Map.entry("offset", Types.LONG),
            Map.entry("key", Types.PRIMITIVE_ARRAY(Types.BYTE)), Map.entry("payload", Types.PRIMITIVE_ARRAY(Types.BYTE)),
            Map.entry("payloadSize", Types.LONG), Map.entry("payloadSha256", Types.STRING), Map.entry("sink", Types.STRING)));

    public DecodedRecord() {}

    public static DecodedRecord valid(Activity activity) {
        DecodedRecord r = new DecodedRecord();
        r.activity = activity;
        return r;
    }

    public static DecodedRecord rejected(String reason, String detail, String topic, int partition, long offset,
                                         byte[] key, byte[] payload) {
        return rejected(reason, detail, topic, partition, offset, key, payload, DeadLetter.DEFAULT_MAX_PAYLOAD_BYTES);
    }

    /** A rejected record keeping at most {@code maxPayloadBytes} of its payload. */
    public static DecodedRecord rejected(String reason, String detail, String topic, int partition, long offset,
                                         byte[] key, byte[] payload, int maxPayloadBytes) {
        byte[] bytes = payload == null ? new byte[0] : payload;
        DecodedRecord r = new DecodedRecord();
        r.reason = reason;
        r.detail = detail;
        r.topic = topic;
        r.partition = partition;
        r.offset = offset;
        r.key = key == null || key.length <= MAX_KEY_BYTES ? key : Arrays.copyOf(key, MAX_KEY_BYTES);
        r.payloadSize = bytes.length;
        r.payloadSha256 = DeadLetter.sha256(bytes);
        r.payload = bytes.length <= maxPayloadBytes ? bytes : Arrays.copyOf(bytes, maxPayloadBytes);
        return r;
    }

    public boolean isValid() {
        return activity != null;
    }

    /** The dead letter of a rejected record. */
    public DeadLetter deadLetter() {
        byte[] bytes = payload == null ? new byte[0] : payload;
        long size = payloadSize > 0 ? payloadSize : bytes.length;
        return new DeadLetter(reason, detail, topic, partition, offset, sink, size,
                payloadSha256 != null ? payloadSha256 : DeadLetter.sha256(bytes), size > bytes.length, bytes);
    }
}
