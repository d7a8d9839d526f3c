package org.chicago.cta.connect.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies the tables (or the custom query) its connector assigned to it: each poll returns one
 * batch of rows from the querier that is due, and sleeps until one is due otherwise.
 *
 * <p>A query that is open is read to its end before another table is queried, because all of the
 * task's queries share one connection and one read transaction. A failed query (the database
 * restarting, a dropped table) is retried after {@code connection.backoff.ms}; a task that cannot
 * connect at all at start fails, with the database's reason in Connect's status API.
 */
public class JdbcSourceTask extends SourceTask {

  static final String TABLES = "task.tables";
  private static final String TABLE_SEPARATOR = "\u0002";
  private static final long MAX_WAIT_MS = 500;

  private static final Logger log = LoggerFactory.getLogger(JdbcSourceTask.class);

  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Object databaseLock = new Object();
  private JdbcSourceConfig config;
  private PriorityQueue<Querier> queue;
  private Querier current;
  private Connection connection;

  static String encodeTables(Collection<TableId> tables) {
    List<String> encoded = new ArrayList<>();
    tables.forEach(table -> encoded.add(table.encode()));
    return String.join(TABLE_SEPARATOR, encoded);
  }

  static List<TableId> decodeTables(String encoded) {
    List<TableId> tables = new ArrayList<>();
    if (encoded != null && !encoded.isEmpty()) {
      for (String table : encoded.split(TABLE_SEPARATOR)) {
        tables.add(TableId.decode(table));
      }
    }
    return tables;
  }

  @Override
  public String version() {
    return Version.VERSION;
  }

  @Override
  public void start(Map<String, String> props) {
    config = new JdbcSourceConfig(props);
    List<TableId> tables = decodeTables(props.get(TABLES));
    connection = Connections.openWithRetries(config);
    try {
      connection.setAutoCommit(false);
      if (!config.isQueryMode()) {
        new ColumnChecks(config).requireUsableColumns(connection, tables);
      }
    } catch (SQLException e) {
      throw new ConnectException("Could not inspect the tables to copy: " + e.getMessage(), e);
    }
    queue = new PriorityQueue<>(Comparator.comparingLong(Querier::nextRunAt));
    // In query mode the one source is the query, written as a null table.
    List<TableId> sources = config.isQueryMode() ? Collections.singletonList(null) : tables;
    List<Map<String, String>> partitions = new ArrayList<>();
    sources.forEach(table -> partitions.add(SourcePartitions.of(table)));
    Map<Map<String, String>, Map<String, Object>> stored = context.offsetStorageReader().offsets(partitions);
    for (TableId table : sources) {
      Offset offset = Offset.fromMap(stored == null ? null : stored.get(SourcePartitions.of(table)));
      Querier querier = new Querier(config, table, offset);
      if (offset != Offset.NONE) {
        log.info("Resuming {} after offset {}", querier.describe(), offset.toMap());
      }
      queue.add(querier);
    }
    log.info("JDBC source task copies {} in mode {}", queue.stream().map(Querier::describe).toList(),
        config.mode().key);
  }

  /**
   * One batch of the querier that is due, or null after waiting a little when none is: Connect
   * commits offsets and notices a stop request only between polls, so a poll never waits long.
   */
  @Override
  public List<SourceRecord> poll() throws InterruptedException {
    Querier querier = current != null ? current : queue.peek();
    long wait = querier == null ? MAX_WAIT_MS : querier.nextRunAt() - System.currentTimeMillis();
    if (querier == null || (!querier.isQuerying() && wait > 0)) {
      stopped.await(Math.min(wait, MAX_WAIT_MS), TimeUnit.MILLISECONDS);
      return null;
    }
    if (current == null) {
      queue.poll();
    }
    List<SourceRecord> records = readBatch(querier, config.getInt(JdbcSourceConfig.BATCH_MAX_ROWS));
    if (querier.isQuerying()) {
      current = querier;
    } else {
      current = null;
      queue.add(querier);
    }
    return records == null || records.isEmpty() ? null : records;
  }

  private List<SourceRecord> readBatch(Querier querier, int maxRows) {
    synchronized (databaseLock) {
      if (stopped.getCount() == 0) {
        return null;
      }
      try {
        ensureConnected();
        return querier.nextBatch(connection, maxRows, System.currentTimeMillis());
      } catch (SQLException e) {
        long backoff = config.getLong(JdbcSourceConfig.CONNECTION_BACKOFF_MS);
        log.warn("Querying {} failed ({}); trying again in {} ms", querier.describe(), e.getMessage(), backoff);
        querier.abandon(System.currentTimeMillis() + backoff);
        Connections.closeQuietly(connection);
        connection = null;
        return null;
      }
    }
  }

  private void ensureConnected() throws SQLException {
    if (connection == null || connection.isClosed()) {
      connection = Connections.open(config);
      connection.setAutoCommit(false);
    }
  }

  @Override
  public void stop() {
    stopped.countDown();
    synchronized (databaseLock) {
      Connections.closeQuietly(connection);
      connection = null;
    }
  }
}
