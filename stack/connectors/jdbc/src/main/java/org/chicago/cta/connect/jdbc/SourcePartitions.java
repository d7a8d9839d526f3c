package org.chicago.cta.connect.jdbc;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * The source partition of each table or query, in the shapes of Confluent's connector (offset
 * protocol 1 for tables), so offsets stored for a connector of the same name keep their meaning.
 *
 * <p>Connect finds stored offsets by the JSON bytes of the partition, so its keys must always come
 * out in the same order: a HashMap's order is fixed (and is the one Confluent's connector writes),
 * whereas {@code Map.of} changes its iteration order from one JVM run to the next.
 */
final class SourcePartitions {

  private SourcePartitions() {}

  /** The partition of {@code table}, or of the custom query when table is null. */
  static Map<String, String> of(TableId table) {
    return table == null ? forQuery() : forTable(table);
  }

  static Map<String, String> forTable(TableId table) {
    Map<String, String> partition = new HashMap<>();
    partition.put("table", table.fullName());
    partition.put("protocol", "1");
    return partition;
  }

  static Map<String, String> forQuery() {
    return Collections.singletonMap("query", "query");
  }
}
