package org.chicago.cta.connect.jdbc;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Finds the tables a connector copies: the database's tables of the configured types, kept by
 * table.whitelist and dropped by table.blacklist, as Confluent's connector chooses them.
 */
public final class TableLister {

  /** Schemas of the database itself, never copied (Confluent's PostgreSQL dialect skips them too). */
  private static final Set<String> SYSTEM_SCHEMAS = Set.of("pg_catalog", "information_schema");

  private final JdbcSourceConfig config;

  public TableLister(JdbcSourceConfig config) {
    this.config = config;
  }

  /** Every table of the configured types, before filtering. */
  public List<TableId> allTables(Connection connection) throws SQLException {
    DatabaseMetaData metadata = connection.getMetaData();
    String[] types = config.getList(JdbcSourceConfig.TABLE_TYPES).toArray(String[]::new);
    String schemaPattern = config.getString(JdbcSourceConfig.SCHEMA_PATTERN);
    List<TableId> tables = new ArrayList<>();
    try (ResultSet rows = metadata.getTables(connection.getCatalog(), schemaPattern, "%", types)) {
      while (rows.next()) {
        String catalog = rows.getString("TABLE_CAT");
        TableId table = new TableId(catalog == null ? connection.getCatalog() : catalog,
            rows.getString("TABLE_SCHEM"), rows.getString("TABLE_NAME"));
        if (table.schema() == null || !SYSTEM_SCHEMAS.contains(table.schema())) {
          tables.add(table);
        }
      }
    }
    return tables;
  }

  /** The tables to copy, in the database's order. */
  public List<TableId> selectedTables(Connection connection) throws SQLException {
    return select(allTables(connection));
  }

  List<TableId> select(List<TableId> tables) {
    List<String> included = config.includedTables();
    List<String> excluded = config.excludedTables();
    List<TableId> selected = new ArrayList<>();
    for (TableId table : tables) {
      boolean in = included.isEmpty() || included.stream().anyMatch(table::matches);
      boolean out = excluded.stream().anyMatch(table::matches);
      if (in && !out) {
        selected.add(table);
      }
    }
    return selected;
  }

  /** Whitelist entries that name no table of the database: the user's typo, reported by validation. */
  public List<String> unknownEntries(List<TableId> tables) {
    List<String> unknown = new ArrayList<>();
    for (String entry : config.includedTables()) {
      if (tables.stream().noneMatch(table -> table.matches(entry))) {
        unknown.add(entry);
      }
    }
    return unknown;
  }
}
