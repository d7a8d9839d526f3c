package org.chicago.cta.connect.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceConnector;
import org.apache.kafka.connect.util.ConnectorUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kafka Connect source connector that copies database tables (or one custom query) to Kafka
 * topics, with the configuration keys and records of Confluent's JDBC source connector, so that the
 * classic project's connector configuration works on our platform unmodified.
 *
 * <p>The connector finds the tables when it starts and spreads them over up to tasks.max tasks;
 * the tasks do the copying. Tables created later are picked up when the connector restarts.
 */
public class JdbcSourceConnector extends SourceConnector {

  private static final Logger log = LoggerFactory.getLogger(JdbcSourceConnector.class);

  private Map<String, String> props;
  private List<TableId> tables;

  @Override
  public String version() {
    return Version.VERSION;
  }

  @Override
  public ConfigDef config() {
    return JdbcSourceConfig.CONFIG_DEF;
  }

  @Override
  public Config validate(Map<String, String> connectorConfigs) {
    return ConfigChecks.check(connectorConfigs, super.validate(connectorConfigs));
  }

  @Override
  public void start(Map<String, String> props) {
    this.props = new HashMap<>(props);
    JdbcSourceConfig config = new JdbcSourceConfig(props);
    if (config.isQueryMode()) {
      tables = List.of();
      return;
    }
    try (Connection connection = Connections.openWithRetries(config)) {
      tables = new TableLister(config).selectedTables(connection);
    } catch (SQLException e) {
      throw new ConnectException("Could not list the tables of " + config.url() + ": " + e.getMessage(), e);
    }
    if (tables.isEmpty()) {
      log.warn("No table of {} matches table.whitelist {} / table.blacklist {}: nothing to copy", config.url(),
          config.includedTables(), config.excludedTables());
    } else {
      log.info("Copying {} table(s): {}", tables.size(), tables.stream().map(TableId::fullName).toList());
    }
  }

  @Override
  public Class<? extends Task> taskClass() {
    return JdbcSourceTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    List<Map<String, String>> configs = new ArrayList<>();
    if (props.getOrDefault(JdbcSourceConfig.QUERY, "").isBlank()) {
      if (tables.isEmpty()) {
        return configs;
      }
      for (List<TableId> group : ConnectorUtils.groupPartitions(tables, Math.min(tables.size(), maxTasks))) {
        Map<String, String> taskProps = new HashMap<>(props);
        taskProps.put(JdbcSourceTask.TABLES, JdbcSourceTask.encodeTables(group));
        configs.add(taskProps);
      }
    } else {
      configs.add(new HashMap<>(props)); // one query, one task
    }
    return configs;
  }

  @Override
  public void stop() {
    // Nothing to release: the connector holds no connection between start and taskConfigs.
  }
}
