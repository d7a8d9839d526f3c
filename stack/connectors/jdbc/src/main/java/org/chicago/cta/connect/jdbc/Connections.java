package org.chicago.cta.connect.jdbc;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.SQLException;
import java.util.Properties;
import java.util.ServiceLoader;
import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens database connections with the JDBC drivers shipped next to this connector.
 *
 * <p>Drivers are found through this class's own class loader rather than {@link
 * java.sql.DriverManager}: Connect loads each plugin in an isolated class loader, and DriverManager
 * only hands out drivers visible to the loader that registered them, which is not always ours.
 */
public final class Connections {

  private static final Logger log = LoggerFactory.getLogger(Connections.class);

  private Connections() {}

  /** One attempt; the SQLException says why it failed (wrong password, refused, unknown database). */
  public static Connection open(JdbcSourceConfig config) throws SQLException {
    String url = config.url();
    Properties properties = new Properties();
    if (config.user() != null) {
      properties.setProperty("user", config.user());
    }
    if (config.password() != null) {
      properties.setProperty("password", config.password());
    }
    for (Driver driver : ServiceLoader.load(Driver.class, Connections.class.getClassLoader())) {
      if (driver.acceptsURL(url)) {
        Connection connection = driver.connect(url, properties);
        if (connection != null) {
          return connection;
        }
      }
    }
    throw new SQLException("No JDBC driver in the plugin folder accepts the URL " + url
        + " (this connector ships PostgreSQL's driver: jdbc:postgresql://host:port/database)");
  }

  /** Tries {@code connection.attempts} times, waiting {@code connection.backoff.ms} between tries. */
  public static Connection openWithRetries(JdbcSourceConfig config) {
    int attempts = config.getInt(JdbcSourceConfig.CONNECTION_ATTEMPTS);
    long backoff = config.getLong(JdbcSourceConfig.CONNECTION_BACKOFF_MS);
    for (int attempt = 1; ; attempt++) {
      try {
        return open(config);
      } catch (SQLException e) {
        if (attempt >= attempts) {
          throw new ConnectException("Could not connect to " + config.url() + " after " + attempts
              + " attempt(s): " + e.getMessage(), e);
        }
        log.warn("Could not connect to {} (attempt {} of {}): {}; trying again in {} ms",
            config.url(), attempt, attempts, e.getMessage(), backoff);
        sleep(backoff);
      }
    }
  }

  static void closeQuietly(AutoCloseable closeable) {
    if (closeable == null) {
      return;
    }
    try {
      closeable.close();
    } catch (Exception e) {
      log.debug("Ignoring an error while closing {}", closeable, e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConnectException("Interrupted while waiting to reconnect", e);
    }
  }
}
