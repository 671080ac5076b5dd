package io.pulse.process.sink.cassandra;

import com.datastax.oss.driver.api.core.AllNodesFailedException;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.datastax.oss.driver.api.core.auth.AuthenticationException;
import com.datastax.oss.driver.api.core.ssl.ProgrammaticSslEngineFactory;
import io.pulse.model.settings.Login;
import io.pulse.model.settings.Tls;
import java.io.Serializable;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Where Cassandra is and how to log in: {@code cassandra.host|port|dc}, {@code cassandra.username}
 * and {@code cassandra.password} (PasswordAuthenticator), {@code cassandra.tls} and
 * {@code cassandra.tls.ca} (client encryption; the node's name is verified against its certificate).
 */
public record CassandraEndpoint(String host, int port, String datacenter, Login login, Tls tls) implements Serializable {

    /** Without login or TLS: the local stack's Cassandra. */
    public static CassandraEndpoint plain(String host, int port, String datacenter) {
        return new CassandraEndpoint(host, port, datacenter, Login.NONE, new Tls("cassandra", false, ""));
    }

    public CqlSession open() {
        CqlSessionBuilder builder = CqlSession.builder().addContactPoint(new InetSocketAddress(host, port)).withLocalDatacenter(datacenter);
        if (login.present()) {
            builder.withAuthCredentials(login.user(), login.password());
        }
        if (tls.enabled()) {
            builder.withSslEngineFactory(new ProgrammaticSslEngineFactory(tls.sslContext(), null, true));
        }
        try {
            return builder.build();
        } catch (AllNodesFailedException e) {
            throw new IllegalArgumentException(explain(e), e);
        }
    }

    /** Connects once; fails with the setting to fix. */
    public void check() {
        open().close();
    }

    private String explain(AllNodesFailedException e) {
        List<Throwable> errors = e.getAllErrors().values().stream().flatMap(List::stream).toList();
        for (Throwable error : errors) {
            if (error instanceof AuthenticationException) {
                return this + " refused the login (" + error.getMessage() + "): check cassandra.username and cassandra.password";
            }
        }
        String first = errors.isEmpty() ? e.getMessage() : RootCause.of(errors.get(0));
        if (first.contains("SSL") || first.contains("certificate") || first.contains("handshake")) {
            return this + ": TLS failed (" + first + "): check cassandra.tls and cassandra.tls.ca";
        }
        return this + " is not reachable with " + tls + " (" + first + "): start the local stack with ./pulse up, or check"
                + " cassandra.host, cassandra.port and cassandra.tls (a node that requires client encryption drops plain connections)";
    }

    @Override
    public String toString() {
        return "Cassandra at " + host + ":" + port + (login.present() ? " as " + login.user() : "");
    }

    private static final class RootCause {
        static String of(Throwable e) {
            StringBuilder text = new StringBuilder(String.valueOf(e));
            for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
                text.append(": ").append(t);
            }
            return text.toString();
        }
    }
}
