import com.datastax.driver.core.Cluster;
import com.datastax.driver.core.Session;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Applies a CQL file statement by statement, waiting for Cassandra until a deadline. Run by
 * stack.sh with the server's own jars (they ship the 3.x driver):
 * {@code java -cp "lib/cassandra/*" CqlApply.java HOST PORT TIMEOUT_S FILE}.
 */
public class CqlApply {
    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        long deadline = System.currentTimeMillis() + Long.parseLong(args[2]) * 1000;
        String cql = Files.readString(Path.of(args[3])).replaceAll("(?m)--.*$", "");
        Exception last = null;
        while (System.currentTimeMillis() < deadline) {
            try (Cluster cluster = Cluster.builder().addContactPoint(host).withPort(port)
                    .withoutJMXReporting().withoutMetrics().build();
                 Session session = cluster.connect()) {
                for (String statement : cql.split(";")) {
                    if (!statement.isBlank()) {
                        session.execute(statement.strip());
                    }
                }
                System.out.println("applied " + args[3]);
                return;
            } catch (Exception e) {
                last = e;
                Thread.sleep(1000);
            }
        }
        System.err.println("Cassandra at " + host + ":" + port + " did not accept " + args[3] + " in time: " + last);
        System.exit(1);
    }
}
