package io.pulse.process.activity;

import io.pulse.process.OperatorNames;
import io.pulse.process.ProcessPipeline;
import io.pulse.process.model.Activity;
import io.pulse.process.model.SessionCount;
import io.pulse.process.model.SessionKpi;
import io.pulse.process.model.UserSession;
import io.pulse.runtime.CachingKeyedProcessOperator;
import java.time.Duration;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.util.OutputTag;

/**
 * Each function of the per-user operator ({@link ProcessPipeline#perUser}) as an operator of its own,
 * for tests that drive one output at a time.
 */
final class SingleOutputOperators {
    private SingleOutputOperators() {}

    /** session_kpis: 5-minute tumbling windows per (user, device); the per-user operator runs the same function. */
    static SingleOutputStreamOperator<SessionKpi> sessionKpis(KeyedStream<Activity, String> byUser, Duration lateness,
                                                                    OutputTag<Activity> late, int stateCacheKeys) {
        return byUser
                .transform(OperatorNames.SESSION_KPIS, TypeInformation.of(SessionKpi.class),
                        new CachingKeyedProcessOperator<>(new SessionKpiWindows(ProcessPipeline.KPI_WINDOW, lateness, late), stateCacheKeys))
                .uid(OperatorNames.SESSION_KPIS).name(OperatorNames.SESSION_KPIS);
    }

    /**
     * active_users, per user: each open 5-minute sliding window a user is new to, counted per window
     * across the subtask's users and sent as (window start, users) before each watermark (and the
     * user's late records); chained behind the shuffle by user, like the other per-user outputs.
     */
    static SingleOutputStreamOperator<Tuple2<Long, Long>> activeUserSlides(KeyedStream<Activity, String> byUser, Duration lateness,
                                                                                 int stateCacheKeys) {
        return byUser
                .transform(OperatorNames.ACTIVE_USERS + " slides", ActiveUserSlides.COUNTS, new CachingKeyedProcessOperator<>(
                        new ActiveUserSlides(ProcessPipeline.ACTIVE_USERS_SIZE, ProcessPipeline.ACTIVE_USERS_SLIDE, lateness), stateCacheKeys))
                .uid("active_users-slides").name(OperatorNames.ACTIVE_USERS + " slides");
    }

    /** user_sessions: start/end per user, closed by session_end or the inactivity timeout. */
    static SingleOutputStreamOperator<UserSession> userSessions(KeyedStream<Activity, String> byUser, Duration timeout,
                                                                      int stateCacheKeys) {
        return byUser
                .transform(OperatorNames.USER_SESSIONS, TypeInformation.of(UserSession.class),
                        new CachingKeyedProcessOperator<>(new UserSessionizer(timeout), stateCacheKeys))
                .uid(OperatorNames.USER_SESSIONS).name(OperatorNames.USER_SESSIONS);
    }

    /** aggregated_counts: session windows per user with the given gap. */
    static SingleOutputStreamOperator<SessionCount> aggregatedCounts(KeyedStream<Activity, String> byUser, Duration gap,
                                                                           Duration lateness, OutputTag<Activity> late,
                                                                           int stateCacheKeys) {
        return byUser
                .transform(OperatorNames.AGGREGATED_COUNTS, TypeInformation.of(SessionCount.class),
                        new CachingKeyedProcessOperator<>(new SessionWindowCounter(gap, lateness, late), stateCacheKeys))
                .uid(OperatorNames.AGGREGATED_COUNTS).name(OperatorNames.AGGREGATED_COUNTS);
    }

}
