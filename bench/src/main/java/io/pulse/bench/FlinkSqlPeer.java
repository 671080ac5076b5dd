package io.pulse.bench;

import io.pulse.process.model.DecodedRecord;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;

/**
 * The Flink SQL peer of the process job for {@code ./pulse bench}: the same topic, decoded by the
 * same source, into the same window definitions written as SQL window TVFs — 1-minute page views
 * per page, 5-minute windows sliding by 1 minute with exact distinct users, 5-minute per
 * (user, device) KPIs — with the same state backend and checkpointing, into blackhole sinks. What
 * a user would write instead of Pulse's DataStream operators. Needs Flink's table runtime on the
 * classpath (the local stack resolves it into .pulse/lib/flink-table).
 */
final class FlinkSqlPeer {
    private FlinkSqlPeer() {}

    static long run(ProcessBenchmark.Setup setup) throws Exception {
        ProcessBenchmark.BenchJob job = ProcessBenchmark.BenchJob.create(setup);
        StreamExecutionEnvironment env = job.env();
        // Only the columns the queries read, as a flat row (no POJO, no map column).
        DataStream<Row> activities = env.fromSource(job.source(), WatermarkStrategy.noWatermarks(), SourceProgress.SOURCE_NAME)
                .filter(DecodedRecord::isValid)
                .map(r -> Row.of(r.activity.userId, r.activity.eventType, r.activity.eventTime, r.activity.device, r.activity.page),
                        Types.ROW_NAMED(new String[] {"userId", "eventType", "eventTime", "device", "page"},
                                Types.STRING, Types.STRING, Types.LONG, Types.STRING, Types.STRING));
        StreamTableEnvironment tables = StreamTableEnvironment.create(env);
        // Two-phase (local/global) window aggregation fails here with "Key group ... is not in
        // KeyGroupRange" at the global side; one phase is what a keyed DataStream window does too.
        tables.getConfig().set("table.optimizer.agg-phase-strategy", "ONE_PHASE");
        tables.createTemporaryView("activity", tables.fromDataStream(activities, Schema.newBuilder()
                .columnByExpression("ts", "TO_TIMESTAMP_LTZ(eventTime, 3)")
                .watermark("ts", "ts - INTERVAL '2' MINUTE")
                .build()));
        tables.executeSql("CREATE TEMPORARY TABLE page_views (window_start TIMESTAMP(3), page STRING, view_count BIGINT) WITH ('connector' = 'blackhole')");
        tables.executeSql("CREATE TEMPORARY TABLE active (window_start TIMESTAMP(3), user_count BIGINT) WITH ('connector' = 'blackhole')");
        tables.executeSql("CREATE TEMPORARY TABLE kpis (user_id STRING, device STRING, window_start TIMESTAMP(3), first_time BIGINT, "
                + "last_time BIGINT, actions BIGINT, did_login BOOLEAN, did_purchase BOOLEAN) WITH ('connector' = 'blackhole')");
        StatementSet statements = tables.createStatementSet();
        statements.addInsertSql("INSERT INTO page_views SELECT window_start, page, COUNT(*) FROM TABLE(TUMBLE(TABLE activity, "
                + "DESCRIPTOR(ts), INTERVAL '1' MINUTE)) WHERE eventType = 'page_view' AND page IS NOT NULL "
                + "GROUP BY window_start, window_end, page");
        statements.addInsertSql("INSERT INTO active SELECT window_start, COUNT(DISTINCT userId) FROM TABLE(HOP(TABLE activity, "
                + "DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '5' MINUTE)) GROUP BY window_start, window_end");
        statements.addInsertSql("INSERT INTO kpis SELECT userId, COALESCE(device, 'unknown'), window_start, MIN(eventTime), MAX(eventTime), "
                + "COUNT(*), MAX(eventType = 'login'), MAX(eventType = 'purchase') FROM TABLE(TUMBLE(TABLE activity, DESCRIPTOR(ts), "
                + "INTERVAL '5' MINUTE)) GROUP BY userId, COALESCE(device, 'unknown'), window_start, window_end");
        try {
            statements.execute().await();
        } finally {
            job.deleteCheckpoints();
        }
        return setup.events();
    }
}
