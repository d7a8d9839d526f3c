package org.chicago.cta.connect.converters;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.errors.DataException;

/**
 * What {@link AvroData} and {@link JsonSchemaData} both need of Connect's schemas and values. Both
 * formats write Connect's logical types as their plain values (a Decimal's unscaled bytes, a Date's
 * or Time's int, a Timestamp's long), take bytes as either byte[] or ByteBuffer, and write a map as
 * the format's own map only when its keys are required strings: other maps become arrays of
 * entries with a "key" and a "value".
 */
final class ConnectValues {

  static final String KEY_FIELD = "key";
  static final String VALUE_FIELD = "value";

  private ConnectValues() {}

  /** A logical type's value (BigDecimal, java.util.Date) as its plain value; others as they are. */
  static Object toPlain(Schema schema, Object value) {
    if (schema.name() == null || value == null) {
      return value;
    }
    try {
      return switch (schema.name()) {
        case Decimal.LOGICAL_NAME -> Decimal.fromLogical(schema, (BigDecimal) value);
        case Date.LOGICAL_NAME -> Date.fromLogical(schema, (java.util.Date) value);
        case Time.LOGICAL_NAME -> Time.fromLogical(schema, (java.util.Date) value);
        case Timestamp.LOGICAL_NAME -> Timestamp.fromLogical(schema, (java.util.Date) value);
        default -> value;
      };
    } catch (ClassCastException e) {
      throw new DataException("Invalid type for " + schema.name() + ": " + value.getClass());
    }
  }

  /** A plain value as the logical type's value where schema is one; others as they are. */
  static Object fromPlain(Schema schema, Object value) {
    if (schema.name() == null || value == null) {
      return value;
    }
    return switch (schema.name()) {
      case Decimal.LOGICAL_NAME -> Decimal.toLogical(schema, bytes(value));
      case Date.LOGICAL_NAME -> Date.toLogical(schema, (Integer) value);
      case Time.LOGICAL_NAME -> Time.toLogical(schema, (Integer) value);
      case Timestamp.LOGICAL_NAME -> Timestamp.toLogical(schema, (Long) value);
      default -> value;
    };
  }

  /** Connect's bytes (byte[] or ByteBuffer) as an array; ClassCastException for anything else. */
  static byte[] bytes(Object value) {
    if (value instanceof byte[] array) {
      return array;
    }
    ByteBuffer copy = ((ByteBuffer) value).duplicate();
    byte[] array = new byte[copy.remaining()];
    copy.get(array);
    return array;
  }

  /** Does this map schema have keys both formats write as their own map's (required strings)? */
  static boolean hasStringKeys(Schema map) {
    return map.keySchema().type() == Schema.Type.STRING && !map.keySchema().isOptional();
  }

  static Map<String, String> parameters(Schema schema) {
    return schema.parameters() == null ? Map.of() : schema.parameters();
  }
}
