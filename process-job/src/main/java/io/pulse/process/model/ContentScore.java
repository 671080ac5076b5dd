package io.pulse.process.model;

import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;

/**
 * A change to the engagement score of one content item at one event time: {@code count} +1 with the
 * event's score when an engagement event appears, -1 with the negated score when it is updated away
 * or deleted. The event's id, user and type travel along for the late_events record.
 */
public class ContentScore {
    public String eventId;
    public String userId;
    public String eventType;
    public String contentId;
    public long eventTime;
    public double score;
    public int count;

    public static final TypeInformation<ContentScore> TYPE = Types.POJO(ContentScore.class, Map.of(
            "eventId", Types.STRING, "userId", Types.STRING, "eventType", Types.STRING, "contentId", Types.STRING,
            "eventTime", Types.LONG, "score", Types.DOUBLE, "count", Types.INT));

    public ContentScore() {}

    public ContentScore(String contentId, long eventTime, double score) {
        this(null, null, null, contentId, eventTime, score, 1);
    }

    public ContentScore(String eventId, String userId, String eventType, String contentId, long eventTime, double score,
                        int count) {
        this.eventId = eventId;
        this.userId = userId;
        this.eventType = eventType;
        this.contentId = contentId;
        this.eventTime = eventTime;
        this.score = score;
        this.count = count;
    }

    /** The change that takes this one back. */
    public ContentScore retraction() {
        return new ContentScore(eventId, userId, eventType, contentId, eventTime, -score, -count);
    }

    /** The same contribution to the same windows: an update that changes neither is no change. */
    public boolean sameContribution(ContentScore o) {
        return eventTime == o.eventTime && score == o.score && java.util.Objects.equals(contentId, o.contentId);
    }

    /** The late_events form: the engagement event as an activity of its user on its content. */
    public Activity asActivity() {
        Activity a = Activity.of(eventId, userId, eventType, eventTime);
        a.contentId = contentId;
        return a;
    }

    @Override
    public String toString() {
        return "ContentScore{" + eventId + ", " + contentId + ", " + eventTime + ", " + score + " x" + count + "}";
    }
}
