package org.chicago.cta.connect.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one table (or the custom query) into source records, a batch at a time.
 *
 * <p>A query stays open across polls until its last row has been returned (the driver fetches
 * {@code batch.max.rows} rows at a time through a cursor, so a large table never sits in memory);
 * then the querier waits {@code poll.interval.ms} before it queries again.
 */
final class Querier {

  private static final Logger log = LoggerFactory.getLogger(Querier.class);

  private final JdbcSourceConfig config;
  private final TableId table;
  private final String topic;
  private final Map<String, String> partition;
  private final Criteria criteria;
  private final long pollIntervalMs;
  private Offset offset;
  private long nextRunAt;

  private PreparedStatement statement;
  private ResultSet rows;
  private RowMapper mapper;

  /** A querier for {@code table}, or for the custom query when table is null. */
  Querier(JdbcSourceConfig config, TableId table, Offset offset) {
    this.config = config;
    this.table = table;
    String prefix = config.getString(JdbcSourceConfig.TOPIC_PREFIX);
    this.topic = table == null ? prefix : prefix + table.name();
    this.partition = SourcePartitions.of(table);
    this.criteria = new Criteria(config);
    this.pollIntervalMs = config.getInt(JdbcSourceConfig.POLL_INTERVAL_MS);
    this.offset = offset;
  }

  Map<String, String> partition() {
    return partition;
  }

  String describe() {
    return table == null ? "the custom query" : "table " + table.fullName();
  }

  /** When this querier next wants to run (now or in the past while a query is open). */
  long nextRunAt() {
    return nextRunAt;
  }

  boolean isQuerying() {
    return rows != null;
  }

  /**
   * Up to {@code maxRows} records, running the query first if none is open. An empty list means
   * the query is done: the querier then waits for its next poll interval.
   */
  List<SourceRecord> nextBatch(Connection connection, int maxRows, long now) throws SQLException {
    if (rows == null) {
      execute(connection);
    }
    List<SourceRecord> records = new ArrayList<>();
    while (records.size() < maxRows) {
      if (!rows.next()) {
        finish(connection, now);
        break;
      }
      Struct value = mapper.read(rows);
      Map<String, Object> recordOffset = null;
      if (config.mode() != JdbcSourceConfig.Mode.BULK) {
        offset = criteria.offsetAfter(value);
        recordOffset = offset.toMap();
      }
      records.add(new SourceRecord(partition, recordOffset, topic, null, null, null, value.schema(), value));
    }
    return records;
  }

  /** Drops an open query after an error; the querier runs again after {@code retryAt}. */
  void abandon(long retryAt) {
    closeQuery();
    nextRunAt = retryAt;
  }

  private void execute(Connection connection) throws SQLException {
    String sql = baseQuery() + criteria.whereClause();
    log.debug("Querying {}: {}", describe(), sql);
    statement = connection.prepareStatement(sql, ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY);
    // With auto-commit off, PostgreSQL's driver reads through a cursor, this many rows at a time.
    statement.setFetchSize(config.getInt(JdbcSourceConfig.BATCH_MAX_ROWS));
    criteria.bind(statement, offset, connection);
    rows = statement.executeQuery();
    mapper = RowMapper.of(rows.getMetaData(), table == null ? null : table.name(), config.numericMapping(),
        config.timeZone());
  }

  private String baseQuery() {
    if (table == null) {
      return config.getString(JdbcSourceConfig.QUERY);
    }
    return "SELECT * FROM " + table.quoted("\"");
  }

  private void finish(Connection connection, long now) throws SQLException {
    closeQuery();
    connection.commit(); // ends the read transaction, so the next query sees newly committed rows
    nextRunAt = now + pollIntervalMs;
  }

  private void closeQuery() {
    Connections.closeQuietly(rows);
    Connections.closeQuietly(statement);
    rows = null;
    statement = null;
  }
}
