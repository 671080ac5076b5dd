import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * Creates the topics of the local stack if they are missing, waiting for the broker until a
 * deadline. Run by stack.sh with the broker's own jars: {@code java -cp "lib/kafka/*" KafkaTopics.java
 * BOOTSTRAP TIMEOUT_S name:partitions ...}, or {@code ... BOOTSTRAP TIMEOUT_S --delete name ...}; Kafka client
 * properties (SASL, TLS) from the file in {@code PULSE_KAFKA_PROPERTIES_FILE} when it is set.
 */
public class KafkaTopics {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        long deadline = System.currentTimeMillis() + Long.parseLong(args[1]) * 1000;
        Properties props = new Properties();
        String clientProperties = System.getenv("PULSE_KAFKA_PROPERTIES_FILE"); // the secure stack's SASL/TLS client settings
        if (clientProperties != null && !clientProperties.isEmpty()) {
            try (java.io.Reader in = java.nio.file.Files.newBufferedReader(java.nio.file.Path.of(clientProperties))) {
                props.load(in);
            }
        }
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
        try (Admin admin = Admin.create(props)) {
            if (args.length > 2 && args[2].equals("--delete")) {
                admin.deleteTopics(java.util.Arrays.asList(args).subList(3, args.length)).all().get();
                return;
            }
            Exception last = null;
            while (System.currentTimeMillis() < deadline) {
                try {
                    Set<String> existing = admin.listTopics().names().get();
                    List<NewTopic> missing = new ArrayList<>();
                    for (int i = 2; i < args.length; i++) {
                        String[] spec = args[i].split(":");
                        if (!existing.contains(spec[0])) {
                            missing.add(new NewTopic(spec[0], Integer.parseInt(spec[1]), (short) 1)
                                    .configs(Map.of("min.insync.replicas", "1")));
                        }
                    }
                    if (!missing.isEmpty()) {
                        admin.createTopics(missing).all().get();
                    }
                    System.out.println("topics ready: " + admin.listTopics().names().get());
                    return;
                } catch (Exception e) {
                    last = e;
                    Thread.sleep(500);
                }
            }
            System.err.println("Kafka at " + bootstrap + " did not accept topic creation in time: " + last);
            System.exit(1);
        }
    }
}
