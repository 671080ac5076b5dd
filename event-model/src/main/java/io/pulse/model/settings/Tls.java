package io.pulse.model.settings;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS to one store, from the settings {@code <store>.tls} (on or off) and {@code <store>.tls.ca}
 * (a PEM file of the CA certificates to trust; empty: the JVM's trusted CAs, right for managed
 * services with public certificates). The server's name is always verified against its certificate.
 */
public record Tls(String store, boolean enabled, String caFile) implements Serializable {

    /** The defaults of a store's two TLS settings: off, the JVM's CAs. */
    public static Map<String, String> defaults(String store) {
        return Map.of(store + ".tls", "false", store + ".tls.ca", "");
    }

    public static Tls from(Settings s, String store) {
        return new Tls(store, s.flag(store + ".tls"), s.string(store + ".tls.ca"));
    }

    /** For a store whose URL says whether it is TLS (https://): only {@code <store>.tls.ca} is read. */
    public static Tls from(Settings s, String store, boolean enabled) {
        return new Tls(store, enabled, s.string(store + ".tls.ca"));
    }

    /** An SSL context trusting {@link #caFile} (or the JVM's CAs), with a message naming the setting when it cannot be read. */
    public SSLContext sslContext() {
        try {
            if (caFile.isEmpty()) {
                return SSLContext.getDefault();
            }
            Path path = Path.of(caFile);
            if (!Files.isReadable(path)) {
                throw new IllegalArgumentException("setting '" + store + ".tls.ca' names " + caFile
                        + ", which is not a readable file: give the PEM file of the CA that signed the " + store + " server's certificate");
            }
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            trusted.load(null, null);
            int n = 0;
            try (InputStream in = Files.newInputStream(path)) {
                for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    trusted.setCertificateEntry("ca-" + n++, certificate);
                }
            }
            if (n == 0) {
                throw new IllegalArgumentException("setting '" + store + ".tls.ca': " + caFile + " holds no PEM certificate");
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("setting '" + store + ".tls.ca': cannot read " + caFile + " as PEM certificates: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return enabled ? "TLS" + (caFile.isEmpty() ? "" : " (CA " + caFile + ")") : "no TLS";
    }
}
