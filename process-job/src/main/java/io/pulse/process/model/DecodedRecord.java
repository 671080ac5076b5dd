package io.pulse.process.model;

import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;

/**
 * What the source hands on for one Kafka record: the decoded activity, or (activity null) the
 * reason it was rejected and where it came from, for dead_letter.
 */
public class DecodedRecord {
    public Activity activity;
    public String reason;
    public String detail;
    public String topic;
    public int partition;
    public long offset;
    public byte[] key;
    public byte[] payload;

    public static final TypeInformation<DecodedRecord> TYPE = Types.POJO(DecodedRecord.class, Map.of(
            "activity", Activity.TYPE, "reason", Types.STRING, "detail", Types.STRING, "topic", Types.STRING,
            "partition", Types.INT, "offset", Types.LONG,
            "key", Types.PRIMITIVE_ARRAY(Types.BYTE), "payload", Types.PRIMITIVE_ARRAY(Types.BYTE)));

    public DecodedRecord() {}

    public static DecodedRecord valid(Activity activity) {
        DecodedRecord r = new DecodedRecord();
        r.activity = activity;
        return r;
    }

    public static DecodedRecord rejected(String reason, String detail, String topic, int partition, long offset,
                                         byte[] key, byte[] payload) {
        DecodedRecord r = new DecodedRecord();
        r.reason = reason;
        r.detail = detail;
        r.topic = topic;
        r.partition = partition;
        r.offset = offset;
        r.key = key;
        r.payload = payload;
        return r;
    }

    public boolean isValid() {
        return activity != null;
    }
}
