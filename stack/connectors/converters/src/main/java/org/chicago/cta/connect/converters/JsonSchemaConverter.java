package org.chicago.cta.connect.converters;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.errors.DataException;
import org.chicago.cta.connect.converters.JsonSchemaData.DecimalFormat;

/**
 * A Kafka Connect converter between Connect's data and JSON documents with their JSON Schema in a
 * Schema Registry (schemaType JSON), in Confluent's wire format: what Confluent's
 * JsonSchemaConverter writes and reads, so that confluent-kafka's JSONSerializer and
 * JSONDeserializer interoperate with it. The mapping is {@link JsonSchemaData}'s.
 */
public class JsonSchemaConverter extends RegistryConverter<JsonNode> {

  public static final String DECIMAL_FORMAT = "decimal.format";
  public static final String OBJECT_ADDITIONAL_PROPERTIES = "object.additional.properties";
  public static final String USE_OPTIONAL_FOR_NON_REQUIRED = "use.optional.for.nonrequired";
  static final String JSON_SCHEMA_TYPE = "JSON";

  static final ConfigDef CONFIG_DEF = ConverterConfig.baseConfigDef()
      .define(DECIMAL_FORMAT, Type.STRING, DecimalFormat.BASE64.name(),
          (name, value) -> decimalFormat(name, value), Importance.LOW,
          "How Decimal values are written: BASE64 (the unscaled bytes, Confluent's default) or "
              + "NUMERIC (a JSON number). Both are read.")
      .define(OBJECT_ADDITIONAL_PROPERTIES, Type.BOOLEAN, true, Importance.MEDIUM,
          "Whether the object schemas of Structs allow properties they do not list.")
      .define(USE_OPTIONAL_FOR_NON_REQUIRED, Type.BOOLEAN, false, Importance.MEDIUM,
          "Read properties not listed in \"required\" as optional fields.");

  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  private JsonSchemaData jsonSchemaData;
  private Map<Schema, JsonNode> fromConnectCache;
  private Map<VersionedSchema, Schema> toConnectCache;

  private record VersionedSchema(JsonNode schema, Integer version) {}

  private static DecimalFormat decimalFormat(String name, Object value) {
    try {
      return DecimalFormat.valueOf(((String) value).toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new ConfigException(name, value, "String must be one of (case insensitive): "
          + "BASE64, NUMERIC");
    }
  }

  @Override
  public ConfigDef config() {
    return CONFIG_DEF;
  }

  @Override
  protected String formatName() {
    return "JSON Schema";
  }

  @Override
  protected String schemaType() {
    return JSON_SCHEMA_TYPE;
  }

  @Override
  protected void configureFormat(ConverterConfig config) {
    jsonSchemaData = new JsonSchemaData(
        decimalFormat(DECIMAL_FORMAT, config.getString(DECIMAL_FORMAT)),
        config.getBoolean(OBJECT_ADDITIONAL_PROPERTIES),
        config.getBoolean(USE_OPTIONAL_FOR_NON_REQUIRED));
    fromConnectCache = Lru.create(config.cacheSize());
    toConnectCache = Lru.create(config.cacheSize());
  }

  @Override
  protected JsonNode fromConnectSchema(Schema schema) {
    if (schema == null) {
      return jsonSchemaData.fromConnectSchema(null); // refused there, with the reason
    }
    return fromConnectCache.computeIfAbsent(schema, jsonSchemaData::fromConnectSchema);
  }

  @Override
  protected String schemaText(JsonNode schema) {
    return schema.toString();
  }

  @Override
  protected JsonNode parseSchema(String text) {
    try {
      JsonNode schema = MAPPER.readTree(text);
      if (!schema.isObject()) {
        throw new DataException("A JSON schema must be an object; the registry holds " + text);
      }
      return schema;
    } catch (IOException e) {
      throw new DataException("Invalid JSON schema in the registry: " + e.getMessage(), e);
    }
  }

  @Override
  protected String recordName(JsonNode schema) {
    if (!schema.hasNonNull("title")) {
      throw new DataException("RecordNameStrategy and TopicRecordNameStrategy name a JSON "
          + "schema's subject after its title, and this schema has none: " + schema);
    }
    return schema.get("title").asText();
  }

  @Override
  protected byte[] encode(JsonNode writerSchema, Schema schema, Object value) {
    try {
      return MAPPER.writeValueAsBytes(jsonSchemaData.fromConnectData(schema, value));
    } catch (IOException e) {
      throw new DataException("Cannot write the value as JSON: " + e.getMessage(), e);
    }
  }

  @Override
  protected SchemaAndValue decode(JsonNode writerSchema, ByteBuffer payload, Integer version) {
    JsonNode value;
    try {
      value = MAPPER.readTree(payload.array(), payload.arrayOffset() + payload.position(),
          payload.remaining());
    } catch (IOException e) {
      throw new DataException("The data is not JSON: " + e.getMessage(), e);
    }
    Schema schema = toConnectCache.computeIfAbsent(new VersionedSchema(writerSchema, version),
        key -> jsonSchemaData.toConnectSchema(key.schema(), key.version()));
    return new SchemaAndValue(schema, jsonSchemaData.toConnectData(schema, value));
  }
}
