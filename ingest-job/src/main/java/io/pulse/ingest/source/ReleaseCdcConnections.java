package io.pulse.ingest.source;

import io.pulse.ingest.pipeline.EngagementChange;
import io.pulse.model.settings.PostgresConnection;
import java.io.IOException;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.cdc.connectors.base.relational.connection.JdbcConnectionPools;
import org.apache.flink.cdc.connectors.postgres.source.PostgresConnectionPoolFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passes every change on unchanged, and makes sure the CDC source's connections go when the job's
 * class loader does. Flink CDC keeps its JDBC connection pools in a static map it never closes
 * (apache/flink-cdc#4539): each pool's housekeeper thread, and pgjdbc's registration with
 * DriverManager, would keep the job's class loader, and every class it loaded, in the TaskManager
 * after the job is gone, one more for every submission and every restart that moved the job.
 */
public final class ReleaseCdcConnections extends RichMapFunction<EngagementChange, EngagementChange> {
    private static final long serialVersionUID = 1L;
    static final String RELEASE_HOOK = "pulse-release-cdc-connections";
    private static final Logger LOG = LoggerFactory.getLogger(ReleaseCdcConnections.class);

    @Override
    public void open(OpenContext context) {
        getRuntimeContext().registerUserCodeClassLoaderReleaseHookIfAbsent(RELEASE_HOOK, ReleaseCdcConnections::release);
    }

    @Override
    public EngagementChange map(EngagementChange value) {
        return value;
    }

    /** Closes the CDC source's connection pools and deregisters the JDBC drivers of this job's class loader. */
    static void release() {
        if (!PostgresConnection.jobClassLoader()) {
            return; // the application class loader (tests on a MiniCluster): other jobs of the process share the pools
        }
        try {
            JdbcConnectionPools.getInstance(new PostgresConnectionPoolFactory()).clear();
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not close Flink CDC's connection pools as the job's class loader is released: {}", e.toString());
        }
        PostgresConnection.releaseDrivers();
    }
}
