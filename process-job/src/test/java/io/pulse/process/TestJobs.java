package io.pulse.process;

import java.util.Properties;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.jobgraph.SavepointConfigOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** How the integration tests run the process job and feed Kafka (shared with the end-to-end suite). */
public final class TestJobs {
    /**
     * Name prefixes of the job's vertices that run window operators: each starts with the watermark
     * keeper its shuffle feeds (session_kpis, user_sessions, aggregated_counts and active_users'
     * slides run chained behind "partition by user", page_view_counts behind "partition by page",
     * the active_users counter behind "partition by window").
     */
    public static final java.util.List<String> WINDOW_VERTICES = java.util.List.of(
            io.pulse.process.OperatorNames.PARTITION_BY_USER, io.pulse.process.OperatorNames.PARTITION_BY_PAGE,
            io.pulse.process.OperatorNames.PARTITION_BY_WINDOW);

    private TestJobs() {}

    /** The whole process job on an in-process MiniCluster (parallelism 2, REST on 127.0.0.1:restPort). */
    public static JobClient startProcessJob(ProcessSettings settings, String savepoint, int restPort, String name) throws Exception {
        return startProcessJob(settings, savepoint, restPort, name, java.util.Map.of());
    }

    /** The same with more cluster settings (a metric reporter, say). */
    public static JobClient startProcessJob(ProcessSettings settings, String savepoint, int restPort, String name,
                                            java.util.Map<String, String> cluster) throws Exception {
        return startProcessJob(settings, savepoint, restPort, name, cluster, 2);
    }

    /** The same at {@code parallelism}. */
    public static JobClient startProcessJob(ProcessSettings settings, String savepoint, int restPort, String name,
                                            java.util.Map<String, String> cluster, int parallelism) throws Exception {
        Configuration conf = new Configuration();
        cluster.forEach(conf::setString);
        conf.setString("rest.bind-address", "127.0.0.1");
        conf.setString("rest.port", Integer.toString(restPort));
        if (savepoint != null) {
            conf.set(SavepointConfigOptions.SAVEPOINT_PATH, savepoint);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(parallelism);
        ProcessJob.configure(env, settings);
        ProcessJob.pipeline(settings).build(env);
        return env.executeAsync(name);
    }

    /** A transactional producer, as the Pulse producer's replay and Flink's exactly-once sinks write. */
    public static KafkaProducer<byte[], byte[]> transactionalProducer(String bootstrap, String transactionalId) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("transactional.id", transactionalId);
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        producer.initTransactions();
        return producer;
    }

    /** An idempotent producer with acks=all, as the Pulse producer sends. */
    public static KafkaProducer<byte[], byte[]> kafkaProducer(String bootstrap) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("enable.idempotence", "true");
        props.put("acks", "all");
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
