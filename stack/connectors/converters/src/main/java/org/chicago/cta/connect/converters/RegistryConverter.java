package org.chicago.cta.connect.converters;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.components.Versioned;
import org.apache.kafka.connect.storage.Converter;
import org.chicago.cta.connect.converters.RegistryClient.RegistryException;
import org.chicago.cta.connect.converters.RegistryClient.StoredSchema;
import org.chicago.cta.connect.converters.RegistryClient.Version;

/**
 * What Confluent's Schema Registry converters share, whatever the format: which schema a record
 * is written with (registered, looked up, or the subject's latest), under which subject, and
 * Confluent's wire format around the encoded data. A format (Avro, JSON Schema) supplies the
 * conversions between Connect's schemas and data and its own.
 *
 * @param <S> the format's parsed schema
 */
public abstract class RegistryConverter<S> implements Converter, Versioned {

  /** The version Connect lists for our converters (GET /connector-plugins). */
  public static final String VERSION = "1.0.0";

  private static final int NOT_FOUND = 404;

  private boolean isKey;
  private RegistryClient registry;
  private SubjectNameStrategy subjectNames;
  private boolean autoRegister;
  private boolean useLatestVersion;
  private final Map<Integer, S> parsedById = new ConcurrentHashMap<>();

  /** The format's name in error messages, as Confluent's converters name it ("Avro"). */
  protected abstract String formatName();

  /** The registry's schemaType of this format: AVRO or JSON. */
  protected abstract String schemaType();

  /** The format's own keys are read from here; the common ones are already applied. */
  protected abstract void configureFormat(ConverterConfig config);

  protected abstract S fromConnectSchema(Schema schema);

  /** The schema's text as it is registered. */
  protected abstract String schemaText(S schema);

  protected abstract S parseSchema(String text);

  /** The name RecordNameStrategy uses: the record's fully qualified name, or its title. */
  protected abstract String recordName(S schema);

  protected abstract byte[] encode(S writerSchema, Schema schema, Object value);

  /** version: the schema's version under its subject, or null where it is not known. */
  protected abstract SchemaAndValue decode(S writerSchema, ByteBuffer payload, Integer version);

  @Override
  public abstract ConfigDef config();

  @Override
  public String version() {
    return VERSION;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    ConverterConfig config = new ConverterConfig(config(), configs, isKey);
    this.isKey = isKey;
    registry = new RegistryClient(config.urls(), config.userInfo());
    subjectNames = config.subjectNameStrategy();
    autoRegister = config.autoRegister();
    useLatestVersion = config.useLatestVersion();
    configureFormat(config);
  }

  @Override
  public byte[] fromConnectData(String topic, Schema schema, Object value) {
    try {
      if (value == null) {
        if (schema != null && !schema.isOptional()) {
          throw new DataException("Found null value for non-optional schema");
        }
        return null; // a tombstone stays a tombstone
      }
      S ours = fromConnectSchema(schema);
      String subject = subjectNames.subject(topic, isKey, recordName(ours));
      S writer = ours;
      int id;
      if (autoRegister) {
        id = registry.register(subject, schemaType(), schemaText(ours));
      } else if (useLatestVersion) {
        StoredSchema latest = registry.latest(subject).schema();
        writer = parsed(latest);
        id = latest.id();
      } else {
        id = registry.lookup(subject, schemaType(), schemaText(ours)).schema().id();
      }
      return WireFormat.frame(id, encode(writer, schema, value));
    } catch (DataException e) {
      throw new DataException("Failed to serialize " + formatName() + " data from topic " + topic
          + ": " + e.getMessage(), e);
    }
  }

  @Override
  public SchemaAndValue toConnectData(String topic, byte[] value) {
    if (value == null) {
      return SchemaAndValue.NULL;
    }
    try {
      WireFormat.Framed framed = WireFormat.parse(value);
      StoredSchema stored = registry.schemaById(framed.schemaId());
      if (!schemaType().equals(stored.schemaType())) {
        throw new DataException("Schema " + stored.id() + " has type " + stored.schemaType()
            + "; this converter reads " + schemaType() + " schemas.");
      }
      S writer = parsed(stored);
      return decode(writer, framed.payload(), version(topic, writer, stored));
    } catch (DataException e) {
      throw new DataException("Failed to deserialize data for topic " + topic + " to "
          + formatName() + ": " + e.getMessage(), e);
    }
  }

  /** The version of the subject that holds the writer's schema, which Connect sees as its version. */
  private Integer version(String topic, S writer, StoredSchema stored) {
    String subject = subjectNames.subject(topic, isKey, recordName(writer));
    try {
      Version version = registry.lookup(subject, stored.schemaType(), stored.schema());
      return version.version();
    } catch (RegistryException e) {
      if (e.status == NOT_FOUND) {
        return null; // written under another subject: the data is still readable
      }
      throw e;
    }
  }

  private S parsed(StoredSchema stored) {
    return parsedById.computeIfAbsent(stored.id(), id -> parseSchema(stored.schema()));
  }
}
