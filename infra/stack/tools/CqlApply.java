import com.datastax.driver.core.exceptions.AuthenticationException;
import com.datastax.driver.core.Cluster;
import com.datastax.driver.core.RemoteEndpointAwareJdkSSLOptions;
import com.datastax.driver.core.Session;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Applies a CQL file statement by statement, waiting for Cassandra until a deadline. Run by
 * stack.sh with the server's own jars (they ship the 3.x driver):
 * {@code java -cp "lib/cassandra/*" CqlApply.java HOST PORT TIMEOUT_S FILE}. With
 * {@code PULSE_SECRETS_DIR} set (the secure stack) it speaks TLS trusting ca.pem there, makes the
 * superuser role {@code pulse} with the stack's password, and moves the built-in {@code cassandra}
 * role off its well-known password.
 */
public class CqlApply {
    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        long deadline = System.currentTimeMillis() + Long.parseLong(args[2]) * 1000;
        String cql = Files.readString(Path.of(args[3])).replaceAll("(?m)--.*$", "");
        String secrets = System.getenv("PULSE_SECRETS_DIR");
        boolean secure = secrets != null && !secrets.isEmpty();
        String password = secure ? Files.readString(Path.of(secrets, "password")).strip() : null;
        Exception last = null;
        while (System.currentTimeMillis() < deadline) {
            try {
                if (secure) {
                    ensureRole(host, port, secrets, password);
                }
                try (Cluster cluster = cluster(host, port, secrets, "pulse", password); Session session = cluster.connect()) {
                    for (String statement : cql.split(";")) {
                        if (!statement.isBlank()) {
                            session.execute(statement.strip());
                        }
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

    /** The role pulse exists once the built-in superuser has made it; a second run finds it. */
    private static void ensureRole(String host, int port, String secrets, String password) throws Exception {
        try (Cluster cluster = cluster(host, port, secrets, "pulse", password); Session session = cluster.connect()) {
            return;
        } catch (AuthenticationException notYet) {
            try (Cluster cluster = cluster(host, port, secrets, "cassandra", "cassandra"); Session session = cluster.connect()) {
                session.execute("CREATE ROLE IF NOT EXISTS pulse WITH PASSWORD = '" + password + "' AND LOGIN = true AND SUPERUSER = true");
                session.execute("ALTER ROLE cassandra WITH PASSWORD = '" + password + "'");
            }
        }
    }

    private static Cluster cluster(String host, int port, String secrets, String user, String password) throws Exception {
        Cluster.Builder builder = Cluster.builder().addContactPoint(host).withPort(port).withoutJMXReporting().withoutMetrics();
        if (secrets != null && !secrets.isEmpty()) {
            builder.withCredentials(user, password).withSSL(RemoteEndpointAwareJdkSSLOptions.builder().withSSLContext(trusting(Path.of(secrets, "ca.pem"))).build());
        }
        return builder.build();
    }

    private static SSLContext trusting(Path caPem) throws Exception {
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        try (InputStream in = Files.newInputStream(caPem)) {
            int n = 0;
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trusted.setCertificateEntry("ca-" + n++, certificate);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }
}
