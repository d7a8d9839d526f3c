package org.chicago.cta.connect.jdbc;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.errors.ConnectException;

/**
 * Checks that every table has the incrementing and timestamp columns its mode reads, and (with
 * validate.non.null) that they cannot be NULL: a NULL id or timestamp would make rows invisible
 * to incremental reads without any error, so Confluent's connector refuses such columns too.
 */
final class ColumnChecks {

  private final JdbcSourceConfig config;

  ColumnChecks(JdbcSourceConfig config) {
    this.config = config;
  }

  /** Throws, naming every problem, when a table cannot be read in the configured mode. */
  void requireUsableColumns(Connection connection, List<TableId> tables) throws SQLException {
    List<String> problems = problems(connection, tables);
    if (!problems.isEmpty()) {
      throw new ConnectException(String.join(" ", problems));
    }
  }

  /** One sentence per problem; empty when every table can be read. */
  List<String> problems(Connection connection, List<TableId> tables) throws SQLException {
    JdbcSourceConfig.Mode mode = config.mode();
    boolean nonNull = config.getBoolean(JdbcSourceConfig.VALIDATE_NON_NULL);
    List<String> problems = new ArrayList<>();
    for (TableId table : tables) {
      Map<String, Boolean> nullable = columns(connection.getMetaData(), table);
      if (mode.usesIncrementing()) {
        String column = config.getString(JdbcSourceConfig.INCREMENTING_COLUMN);
        if (!nullable.containsKey(column)) {
          problems.add(missing(table, column, JdbcSourceConfig.INCREMENTING_COLUMN, nullable));
        } else if (nonNull && nullable.get(column)) {
          problems.add("Column " + column + " of table " + table.fullName() + " may be NULL, so rows could be "
              + "missed: make it NOT NULL or set validate.non.null=false.");
        }
      }
      if (mode.usesTimestamp()) {
        List<String> columns = config.timestampColumns();
        boolean allNullable = true;
        for (String column : columns) {
          if (!nullable.containsKey(column)) {
            problems.add(missing(table, column, JdbcSourceConfig.TIMESTAMP_COLUMNS, nullable));
          } else {
            allNullable &= nullable.get(column);
          }
        }
        if (nonNull && allNullable && columns.stream().allMatch(nullable::containsKey)) {
          problems.add("Timestamp column(s) " + columns + " of table " + table.fullName() + " may all be NULL, so "
              + "rows could be missed: make one NOT NULL or set validate.non.null=false.");
        }
      }
    }
    return problems;
  }

  private static String missing(TableId table, String column, String key, Map<String, Boolean> columns) {
    return "Table " + table.fullName() + " has no column " + column + " (" + key + "); its columns are: "
        + String.join(", ", columns.keySet()) + ".";
  }

  /** Column name to "may be NULL", in table order. */
  private static Map<String, Boolean> columns(DatabaseMetaData metadata, TableId table) throws SQLException {
    Map<String, Boolean> columns = new LinkedHashMap<>();
    try (ResultSet rows = metadata.getColumns(table.catalog(), table.schema(), table.name(), "%")) {
      while (rows.next()) {
        // The name arguments are LIKE patterns: "_" in a name would also match other tables.
        if (!table.name().equals(rows.getString("TABLE_NAME"))) {
          continue;
        }
        columns.put(rows.getString("COLUMN_NAME"),
            rows.getInt("NULLABLE") != DatabaseMetaData.columnNoNulls);
      }
    }
    return columns;
  }
}
