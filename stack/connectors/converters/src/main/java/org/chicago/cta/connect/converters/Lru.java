package org.chicago.cta.connect.converters;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** A small synchronized least-recently-used cache: converted schemas, at most schemas.cache.config. */
final class Lru {

  private Lru() {}

  static <K, V> Map<K, V> create(int size) {
    return Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
        return size() > size;
      }
    });
  }
}
