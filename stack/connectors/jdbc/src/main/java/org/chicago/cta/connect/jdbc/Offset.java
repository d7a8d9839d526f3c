package org.chicago.cta.connect.jdbc;

import java.sql.Timestamp;
import java.util.HashMap;
import java.util.Map;

/**
 * How far a table has been read: the last incrementing value and/or the last timestamp. Stored by
 * Connect as a source offset in the map shape Confluent's connector uses ({"incrementing": n},
 * {"timestamp": millis, "timestamp_nanos": nanos}), so a restarted task resumes exactly there.
 *
 * @param incrementing last incrementing value read, or null before the first row
 * @param timestamp last timestamp read, or null before the first row
 */
public record Offset(Long incrementing, Timestamp timestamp) {

  static final String INCREMENTING = "incrementing";
  static final String TIMESTAMP = "timestamp";
  static final String TIMESTAMP_NANOS = "timestamp_nanos";

  static final Offset NONE = new Offset(null, null);

  /** The value the next query starts after: Confluent starts incrementing reads after -1. */
  long incrementingOrStart() {
    return incrementing == null ? -1L : incrementing;
  }

  /** The timestamp the next query starts after: the epoch before the first row. */
  Timestamp timestampOrStart() {
    return timestamp == null ? new Timestamp(0L) : timestamp;
  }

  Map<String, Object> toMap() {
    Map<String, Object> map = new HashMap<>();
    if (incrementing != null) {
      map.put(INCREMENTING, incrementing);
    }
    if (timestamp != null) {
      map.put(TIMESTAMP, timestamp.getTime());
      map.put(TIMESTAMP_NANOS, (long) timestamp.getNanos());
    }
    return map;
  }

  static Offset fromMap(Map<String, Object> map) {
    if (map == null || map.isEmpty()) {
      return NONE;
    }
    Long incrementing = asLong(map.get(INCREMENTING));
    Long millis = asLong(map.get(TIMESTAMP));
    Timestamp timestamp = null;
    if (millis != null) {
      timestamp = new Timestamp(millis);
      Long nanos = asLong(map.get(TIMESTAMP_NANOS));
      if (nanos != null) {
        timestamp.setNanos(nanos.intValue());
      }
    }
    return new Offset(incrementing, timestamp);
  }

  private static Long asLong(Object value) {
    return value == null ? null : ((Number) value).longValue();
  }
}
