package io.pulse.model.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreTlsSettingsTest {

    @Test
    void postgresTlsGoesIntoTheJdbcUrlAndDebeziumOnlyWhenSet() {
        PostgresConnection plain = new PostgresConnection("db", 5432, "pulse", "u", "p");
        assertThat(plain.jdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/pulse");
        PostgresConnection verified = new PostgresConnection("db", 5432, "pulse", "u", "p", "verify-full", "/etc/pulse/ca file.pem");
        assertThat(verified.jdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/pulse?sslmode=verify-full&sslrootcert=%2Fetc%2Fpulse%2Fca+file.pem");
        assertThat(verified.debeziumTls()).containsEntry("database.sslmode", "verify-full")
                .containsEntry("database.sslrootcert", "/etc/pulse/ca file.pem");
        assertThat(verified.toString()).doesNotContain("p,").contains("verify-full");
    }

    @Test
    void anUnknownSslModeNamesTheSettingAndTheModes() {
        assertThatThrownBy(() -> new PostgresConnection("db", 5432, "pulse", "u", "p", "on", ""))
                .hasMessageContaining("postgres.sslmode").hasMessageContaining("verify-full").hasMessageContaining("'on'");
    }

    @Test
    void aCaFileThatIsMissingOrHoldsNoCertificateNamesTheSetting(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> new Tls("redis", true, dir.resolve("missing.pem").toString()).sslContext())
                .hasMessageContaining("redis.tls.ca").hasMessageContaining("not a readable file");
        Path empty = Files.writeString(dir.resolve("empty.pem"), "not a certificate\n");
        assertThatThrownBy(() -> new Tls("cassandra", true, empty.toString()).sslContext())
                .hasMessageContaining("cassandra.tls.ca");
        assertThat(new Tls("clickhouse", true, "").sslContext()).isNotNull();
    }

    @Test
    void aLoginNeverPrintsItsPassword() {
        assertThat(new Login("pulse", "hunter2").toString()).isEqualTo("pulse (password set)");
        assertThat(Login.NONE.present()).isFalse();
    }
}
