package io.pulse.model.settings;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.net.URLClassLoader;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.util.Collections;
import java.util.Properties;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** {@link PostgresConnection#releaseDrivers}: what a job's class loader registered with DriverManager goes with it. */
class PostgresConnectionDriversTest {
    @Test
    void underTheApplicationClassLoaderNothingIsReleased() {
        assertThat(PostgresConnection.jobClassLoader()).isFalse();
        assertThat(PostgresConnection.releaseDrivers()).isZero();
    }

    @Test
    void aJobClassLoaderDeregistersTheDriversItRegistered() throws Exception {
        URL main = PostgresConnection.class.getProtectionDomain().getCodeSource().getLocation();
        URL tests = JobDriver.class.getProtectionDomain().getCodeSource().getLocation();
        // As Flink loads a job jar: a loader of its own, which does not delegate to the application's.
        try (URLClassLoader job = new URLClassLoader(new URL[] {main, tests}, ClassLoader.getPlatformClassLoader())) {
            Class<?> driver = Class.forName(JobDriver.class.getName(), true, job); // registers itself, as pgjdbc does
            assertThat(driver.getMethod("registered").invoke(null)).isEqualTo(true);
            Class<?> connection = Class.forName(PostgresConnection.class.getName(), true, job);
            assertThat(connection.getMethod("jobClassLoader").invoke(null)).isEqualTo(true);

            assertThat(connection.getMethod("releaseDrivers").invoke(null)).isEqualTo(1);
            assertThat(driver.getMethod("registered").invoke(null)).isEqualTo(false);
        }
    }

    /** A driver that registers itself when its class is initialized. */
    public static final class JobDriver implements Driver {
        static {
            try {
                DriverManager.registerDriver(new JobDriver());
            } catch (SQLException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /** Whether DriverManager holds this class's driver (asked from its own class loader). */
        public static boolean registered() {
            return Collections.list(DriverManager.getDrivers()).stream().anyMatch(d -> d.getClass() == JobDriver.class);
        }

        @Override
        public Connection connect(String url, Properties info) {
            return null;
        }

        @Override
        public boolean acceptsURL(String url) {
            return url.startsWith("jdbc:job:");
        }

        @Override
        public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) {
            return new DriverPropertyInfo[0];
        }

        @Override
        public int getMajorVersion() {
            return 1;
        }

        @Override
        public int getMinorVersion() {
            return 0;
        }

        @Override
        public boolean jdbcCompliant() {
            return false;
        }

        @Override
        public Logger getParentLogger() {
            return Logger.getGlobal();
        }
    }
}
