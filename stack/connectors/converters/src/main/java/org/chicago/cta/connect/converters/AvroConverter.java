package org.chicago.cta.connect.converters;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.errors.DataException;

/**
 * A Kafka Connect converter between Connect's data and Avro in Confluent's wire format, with the
 * schemas in a Schema Registry: what Confluent's AvroConverter writes and reads, so that records
 * it writes decode with any Confluent Avro deserializer and records their serializers wrote read
 * here. The mapping between the two type systems is {@link AvroData}'s.
 */
public class AvroConverter extends RegistryConverter<org.apache.avro.Schema> {

  public static final String CONNECT_META_DATA = "connect.meta.data";
  public static final String ENHANCED_AVRO_SCHEMA_SUPPORT = "enhanced.avro.schema.support";

  static final ConfigDef CONFIG_DEF = ConverterConfig.baseConfigDef()
      .define(CONNECT_META_DATA, Type.BOOLEAN, true, Importance.LOW,
          "Keep Connect's schema name, version, doc and parameters in \"connect.*\" properties "
              + "of the Avro schema.")
      .define(ENHANCED_AVRO_SCHEMA_SUPPORT, Type.BOOLEAN, false, Importance.LOW,
          "Write strings read from Avro enums as enums again.");

  private AvroData avroData;

  @Override
  public ConfigDef config() {
    return CONFIG_DEF;
  }

  @Override
  protected String formatName() {
    return "Avro";
  }

  @Override
  protected String schemaType() {
    return RegistryClient.AVRO;
  }

  @Override
  protected void configureFormat(ConverterConfig config) {
    avroData = new AvroData(config.getBoolean(CONNECT_META_DATA),
        config.getBoolean(ENHANCED_AVRO_SCHEMA_SUPPORT), config.cacheSize());
  }

  @Override
  protected org.apache.avro.Schema fromConnectSchema(Schema schema) {
    return avroData.fromConnectSchema(schema);
  }

  @Override
  protected String schemaText(org.apache.avro.Schema schema) {
    return schema.toString();
  }

  @Override
  protected org.apache.avro.Schema parseSchema(String text) {
    try {
      return new org.apache.avro.Schema.Parser().parse(text);
    } catch (org.apache.avro.AvroRuntimeException e) {
      throw new DataException("Invalid Avro schema in the registry: " + e.getMessage(), e);
    }
  }

  @Override
  protected String recordName(org.apache.avro.Schema schema) {
    return switch (schema.getType()) {
      case RECORD, ENUM, FIXED -> schema.getFullName();
      default -> schema.getType().getName();
    };
  }

  @Override
  protected byte[] encode(org.apache.avro.Schema writerSchema, Schema schema, Object value) {
    Object datum = avroData.fromConnectData(schema, writerSchema, value);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    try {
      new GenericDatumWriter<>(writerSchema, GenericData.get()).write(datum, encoder);
      encoder.flush();
    } catch (IOException | RuntimeException e) {
      throw new DataException("Cannot write the value with Avro schema " + writerSchema + ": "
          + e.getMessage(), e);
    }
    return out.toByteArray();
  }

  @Override
  protected SchemaAndValue decode(org.apache.avro.Schema writerSchema, ByteBuffer payload,
      Integer version) {
    Object datum;
    try {
      datum = new GenericDatumReader<>(writerSchema, writerSchema, GenericData.get()).read(null,
          DecoderFactory.get().binaryDecoder(payload.array(),
              payload.arrayOffset() + payload.position(), payload.remaining(), null));
    } catch (IOException | RuntimeException e) {
      throw new DataException("Cannot read the data with its Avro schema: " + e, e);
    }
    Schema schema = avroData.toConnectSchema(writerSchema, version);
    return new SchemaAndValue(schema, avroData.toConnectData(schema, datum));
  }
}
