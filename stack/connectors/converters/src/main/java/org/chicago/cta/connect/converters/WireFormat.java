package org.chicago.cta.connect.converters;

import java.nio.ByteBuffer;
import org.apache.kafka.connect.errors.DataException;

/**
 * Confluent's wire format: magic byte 0, the schema's id as 4 bytes big-endian, then the data
 * encoded with that schema. Every Schema Registry client frames and reads records this way.
 */
final class WireFormat {

  static final byte MAGIC_BYTE = 0;
  static final int HEADER_SIZE = 5;

  /** A framed record's schema id and the encoded data after the header. */
  record Framed(int schemaId, ByteBuffer payload) {}

  private WireFormat() {}

  static byte[] frame(int schemaId, byte[] payload) {
    return ByteBuffer.allocate(HEADER_SIZE + payload.length)
        .put(MAGIC_BYTE)
        .putInt(schemaId)
        .put(payload)
        .array();
  }

  static Framed parse(byte[] record) {
    if (record.length < HEADER_SIZE || record[0] != MAGIC_BYTE) {
      throw new DataException("Unknown magic byte! The data was not written with a Schema "
          + "Registry serializer (a record starts with byte 0 and a 4-byte schema id).");
    }
    ByteBuffer buffer = ByteBuffer.wrap(record);
    buffer.get();
    int schemaId = buffer.getInt();
    return new Framed(schemaId, buffer.slice());
  }
}
