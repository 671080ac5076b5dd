package io.pulse.process.model;

import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;

/** The engagement score one event adds to one content item at one event time. */
public class ContentScore {
    public String contentId;
    public long eventTime;
    public double score;

    public static final TypeInformation<ContentScore> TYPE = Types.POJO(ContentScore.class,
            Map.of("contentId", Types.STRING, "eventTime", Types.LONG, "score", Types.DOUBLE));

    public ContentScore() {}

    public ContentScore(String contentId, long eventTime, double score) {
        this.contentId = contentId;
        this.eventTime = eventTime;
        this.score = score;
    }
}
