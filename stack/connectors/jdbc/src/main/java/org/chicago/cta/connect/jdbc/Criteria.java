package org.chicago.cta.connect.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.Calendar;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;

/**
 * The WHERE clause that makes a poll read only rows not read yet, and the offset a row moves the
 * table to: Confluent's incrementing, timestamp and timestamp+incrementing modes.
 *
 * <ul>
 *   <li>incrementing: rows with id &gt; last id. Sees new rows, never updates.
 *   <li>timestamp: rows with last ts &lt; ts &lt; now - delay. Sees updates; rows sharing the last
 *       timestamp that commit later are missed, as with Confluent's connector.
 *   <li>timestamp+incrementing: ordered by (ts, id), so no row is missed or read twice.
 * </ul>
 *
 * <p>The upper bound "now" comes from the database's clock, not the worker's: timestamps are
 * written by the database, so the two must agree.
 */
final class Criteria {

  private static final String QUOTE = "\"";

  private final JdbcSourceConfig.Mode mode;
  private final String incrementingColumn;
  private final List<String> timestampColumns;
  private final long delayMs;
  private final Calendar calendar;

  Criteria(JdbcSourceConfig config) {
    this.mode = config.mode();
    this.incrementingColumn = config.getString(JdbcSourceConfig.INCREMENTING_COLUMN);
    this.timestampColumns = config.timestampColumns();
    this.delayMs = config.getLong(JdbcSourceConfig.TIMESTAMP_DELAY_MS);
    this.calendar = Calendar.getInstance(config.timeZone());
  }

  /** The clause appended to "SELECT * FROM table" (or to the custom query). */
  String whereClause() {
    String id = quote(incrementingColumn);
    String ts = timestampExpression();
    return switch (mode) {
      case BULK -> "";
      case INCREMENTING -> " WHERE " + id + " > ? ORDER BY " + id + " ASC";
      case TIMESTAMP -> " WHERE " + ts + " > ? AND " + ts + " < ? ORDER BY " + ts + " ASC";
      case TIMESTAMP_INCREMENTING -> " WHERE " + ts + " < ? AND ((" + ts + " = ? AND " + id + " > ?) OR "
          + ts + " > ?) ORDER BY " + ts + "," + id + " ASC";
    };
  }

  /** Binds the offset (and the database's "now" for timestamp modes) to the clause's parameters. */
  void bind(PreparedStatement statement, Offset offset, Connection connection) throws SQLException {
    switch (mode) {
      case BULK -> { }
      case INCREMENTING -> statement.setLong(1, offset.incrementingOrStart());
      case TIMESTAMP -> {
        statement.setTimestamp(1, offset.timestampOrStart(), calendar);
        statement.setTimestamp(2, readUpTo(connection), calendar);
      }
      case TIMESTAMP_INCREMENTING -> {
        Timestamp last = offset.timestampOrStart();
        statement.setTimestamp(1, readUpTo(connection), calendar);
        statement.setTimestamp(2, last, calendar);
        statement.setLong(3, offset.incrementingOrStart());
        statement.setTimestamp(4, last, calendar);
      }
      default -> throw new IllegalStateException("unknown mode " + mode);
    }
  }

  /** The offset after reading {@code row}; bulk mode has none (every poll reads everything). */
  Offset offsetAfter(Struct row) {
    Long id = mode.usesIncrementing() ? incrementingValue(row) : null;
    Timestamp ts = mode.usesTimestamp() ? timestampValue(row) : null;
    return new Offset(id, ts);
  }

  private Timestamp readUpTo(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet now = statement.executeQuery("SELECT CURRENT_TIMESTAMP")) {
      now.next();
      return new Timestamp(now.getTimestamp(1, calendar).getTime() - delayMs);
    }
  }

  private String timestampExpression() {
    if (timestampColumns.size() == 1) {
      return quote(timestampColumns.get(0));
    }
    return "COALESCE(" + timestampColumns.stream().map(Criteria::quote).collect(Collectors.joining(",")) + ")";
  }

  private Long incrementingValue(Struct row) {
    Object value = column(row, incrementingColumn);
    if (value instanceof java.math.BigDecimal decimal) {
      return decimal.longValueExact();
    }
    if (value instanceof Number number) {
      return number.longValue();
    }
    throw new ConnectException("Incrementing column " + incrementingColumn + " must hold integers, but holds "
        + (value == null ? "NULL" : value.getClass().getSimpleName()) + " in a row of " + row.schema().name());
  }

  private Timestamp timestampValue(Struct row) {
    for (String column : timestampColumns) {
      Object value = column(row, column);
      if (value instanceof Timestamp timestamp) {
        return timestamp;
      }
      if (value instanceof java.util.Date date) {
        return new Timestamp(date.getTime());
      }
    }
    throw new ConnectException("Timestamp column(s) " + timestampColumns + " hold no timestamp in a row of "
        + row.schema().name());
  }

  private static Object column(Struct row, String column) {
    if (row.schema().field(column) == null) {
      throw new ConnectException("Column " + column + " is not among the columns the query returns: "
          + row.schema().fields().stream().map(f -> f.name()).collect(Collectors.joining(", ")));
    }
    return row.get(column);
  }

  static String quote(String identifier) {
    return QUOTE + identifier.replace(QUOTE, QUOTE + QUOTE) + QUOTE;
  }
}
