package io.pulse.process.sink.redis;

import io.pulse.model.settings.Login;
import io.pulse.model.settings.Tls;
import java.io.Serializable;
import javax.net.ssl.SSLParameters;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Where Redis is and how to log in: {@code redis.host|port}, {@code redis.user} and
 * {@code redis.password} (an ACL user; a password alone logs in as {@code default}, Redis's
 * requirepass), {@code redis.tls} and {@code redis.tls.ca}.
 */
public record RedisEndpoint(String host, int port, Login login, Tls tls) implements Serializable {

    /** Without login or TLS: the local stack's Redis. */
    public static RedisEndpoint plain(String host, int port) {
        return new RedisEndpoint(host, port, Login.NONE, new Tls("redis", false, ""));
    }

    public Jedis open() {
        DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder().connectionTimeoutMillis(5_000).socketTimeoutMillis(30_000);
        if (login.present()) {
            config.user(login.user());
        }
        if (!login.password().isEmpty()) {
            config.password(login.password());
        }
        if (tls.enabled()) {
            SSLParameters verifyName = new SSLParameters();
            verifyName.setEndpointIdentificationAlgorithm("HTTPS");
            config.ssl(true).sslSocketFactory(tls.sslContext().getSocketFactory()).sslParameters(verifyName);
        }
        return new Jedis(new HostAndPort(host, port), config.build());
    }

    /** Connects and pings once; fails with the setting to fix. */
    public void check() {
        try (Jedis redis = open()) {
            redis.ping();
        } catch (JedisAccessControlException e) {
            throw new IllegalArgumentException(this + " refused the login (" + e.getMessage() + "): check redis.user and redis.password", e);
        } catch (JedisDataException e) {
            String hint = String.valueOf(e.getMessage()).startsWith("NOAUTH") ? "it asks for a password: set redis.password (and redis.user for an ACL user)"
                    : "check redis.user and redis.password";
            throw new IllegalArgumentException(this + " refused the connection (" + e.getMessage() + "): " + hint, e);
        } catch (JedisConnectionException e) {
            throw new IllegalArgumentException(this + " is not reachable with " + tls + " (" + rootMessage(e) + "): check redis.host and"
                    + " redis.port (local stack: ./pulse up), and redis.tls / redis.tls.ca (a TLS port drops a plain connection,"
                    + " a plain port answers no TLS handshake)", e);
        }
    }

    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + ": " + root;
    }

    @Override
    public String toString() {
        return "Redis at " + host + ":" + port + (login.present() ? " as " + login.user() : "");
    }
}
