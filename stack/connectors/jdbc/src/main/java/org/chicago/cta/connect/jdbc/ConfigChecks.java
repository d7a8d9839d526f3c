package org.chicago.cta.connect.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;

/**
 * What {@code PUT /connector-plugins/.../config/validate} (and every connector create or update)
 * reports beyond single-key checks: keys that only make sense together, and whether the database
 * answers with the tables and columns the configuration names. Each problem is attached to the key
 * the user has to change, in a sentence saying what is wrong.
 */
final class ConfigChecks {

  private final Map<String, ConfigValue> values;

  private ConfigChecks(Config config) {
    this.values = new java.util.HashMap<>();
    config.configValues().forEach(value -> values.put(value.name(), value));
  }

  static Config check(Map<String, String> props, Config validated) {
    new ConfigChecks(validated).run(props);
    return validated;
  }

  private void run(Map<String, String> props) {
    if (hasErrors()) {
      return; // a missing or malformed key: Connect already says which
    }
    JdbcSourceConfig config;
    try {
      config = new JdbcSourceConfig(props);
    } catch (ConfigException e) {
      error(JdbcSourceConfig.CONNECTION_URL, e.getMessage());
      return;
    }
    if (!crossChecksPass(config)) {
      return;
    }
    checkDatabase(config);
  }

  private boolean crossChecksPass(JdbcSourceConfig config) {
    String mode = config.getString(JdbcSourceConfig.MODE);
    if (mode.isEmpty()) {
      error(JdbcSourceConfig.MODE, "Missing mode: set it to bulk, incrementing, timestamp or timestamp+incrementing.");
    } else {
      JdbcSourceConfig.Mode parsed = config.mode();
      if (parsed.usesIncrementing() && config.getString(JdbcSourceConfig.INCREMENTING_COLUMN).isBlank()) {
        error(JdbcSourceConfig.INCREMENTING_COLUMN, "Mode " + mode + " needs incrementing.column.name: "
            + "the strictly increasing column (for example the primary key).");
      }
      if (parsed.usesTimestamp() && config.timestampColumns().isEmpty()) {
        error(JdbcSourceConfig.TIMESTAMP_COLUMNS, "Mode " + mode + " needs timestamp.column.name: "
            + "the column holding each row's last-modified time.");
      }
    }
    boolean whitelisted = !config.includedTables().isEmpty();
    boolean blacklisted = !config.excludedTables().isEmpty();
    if (whitelisted && blacklisted) {
      error(JdbcSourceConfig.TABLE_BLACKLIST, "Set table.whitelist or table.blacklist, not both.");
    }
    if (config.isQueryMode() && (whitelisted || blacklisted)) {
      error(JdbcSourceConfig.QUERY, "A custom query reads no tables: remove table.whitelist/table.blacklist.");
    }
    return !hasErrors();
  }

  private void checkDatabase(JdbcSourceConfig config) {
    try (Connection connection = Connections.open(config)) {
      if (config.isQueryMode()) {
        checkQuery(connection, config);
        return;
      }
      TableLister lister = new TableLister(config);
      List<TableId> all = lister.allTables(connection);
      List<String> unknown = lister.unknownEntries(all);
      if (!unknown.isEmpty()) {
        error(whitelistKey(config), "Table(s) " + String.join(", ", unknown) + " not found in database "
            + connection.getCatalog() + " (tables there: " + names(all) + ").");
        return;
      }
      for (String problem : new ColumnChecks(config).problems(connection, lister.select(all))) {
        error(config.mode().usesIncrementing() && problem.contains(JdbcSourceConfig.INCREMENTING_COLUMN)
            ? JdbcSourceConfig.INCREMENTING_COLUMN : JdbcSourceConfig.TIMESTAMP_COLUMNS, problem);
      }
    } catch (SQLException e) {
      error(JdbcSourceConfig.CONNECTION_URL, "Could not connect to " + config.url() + " as "
          + config.user() + ": " + e.getMessage());
    }
  }

  private void checkQuery(Connection connection, JdbcSourceConfig config) {
    String query = config.getString(JdbcSourceConfig.QUERY);
    try (PreparedStatement statement = connection.prepareStatement(query)) {
      statement.getMetaData(); // makes the database parse the query
    } catch (SQLException e) {
      error(JdbcSourceConfig.QUERY, "The database rejects the query: " + e.getMessage());
    }
  }

  private static String whitelistKey(JdbcSourceConfig config) {
    return config.getList(JdbcSourceConfig.TABLE_WHITELIST).isEmpty()
        ? JdbcSourceConfig.TABLE_INCLUDE_LIST : JdbcSourceConfig.TABLE_WHITELIST;
  }

  private static String names(List<TableId> tables) {
    if (tables.isEmpty()) {
      return "none";
    }
    return String.join(", ", tables.stream().map(TableId::name).sorted().limit(20).toList())
        + (tables.size() > 20 ? ", ..." : "");
  }

  private boolean hasErrors() {
    return values.values().stream().anyMatch(value -> !value.errorMessages().isEmpty());
  }

  private void error(String key, String message) {
    values.get(key).addErrorMessage(message);
  }
}
