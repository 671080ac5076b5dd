package io.pulse.process.model;

import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;

/** An activity a window operator did not count because it came after its window closed. */
public class LateActivity {
    public String operator;
    public Activity activity;
    public long watermark;

    public static final TypeInformation<LateActivity> TYPE = Types.POJO(LateActivity.class, Map.of(
            "operator", Types.STRING, "activity", Activity.TYPE, "watermark", Types.LONG));

    public LateActivity() {}

    public LateActivity(String operator, Activity activity, long watermark) {
        this.operator = operator;
        this.activity = activity;
        this.watermark = watermark;
    }

    @Override
    public String toString() {
        return "LateActivity{" + operator + ", " + activity + ", watermark " + watermark + "}";
    }
}
