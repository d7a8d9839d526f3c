package org.chicago.cta.connect.jdbc;

import java.util.Map;

/**
 * The source partition of each table or query, in the shapes of Confluent's connector (offset
 * protocol 1 for tables), so offsets stored for a connector of the same name keep their meaning.
 */
final class SourcePartitions {

  private SourcePartitions() {}

  /** The partition of {@code table}, or of the custom query when table is null. */
  static Map<String, String> of(TableId table) {
    return table == null ? forQuery() : forTable(table);
  }

  static Map<String, String> forTable(TableId table) {
    return Map.of("protocol", "1", "table", table.fullName());
  }

  static Map<String, String> forQuery() {
    return Map.of("query", "query");
  }
}
