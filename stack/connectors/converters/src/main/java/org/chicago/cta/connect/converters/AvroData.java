package org.chicago.cta.connect.converters;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.JsonProperties;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.errors.DataException;

/**
 * Connect's schemas and data to Avro's and back, as Confluent's AvroData maps them, so that what
 * our converter registers and writes is what Confluent's would, and what either wrote reads back
 * as the same Connect schema: INT8/INT16 are Avro ints marked "connect.type", optional schemas are
 * unions with null (default null), Decimal/Date/Time/Timestamp carry Avro's logical types, and a
 * Connect schema's name, version, doc, parameters and default are kept in "connect.*" properties.
 * Maps with string keys are Avro maps; other maps are arrays of MapEntry records. Avro enums are
 * read as strings with the symbols in parameters; Avro unions other than [null, X] as a Struct
 * named io.confluent.connect.avro.Union with a field per member.
 */
final class AvroData {

  static final String NAMESPACE = "io.confluent.connect.avro";
  static final String DEFAULT_SCHEMA_NAME = "ConnectDefault";
  static final String DEFAULT_SCHEMA_FULL_NAME = NAMESPACE + "." + DEFAULT_SCHEMA_NAME;
  static final String MAP_ENTRY_TYPE_NAME = "MapEntry";
  static final String KEY_FIELD = "key";
  static final String VALUE_FIELD = "value";

  static final String CONNECT_NAME_PROP = "connect.name";
  static final String CONNECT_DOC_PROP = "connect.doc";
  static final String CONNECT_VERSION_PROP = "connect.version";
  static final String CONNECT_DEFAULT_VALUE_PROP = "connect.default";
  static final String CONNECT_PARAMETERS_PROP = "connect.parameters";
  static final String CONNECT_TYPE_PROP = "connect.type";
  static final String CONNECT_INTERNAL_TYPE_PROP = "connect.internal.type";
  static final String AVRO_TYPE_UNION = NAMESPACE + ".Union";
  static final String AVRO_TYPE_ENUM = NAMESPACE + ".Enum";
  static final String AVRO_RECORD_DOC_PROP = NAMESPACE + ".record.doc";
  static final String AVRO_FIELD_DOC_PREFIX = NAMESPACE + ".field.doc.";
  static final String AVRO_ENUM_DOC_PREFIX = NAMESPACE + ".enum.doc.";
  static final String AVRO_ENUM_DEFAULT_PREFIX = NAMESPACE + ".enum.default.";
  static final String AVRO_FIELD_DEFAULT_FLAG = NAMESPACE + ".field.default";
  static final String CONNECT_FIXED_SIZE = "connect.fixed.size";
  static final String CONNECT_DECIMAL_PRECISION = "connect.decimal.precision";
  static final int DEFAULT_DECIMAL_PRECISION = 64;
  private static final String AVRO_PROP_PREFIX = "avro";
  private static final String LOGICAL_TYPE = "logicalType";

  private final boolean connectMetaData;
  private final boolean enhancedSchemaSupport;
  private final Map<Schema, org.apache.avro.Schema> fromConnectCache;
  private final Map<VersionedSchema, Schema> toConnectCache;

  private record VersionedSchema(org.apache.avro.Schema schema, Integer version) {}

  /**
   * connectMetaData: keep Connect's name, version, doc and parameters in "connect.*" properties;
   * enhancedSchemaSupport: write strings read from Avro enums as enums again.
   */
  AvroData(boolean connectMetaData, boolean enhancedSchemaSupport, int cacheSize) {
    this.connectMetaData = connectMetaData;
    this.enhancedSchemaSupport = enhancedSchemaSupport;
    this.fromConnectCache = Lru.create(cacheSize);
    this.toConnectCache = Lru.create(cacheSize);
  }

  // --- Connect schema -> Avro schema ----------------------------------------------------------

  org.apache.avro.Schema fromConnectSchema(Schema schema) {
    if (schema == null) {
      throw new DataException("Schemaless data (no Connect schema) is not supported: use a "
          + "converter with schemas, or the JsonConverter.");
    }
    org.apache.avro.Schema cached = fromConnectCache.get(schema);
    if (cached == null) {
      cached = new FromConnect().convert(schema, false);
      fromConnectCache.put(schema, cached);
    }
    return cached;
  }

  /** One conversion: a named type used twice must be defined once, and unnamed records numbered. */
  private final class FromConnect {
    private final Map<Schema, org.apache.avro.Schema> defined = new HashMap<>();
    private int unnamedRecords;

    org.apache.avro.Schema convert(Schema schema, boolean ignoreOptional) {
      boolean reusable = !schema.isOptional() && !AVRO_TYPE_UNION.equals(schema.name());
      if (reusable && defined.containsKey(schema)) {
        return defined.get(schema);
      }
      org.apache.avro.Schema result;
      if (AVRO_TYPE_UNION.equals(schema.name())) {
        List<org.apache.avro.Schema> members = new ArrayList<>();
        if (schema.isOptional()) {
          members.add(org.apache.avro.Schema.create(org.apache.avro.Schema.Type.NULL));
        }
        for (Field field : schema.fields()) {
          members.add(convert(field.schema(), true));
        }
        result = org.apache.avro.Schema.createUnion(members);
      } else {
        org.apache.avro.Schema base = base(schema);
        addProperties(schema, base);
        result = base;
        if (schema.isOptional() && !ignoreOptional) {
          org.apache.avro.Schema nullSchema =
              org.apache.avro.Schema.create(org.apache.avro.Schema.Type.NULL);
          // Avro's default must match the union's first member.
          result = org.apache.avro.Schema.createUnion(schema.defaultValue() != null
              ? List.of(base, nullSchema) : List.of(nullSchema, base));
        }
      }
      if (reusable) {
        defined.put(schema, result);
      }
      return result;
    }

    private org.apache.avro.Schema base(Schema schema) {
      String[] name = splitName(schema.name());
      return switch (schema.type()) {
        case INT8, INT16, INT32 -> primitive(org.apache.avro.Schema.Type.INT);
        case INT64 -> primitive(org.apache.avro.Schema.Type.LONG);
        case FLOAT32 -> primitive(org.apache.avro.Schema.Type.FLOAT);
        case FLOAT64 -> primitive(org.apache.avro.Schema.Type.DOUBLE);
        case BOOLEAN -> primitive(org.apache.avro.Schema.Type.BOOLEAN);
        case STRING -> isEnum(schema) ? enumSchema(schema)
            : primitive(org.apache.avro.Schema.Type.STRING);
        case BYTES -> bytes(schema, name);
        case ARRAY -> org.apache.avro.Schema.createArray(convert(schema.valueSchema(), false));
        case MAP -> map(schema, name);
        case STRUCT -> record(schema, name);
      };
    }

    private org.apache.avro.Schema bytes(Schema schema, String[] name) {
      Map<String, String> parameters = parameters(schema);
      if (parameters.containsKey(CONNECT_FIXED_SIZE) && schema.name() != null) {
        return org.apache.avro.Schema.createFixed(name[1], null, name[0],
            Integer.parseInt(parameters.get(CONNECT_FIXED_SIZE)));
      }
      org.apache.avro.Schema bytes = primitive(org.apache.avro.Schema.Type.BYTES);
      if (Decimal.LOGICAL_NAME.equals(schema.name())) {
        bytes.addProp("scale", Integer.parseInt(parameters.get(Decimal.SCALE_FIELD)));
        bytes.addProp("precision", decimalPrecision(parameters));
      }
      return bytes;
    }

    private org.apache.avro.Schema map(Schema schema, String[] name) {
      if (schema.keySchema().type() == Schema.Type.STRING && !schema.keySchema().isOptional()) {
        return org.apache.avro.Schema.createMap(convert(schema.valueSchema(), false));
      }
      // Avro maps have string keys: other maps are arrays of key/value records.
      org.apache.avro.Schema entry = schema.name() == null
          ? org.apache.avro.Schema.createRecord(MAP_ENTRY_TYPE_NAME, null, NAMESPACE, false)
          : org.apache.avro.Schema.createRecord(name[1], null, name[0], false);
      if (schema.name() != null) {
        entry.addProp(CONNECT_INTERNAL_TYPE_PROP, MAP_ENTRY_TYPE_NAME);
      }
      entry.setFields(List.of(
          field(KEY_FIELD, schema.keySchema(), null),
          field(VALUE_FIELD, schema.valueSchema(), null)));
      return org.apache.avro.Schema.createArray(entry);
    }

    private org.apache.avro.Schema record(Schema schema, String[] name) {
      Map<String, String> parameters = parameters(schema);
      String recordName = name[1];
      String namespace = name[0];
      if (schema.name() == null) {
        unnamedRecords++;
        recordName = DEFAULT_SCHEMA_NAME + (unnamedRecords > 1 ? unnamedRecords : "");
        namespace = NAMESPACE;
      }
      org.apache.avro.Schema record = org.apache.avro.Schema.createRecord(
          recordName, parameters.get(AVRO_RECORD_DOC_PROP), namespace, false);
      List<org.apache.avro.Schema.Field> fields = new ArrayList<>();
      for (Field field : schema.fields()) {
        fields.add(field(field.name(), field.schema(),
            parameters.get(AVRO_FIELD_DOC_PREFIX + field.name())));
      }
      record.setFields(fields);
      return record;
    }

    private org.apache.avro.Schema.Field field(String name, Schema schema, String doc) {
      Object defaultValue = null;
      if (schema.defaultValue() != null) {
        defaultValue = defaultToAvro(schema, schema.defaultValue());
      } else if (schema.isOptional()) {
        defaultValue = JsonProperties.NULL_VALUE;
      }
      return new org.apache.avro.Schema.Field(name, convert(schema, false), doc, defaultValue);
    }
  }

  private boolean isEnum(Schema schema) {
    return enhancedSchemaSupport && parameters(schema).containsKey(AVRO_TYPE_ENUM);
  }

  private static org.apache.avro.Schema enumSchema(Schema schema) {
    Map<String, String> parameters = schema.parameters();
    String[] name = splitName(parameters.get(AVRO_TYPE_ENUM));
    List<String> symbols = new ArrayList<>();
    for (Map.Entry<String, String> entry : parameters.entrySet()) {
      if (entry.getKey().startsWith(AVRO_TYPE_ENUM + ".")) {
        symbols.add(entry.getValue());
      }
    }
    return org.apache.avro.Schema.createEnum(name[1], parameters.get(AVRO_ENUM_DOC_PREFIX + name[1]),
        name[0], symbols, parameters.get(AVRO_ENUM_DEFAULT_PREFIX + name[1]));
  }

  /** The "connect.*" properties, then the logical type and any "avro*" parameter, in Confluent's order. */
  private void addProperties(Schema schema, org.apache.avro.Schema avro) {
    Map<String, String> parameters = parameters(schema);
    if (connectMetaData) {
      if (schema.doc() != null) {
        avro.addProp(CONNECT_DOC_PROP, schema.doc());
      }
      if (schema.version() != null) {
        avro.addProp(CONNECT_VERSION_PROP, schema.version());
      }
      Map<String, String> kept = new LinkedHashMap<>(parameters);
      kept.remove(AVRO_FIELD_DEFAULT_FLAG);
      if (!kept.isEmpty()) {
        avro.addProp(CONNECT_PARAMETERS_PROP, kept);
      }
      if (schema.defaultValue() != null && !parameters.containsKey(AVRO_FIELD_DEFAULT_FLAG)) {
        avro.addProp(CONNECT_DEFAULT_VALUE_PROP, defaultToAvro(schema, schema.defaultValue()));
      }
      if (schema.name() != null) {
        avro.addProp(CONNECT_NAME_PROP, schema.name());
      }
      if (schema.type() == Schema.Type.INT8 || schema.type() == Schema.Type.INT16) {
        avro.addProp(CONNECT_TYPE_PROP, schema.type().getName());
      }
    }
    String logicalType = logicalType(schema);
    if (logicalType != null) {
      avro.addProp(LOGICAL_TYPE, logicalType);
    }
    for (Map.Entry<String, String> entry : parameters.entrySet()) {
      if (entry.getKey().startsWith(AVRO_PROP_PREFIX)) {
        avro.addProp(entry.getKey(), entry.getValue());
      }
    }
  }

  private static String logicalType(Schema schema) {
    if (schema.name() == null) {
      return null;
    }
    return switch (schema.name()) {
      case Decimal.LOGICAL_NAME -> "decimal";
      case Date.LOGICAL_NAME -> "date";
      case Time.LOGICAL_NAME -> "time-millis";
      case Timestamp.LOGICAL_NAME -> "timestamp-millis";
      default -> null;
    };
  }

  private static int decimalPrecision(Map<String, String> parameters) {
    String precision = parameters.get(CONNECT_DECIMAL_PRECISION);
    return precision == null ? DEFAULT_DECIMAL_PRECISION : Integer.parseInt(precision);
  }

  /** A Connect default value as Avro's JSON default (bytes as ISO-8859-1 text, as Avro wants). */
  @SuppressWarnings("unchecked")
  private static Object defaultToAvro(Schema schema, Object value) {
    Object plain = toAvroLogical(schema, value);
    try {
      return switch (schema.type()) {
        case INT8 -> ((Byte) plain).intValue();
        case INT16 -> ((Short) plain).intValue();
        case INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING -> plain;
        case BYTES -> new String(bytes(plain), StandardCharsets.ISO_8859_1);
        case ARRAY -> {
          List<Object> list = new ArrayList<>();
          for (Object element : (Collection<Object>) plain) {
            list.add(defaultToAvro(schema.valueSchema(), element));
          }
          yield list;
        }
        case MAP -> {
          if (schema.keySchema().type() == Schema.Type.STRING) {
            Map<String, Object> map = new LinkedHashMap<>();
            ((Map<String, Object>) plain).forEach(
                (k, v) -> map.put(k, defaultToAvro(schema.valueSchema(), v)));
            yield map;
          }
          List<Object> entries = new ArrayList<>();
          ((Map<Object, Object>) plain).forEach((k, v) -> entries.add(Map.of(
              KEY_FIELD, defaultToAvro(schema.keySchema(), k),
              VALUE_FIELD, defaultToAvro(schema.valueSchema(), v))));
          yield entries;
        }
        case STRUCT -> {
          Map<String, Object> record = new LinkedHashMap<>();
          Struct struct = (Struct) plain;
          for (Field field : schema.fields()) {
            Object fieldValue = struct.get(field);
            record.put(field.name(), fieldValue == null ? JsonProperties.NULL_VALUE
                : defaultToAvro(field.schema(), fieldValue));
          }
          yield record;
        }
      };
    } catch (ClassCastException e) {
      throw new DataException("Invalid default value for " + schema.type() + ": " + value);
    }
  }

  // --- Connect data -> Avro data --------------------------------------------------------------

  /** value, of Connect's schema, as data of avro: the schema converted from it, or another one
   * whose fields are matched by name (the subject's latest, with use.latest.version). */
  @SuppressWarnings("unchecked")
  Object fromConnectData(Schema schema, org.apache.avro.Schema avro, Object value) {
    if (value == null) {
      if (!schema.isOptional()) {
        throw new DataException("Found null value for non-optional schema");
      }
      return null;
    }
    if (AVRO_TYPE_UNION.equals(schema.name())) {
      Struct union = (Struct) value;
      for (Field field : schema.fields()) {
        Object member = union.get(field);
        if (member != null) {
          return fromConnectData(field.schema(), avro, member);
        }
      }
      return null;
    }
    org.apache.avro.Schema target = memberFor(schema, avro);
    Object plain = toAvroLogical(schema, value);
    try {
      return switch (schema.type()) {
        case INT8 -> ((Byte) plain).intValue();
        case INT16 -> ((Short) plain).intValue();
        case INT32 -> (Integer) plain;
        case INT64 -> (Long) plain;
        case FLOAT32 -> (Float) plain;
        case FLOAT64 -> (Double) plain;
        case BOOLEAN -> (Boolean) plain;
        case STRING -> target.getType() == org.apache.avro.Schema.Type.ENUM
            ? new GenericData.EnumSymbol(target, (String) plain) : (String) plain;
        case BYTES -> target.getType() == org.apache.avro.Schema.Type.FIXED
            ? new GenericData.Fixed(target, bytes(plain)) : ByteBuffer.wrap(bytes(plain));
        case ARRAY -> {
          List<Object> list = new ArrayList<>();
          for (Object element : (Collection<Object>) plain) {
            list.add(fromConnectData(schema.valueSchema(), target.getElementType(), element));
          }
          yield list;
        }
        case MAP -> mapFromConnect(schema, target, (Map<Object, Object>) plain);
        case STRUCT -> recordFromConnect(schema, target, (Struct) plain);
      };
    } catch (ClassCastException e) {
      throw new DataException("Invalid type for " + schema.type() + ": " + value.getClass());
    }
  }

  private Object mapFromConnect(Schema schema, org.apache.avro.Schema avro,
      Map<Object, Object> map) {
    if (avro.getType() == org.apache.avro.Schema.Type.MAP) {
      Map<String, Object> converted = new LinkedHashMap<>();
      map.forEach((k, v) -> converted.put((String) k,
          fromConnectData(schema.valueSchema(), avro.getValueType(), v)));
      return converted;
    }
    org.apache.avro.Schema entry = avro.getElementType();
    List<Object> entries = new ArrayList<>();
    map.forEach((k, v) -> {
      GenericData.Record record = new GenericData.Record(entry);
      record.put(KEY_FIELD,
          fromConnectData(schema.keySchema(), entry.getField(KEY_FIELD).schema(), k));
      record.put(VALUE_FIELD,
          fromConnectData(schema.valueSchema(), entry.getField(VALUE_FIELD).schema(), v));
      entries.add(record);
    });
    return entries;
  }

  private Object recordFromConnect(Schema schema, org.apache.avro.Schema avro, Struct struct) {
    GenericData.Record record = new GenericData.Record(avro);
    for (org.apache.avro.Schema.Field avroField : avro.getFields()) {
      Field field = schema.field(avroField.name());
      if (field != null) {
        record.put(avroField.pos(),
            fromConnectData(field.schema(), avroField.schema(), struct.get(field)));
      } else if (avroField.hasDefaultValue()) {
        record.put(avroField.pos(), GenericData.get().getDefaultValue(avroField));
      } else {
        throw new DataException("Field " + avroField.name() + " of Avro schema " + avro.getFullName()
            + " has no default and is not in the Connect schema " + schema.name());
      }
    }
    return record;
  }

  /** The member of a union that Connect's schema writes to (avro itself where it is no union). */
  private static org.apache.avro.Schema memberFor(Schema schema, org.apache.avro.Schema avro) {
    if (avro.getType() != org.apache.avro.Schema.Type.UNION) {
      return avro;
    }
    for (org.apache.avro.Schema member : avro.getTypes()) {
      if (matches(schema, member)) {
        return member;
      }
    }
    throw new DataException("No member of the Avro union " + avro + " fits Connect's "
        + schema.type() + (schema.name() == null ? "" : " " + schema.name()));
  }

  private static boolean matches(Schema schema, org.apache.avro.Schema member) {
    org.apache.avro.Schema.Type type = member.getType();
    return switch (schema.type()) {
      case INT8, INT16, INT32 -> type == org.apache.avro.Schema.Type.INT;
      case INT64 -> type == org.apache.avro.Schema.Type.LONG;
      case FLOAT32 -> type == org.apache.avro.Schema.Type.FLOAT;
      case FLOAT64 -> type == org.apache.avro.Schema.Type.DOUBLE;
      case BOOLEAN -> type == org.apache.avro.Schema.Type.BOOLEAN;
      case STRING -> type == org.apache.avro.Schema.Type.STRING
          || type == org.apache.avro.Schema.Type.ENUM;
      case BYTES -> type == org.apache.avro.Schema.Type.BYTES
          || type == org.apache.avro.Schema.Type.FIXED;
      case ARRAY -> type == org.apache.avro.Schema.Type.ARRAY
          && !isMapEntry(member.getElementType());
      case MAP -> type == org.apache.avro.Schema.Type.MAP
          || (type == org.apache.avro.Schema.Type.ARRAY && isMapEntry(member.getElementType()));
      case STRUCT -> type == org.apache.avro.Schema.Type.RECORD
          && (schema.name() == null ? member.getFullName().startsWith(DEFAULT_SCHEMA_FULL_NAME)
              : schema.name().equals(member.getFullName()));
    };
  }

  private static Object toAvroLogical(Schema schema, Object value) {
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

  // --- Avro schema -> Connect schema ----------------------------------------------------------

  /** version: the registry's version of the schema, for a top-level schema without connect.version. */
  Schema toConnectSchema(org.apache.avro.Schema avro, Integer version) {
    VersionedSchema key = new VersionedSchema(avro, version);
    Schema cached = toConnectCache.get(key);
    if (cached == null) {
      cached = toConnect(avro, false, null, version);
      toConnectCache.put(key, cached);
    }
    return cached;
  }

  /**
   * fieldDefault: the default of the record field this schema is the type of (Avro keeps defaults
   * on fields, Connect on schemas), or null.
   */
  private Schema toConnect(org.apache.avro.Schema avro, boolean forceOptional,
      Object fieldDefault, Integer version) {
    String connectType = avro.getProp(CONNECT_TYPE_PROP);
    String logicalType = avro.getProp(LOGICAL_TYPE);
    SchemaBuilder builder;
    switch (avro.getType()) {
      case BOOLEAN -> builder = SchemaBuilder.bool();
      case BYTES, FIXED -> {
        if ("decimal".equalsIgnoreCase(logicalType)) {
          if (!(avro.getObjectProp("scale") instanceof Number scale)) {
            throw new DataException("scale must be specified and must be a number.");
          }
          builder = Decimal.builder(scale.intValue());
          if (avro.getObjectProp("precision") instanceof Number precision
              && precision.intValue() != DEFAULT_DECIMAL_PRECISION) {
            builder.parameter(CONNECT_DECIMAL_PRECISION, String.valueOf(precision.intValue()));
          }
        } else {
          builder = SchemaBuilder.bytes();
          if (avro.getType() == org.apache.avro.Schema.Type.FIXED) {
            builder.parameter(CONNECT_FIXED_SIZE, String.valueOf(avro.getFixedSize()));
          }
        }
      }
      case DOUBLE -> builder = SchemaBuilder.float64();
      case FLOAT -> builder = SchemaBuilder.float32();
      case INT -> {
        if ("date".equalsIgnoreCase(logicalType)) {
          builder = Date.builder();
        } else if ("time-millis".equalsIgnoreCase(logicalType)) {
          builder = Time.builder();
        } else if ("int8".equals(connectType)) {
          builder = SchemaBuilder.int8();
        } else if ("int16".equals(connectType)) {
          builder = SchemaBuilder.int16();
        } else if (connectType == null || logicalType != null) {
          builder = SchemaBuilder.int32();
        } else {
          throw new DataException("Connect type annotation for Avro int field is " + connectType);
        }
      }
      case LONG -> builder = "timestamp-millis".equalsIgnoreCase(logicalType)
          ? Timestamp.builder() : SchemaBuilder.int64();
      case STRING -> builder = SchemaBuilder.string();
      case ARRAY -> {
        org.apache.avro.Schema element = avro.getElementType();
        if (isMapEntry(element)) {
          if (element.getFields().size() != 2 || element.getField(KEY_FIELD) == null
              || element.getField(VALUE_FIELD) == null) {
            throw new DataException("Found map encoded as array of key-value pairs, but array "
                + "elements do not match the expected format.");
          }
          builder = SchemaBuilder.map(
              toConnect(element.getField(KEY_FIELD).schema(), false, null, null),
              toConnect(element.getField(VALUE_FIELD).schema(), false, null, null));
        } else {
          builder = SchemaBuilder.array(toConnect(element, false, null, null));
        }
      }
      case MAP -> builder = SchemaBuilder.map(
          Schema.STRING_SCHEMA, toConnect(avro.getValueType(), false, null, null));
      case RECORD -> {
        builder = SchemaBuilder.struct();
        if (connectMetaData && avro.getDoc() != null) {
          builder.parameter(AVRO_RECORD_DOC_PROP, avro.getDoc());
        }
        for (org.apache.avro.Schema.Field field : avro.getFields()) {
          if (connectMetaData && field.doc() != null) {
            builder.parameter(AVRO_FIELD_DOC_PREFIX + field.name(), field.doc());
          }
          builder.field(field.name(), toConnect(field.schema(), false,
              field.hasDefaultValue() ? field.defaultVal() : null, null));
        }
      }
      case ENUM -> {
        builder = SchemaBuilder.string();
        if (connectMetaData && avro.getDoc() != null) {
          builder.parameter(AVRO_ENUM_DOC_PREFIX + avro.getName(), avro.getDoc());
        }
        if (connectMetaData && avro.getEnumDefault() != null) {
          builder.parameter(AVRO_ENUM_DEFAULT_PREFIX + avro.getName(), avro.getEnumDefault());
        }
        builder.parameter(AVRO_TYPE_ENUM, avro.getFullName());
        for (String symbol : avro.getEnumSymbols()) {
          builder.parameter(AVRO_TYPE_ENUM + "." + symbol, symbol);
        }
      }
      case UNION -> {
        List<org.apache.avro.Schema> members = avro.getTypes();
        if (members.size() == 2 && members.stream().anyMatch(AvroData::isNull)) {
          org.apache.avro.Schema other = isNull(members.get(0)) ? members.get(1) : members.get(0);
          return toConnect(other, true, null, null);
        }
        builder = SchemaBuilder.struct().name(AVRO_TYPE_UNION);
        Set<String> names = new HashSet<>();
        for (org.apache.avro.Schema member : members) {
          if (isNull(member)) {
            builder.optional();
            continue;
          }
          String name = unionMemberName(member);
          if (!names.add(name)) {
            throw new DataException("Multiple union schemas map to the Connect union field name");
          }
          builder.field(name, toConnect(member, true, null, null));
        }
      }
      case NULL -> throw new DataException(
          "Standalone null schemas are not supported by this converter");
      default -> throw new DataException("Couldn't translate unsupported schema type "
          + avro.getType().getName() + ".");
    }
    addConnectMetadata(avro, builder, fieldDefault, version);
    if (forceOptional) {
      builder.optional();
    }
    return builder.build();
  }

  @SuppressWarnings("unchecked")
  private void addConnectMetadata(org.apache.avro.Schema avro, SchemaBuilder builder,
      Object fieldDefault, Integer version) {
    String doc = avro.getProp(CONNECT_DOC_PROP);
    if (connectMetaData && doc != null) {
      builder.doc(doc);
    }
    Object versionProp = avro.getObjectProp(CONNECT_VERSION_PROP);
    if (versionProp != null && !(versionProp instanceof Number)) {
      throw new DataException("Invalid Connect version found: " + versionProp);
    }
    Integer connectVersion = versionProp != null ? (Integer) ((Number) versionProp).intValue()
        : version;
    if (connectVersion != null && builder.version() == null) {
      builder.version(connectVersion);
    }
    Object parameters = avro.getObjectProp(CONNECT_PARAMETERS_PROP);
    if (connectMetaData && parameters != null) {
      if (!(parameters instanceof Map)) {
        throw new DataException("Expected JSON object for schema parameters but found: "
            + parameters);
      }
      for (Map.Entry<String, Object> entry : ((Map<String, Object>) parameters).entrySet()) {
        if (!(entry.getValue() instanceof String text)) {
          throw new DataException("Expected schema parameter values to be strings but found: "
              + entry.getValue());
        }
        builder.parameter(entry.getKey(), text);
      }
    }
    for (Map.Entry<String, Object> entry : avro.getObjectProps().entrySet()) {
      if (entry.getKey().startsWith(AVRO_PROP_PREFIX)) {
        builder.parameter(entry.getKey(), entry.getValue().toString());
      }
    }
    Object connectDefault = avro.getObjectProp(CONNECT_DEFAULT_VALUE_PROP);
    Object defaultValue = fieldDefault != null ? fieldDefault : connectDefault;
    if (fieldDefault != null && connectDefault == null) {
      builder.parameter(AVRO_FIELD_DEFAULT_FLAG, "true");
    }
    Object name = avro.getObjectProp(CONNECT_NAME_PROP);
    if (name != null && !(name instanceof String)) {
      throw new DataException("Invalid schema name: " + name);
    }
    if (name == null && (avro.getType() == org.apache.avro.Schema.Type.RECORD
        || avro.getType() == org.apache.avro.Schema.Type.ENUM
        || avro.getType() == org.apache.avro.Schema.Type.FIXED)) {
      name = avro.getFullName();
    }
    if (name != null && !((String) name).startsWith(DEFAULT_SCHEMA_FULL_NAME)) {
      if (builder.name() == null) {
        builder.name((String) name);
      } else if (!name.equals(builder.name())) {
        throw new DataException("Mismatched names: name already added to SchemaBuilder ("
            + builder.name() + ") differs from name in source schema (" + name + ")");
      }
    }
    if (defaultValue != null && defaultValue != JsonProperties.NULL_VALUE) {
      builder.defaultValue(defaultFromAvro(builder, defaultValue));
    }
  }

  /** An Avro default (as Avro's Java objects) as a Connect default of schema. */
  @SuppressWarnings("unchecked")
  private static Object defaultFromAvro(Schema schema, Object value) {
    if (value == null || value == JsonProperties.NULL_VALUE) {
      return null;
    }
    try {
      Object plain = switch (schema.type()) {
        case INT8 -> ((Number) value).byteValue();
        case INT16 -> ((Number) value).shortValue();
        case INT32 -> ((Number) value).intValue();
        case INT64 -> ((Number) value).longValue();
        case FLOAT32 -> ((Number) value).floatValue();
        case FLOAT64 -> ((Number) value).doubleValue();
        case BOOLEAN -> (Boolean) value;
        case STRING -> value.toString();
        case BYTES -> value instanceof String text
            ? text.getBytes(StandardCharsets.ISO_8859_1) : bytes(value);
        case ARRAY -> {
          List<Object> list = new ArrayList<>();
          for (Object element : (Collection<Object>) value) {
            list.add(defaultFromAvro(schema.valueSchema(), element));
          }
          yield list;
        }
        case MAP -> {
          Map<Object, Object> map = new LinkedHashMap<>();
          if (value instanceof Map) {
            ((Map<Object, Object>) value).forEach((k, v) -> map.put(
                defaultFromAvro(schema.keySchema(), k), defaultFromAvro(schema.valueSchema(), v)));
          } else {
            for (Object entry : (Collection<Object>) value) {
              Map<Object, Object> pair = (Map<Object, Object>) entry;
              map.put(defaultFromAvro(schema.keySchema(), pair.get(KEY_FIELD)),
                  defaultFromAvro(schema.valueSchema(), pair.get(VALUE_FIELD)));
            }
          }
          yield map;
        }
        case STRUCT -> {
          if (AVRO_TYPE_UNION.equals(schema.name())) {
            yield null; // a union's default is its first member's: Connect has no way to say which
          }
          Map<String, Object> fields = (Map<String, Object>) value;
          Struct struct = new Struct(schema);
          for (Field field : schema.fields()) {
            Object fieldValue = defaultFromAvro(field.schema(), fields.get(field.name()));
            if (fieldValue != null) {
              struct.put(field, fieldValue);
            }
          }
          yield struct;
        }
      };
      return toConnectLogical(schema, plain);
    } catch (ClassCastException e) {
      throw new DataException("Invalid default value for " + schema.type() + ": " + value);
    }
  }

  // --- Avro data -> Connect data --------------------------------------------------------------

  /** value, read with Avro's generic reader (no logical type conversions), as Connect's data. */
  @SuppressWarnings("unchecked")
  Object toConnectData(Schema schema, Object value) {
    if (value == null) {
      if (!schema.isOptional()) {
        throw new DataException("Found null value for non-optional schema");
      }
      return null;
    }
    try {
      Object converted = switch (schema.type()) {
        case INT32 -> (Integer) value;
        case INT64 -> (Long) value;
        case FLOAT32 -> (Float) value;
        case FLOAT64 -> (Double) value;
        case BOOLEAN -> (Boolean) value;
        case INT8 -> ((Integer) value).byteValue();
        case INT16 -> ((Integer) value).shortValue();
        case STRING -> {
          if (value instanceof CharSequence || value instanceof GenericEnumSymbol) {
            yield value.toString();
          }
          throw new DataException("Invalid class for string type, expecting String or "
              + "CharSequence but found " + value.getClass());
        }
        case BYTES -> ByteBuffer.wrap(bytes(value));
        case ARRAY -> {
          List<Object> list = new ArrayList<>();
          for (Object element : (Collection<Object>) value) {
            list.add(toConnectData(schema.valueSchema(), element));
          }
          yield list;
        }
        case MAP -> {
          Map<Object, Object> map = new LinkedHashMap<>();
          if (value instanceof Map) {
            ((Map<Object, Object>) value).forEach((k, v) ->
                map.put(k.toString(), toConnectData(schema.valueSchema(), v)));
          } else {
            for (IndexedRecord entry : (Collection<IndexedRecord>) value) {
              org.apache.avro.Schema entrySchema = entry.getSchema();
              map.put(toConnectData(schema.keySchema(),
                      entry.get(entrySchema.getField(KEY_FIELD).pos())),
                  toConnectData(schema.valueSchema(),
                      entry.get(entrySchema.getField(VALUE_FIELD).pos())));
            }
          }
          yield map;
        }
        case STRUCT -> AVRO_TYPE_UNION.equals(schema.name())
            ? unionToConnect(schema, value) : recordToConnect(schema, (IndexedRecord) value);
      };
      return toConnectLogical(schema, converted);
    } catch (ClassCastException e) {
      throw new DataException("Invalid type for " + schema.type() + ": " + value.getClass());
    }
  }

  private Struct recordToConnect(Schema schema, IndexedRecord record) {
    Struct struct = new Struct(schema);
    for (Field field : schema.fields()) {
      int position = record.getSchema().getField(field.name()).pos();
      struct.put(field, toConnectData(field.schema(), record.get(position)));
    }
    return struct;
  }

  /** A member of an Avro union, as the Union Struct's field for the member's type. */
  private Struct unionToConnect(Schema schema, Object value) {
    for (Field field : schema.fields()) {
      if (isUnionMember(field, value)) {
        return new Struct(schema).put(field, toConnectData(field.schema(), value));
      }
    }
    throw new DataException("Did not find matching union field for data: " + value);
  }

  private static boolean isUnionMember(Field field, Object value) {
    if (value instanceof IndexedRecord record) {
      return field.name().equals(record.getSchema().getName());
    }
    if (value instanceof GenericEnumSymbol<?> symbol) {
      return field.name().equals(symbol.getSchema().getName());
    }
    if (value instanceof GenericFixed fixed) {
      return field.name().equals(fixed.getSchema().getName());
    }
    return switch (field.name()) {
      case "int" -> value instanceof Integer;
      case "long" -> value instanceof Long;
      case "float" -> value instanceof Float;
      case "double" -> value instanceof Double;
      case "boolean" -> value instanceof Boolean;
      case "string" -> value instanceof CharSequence;
      case "bytes" -> value instanceof ByteBuffer;
      case "array" -> value instanceof Collection;
      case "map" -> value instanceof Map;
      default -> false;
    };
  }

  private static Object toConnectLogical(Schema schema, Object value) {
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

  // --- helpers --------------------------------------------------------------------------------

  /** The field name a union member gets in Connect's Union Struct: its name, or its type's. */
  private static String unionMemberName(org.apache.avro.Schema member) {
    return switch (member.getType()) {
      case RECORD, ENUM, FIXED -> member.getName();
      default -> member.getType().getName();
    };
  }

  /** Is this record an entry of a map with non-string keys (see fromConnectSchema)? */
  static boolean isMapEntry(org.apache.avro.Schema record) {
    return record.getType() == org.apache.avro.Schema.Type.RECORD
        && ((NAMESPACE.equals(record.getNamespace())
            && MAP_ENTRY_TYPE_NAME.equals(record.getName()))
        || MAP_ENTRY_TYPE_NAME.equals(record.getProp(CONNECT_INTERNAL_TYPE_PROP)));
  }

  private static boolean isNull(org.apache.avro.Schema schema) {
    return schema.getType() == org.apache.avro.Schema.Type.NULL;
  }

  private static org.apache.avro.Schema primitive(org.apache.avro.Schema.Type type) {
    return org.apache.avro.Schema.create(type);
  }

  private static Map<String, String> parameters(Schema schema) {
    return schema.parameters() == null ? Map.of() : schema.parameters();
  }

  /** A namespace (null if none) and a simple name: Avro's two parts of a full name. */
  private static String[] splitName(String fullName) {
    if (fullName == null) {
      return new String[] {null, null};
    }
    int dot = fullName.lastIndexOf('.');
    return dot < 0 ? new String[] {null, fullName}
        : new String[] {fullName.substring(0, dot), fullName.substring(dot + 1)};
  }

  private static byte[] bytes(Object value) {
    if (value instanceof byte[] array) {
      return array;
    }
    if (value instanceof ByteBuffer buffer) {
      ByteBuffer copy = buffer.duplicate();
      byte[] array = new byte[copy.remaining()];
      copy.get(array);
      return array;
    }
    if (value instanceof GenericFixed fixed) {
      return fixed.bytes();
    }
    throw new DataException("Invalid class for bytes type, expecting byte[] or ByteBuffer but "
        + "found " + value.getClass());
  }
}
