package org.chicago.cta.connect.converters;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
 * Connect's schemas and data to JSON Schema and JSON documents and back, as Confluent's
 * JsonSchemaData maps them: a Struct is an object whose properties carry "connect.index" (their
 * order), numbers carry "connect.type" (int8 ... float64), an optional schema is a oneOf with
 * {"type": "null"}, a Connect schema's name is the "title" and its doc the "description", version
 * and parameters go to "connect.version" / "connect.parameters". Bytes are base64 strings,
 * Decimal a number schema marked "connect.type": "bytes" whose values are written as decimal.format
 * says (BASE64, Confluent's default, or NUMERIC), Date/Time/Timestamp integers.
 */
final class JsonSchemaData {

  static final String NAMESPACE = "io.confluent.connect.json";
  static final String JSON_TYPE_ENUM = NAMESPACE + ".Enum";
  static final String JSON_TYPE_ONE_OF = NAMESPACE + ".OneOf";
  static final String CONNECT_TYPE = "connect.type";
  static final String CONNECT_VERSION = "connect.version";
  static final String CONNECT_PARAMETERS = "connect.parameters";
  static final String CONNECT_INDEX = "connect.index";
  static final String KEY_FIELD = "key";
  static final String VALUE_FIELD = "value";
  private static final JsonNodeFactory JSON = JsonNodeFactory.withExactBigDecimals(true);

  /** How Decimal values are written: Kafka's JsonConverter's two formats. */
  enum DecimalFormat {
    BASE64,
    NUMERIC
  }

  private final DecimalFormat decimalFormat;
  private final boolean additionalProperties;
  private final boolean optionalForNonRequired;

  JsonSchemaData(DecimalFormat decimalFormat, boolean additionalProperties,
      boolean optionalForNonRequired) {
    this.decimalFormat = decimalFormat;
    this.additionalProperties = additionalProperties;
    this.optionalForNonRequired = optionalForNonRequired;
  }

  // --- Connect schema -> JSON Schema ----------------------------------------------------------

  ObjectNode fromConnectSchema(Schema schema) {
    if (schema == null) {
      throw new DataException("Schemaless data (no Connect schema) is not supported: use a "
          + "converter with schemas, or the JsonConverter.");
    }
    return fromConnectSchema(schema, null, false);
  }

  /** index: the field's position where schema is a Struct's field ("connect.index"). */
  private ObjectNode fromConnectSchema(Schema schema, Integer index, boolean ignoreOptional) {
    boolean oneOf = JSON_TYPE_ONE_OF.equals(schema.name());
    if (oneOf || (schema.type() == Schema.Type.STRUCT && schema.isOptional() && !ignoreOptional)) {
      ObjectNode combined = JSON.objectNode();
      ArrayNode members = combined.putArray("oneOf");
      if (schema.isOptional()) {
        members.add(JSON.objectNode().put("type", "null"));
      }
      if (oneOf) {
        for (Field field : schema.fields()) {
          members.add(fromConnectSchema(field.schema(), field.index(), true));
        }
      } else {
        members.add(fromConnectSchema(schema, null, true));
      }
      if (index != null) {
        combined.put(CONNECT_INDEX, index);
      }
      return combined;
    }
    ObjectNode node = JSON.objectNode();
    if (schema.name() != null) {
      node.put("title", schema.name());
    }
    if (schema.doc() != null) {
      node.put("description", schema.doc());
    }
    if (schema.defaultValue() != null) {
      node.set("default", fromConnectData(schema, schema.defaultValue()));
    }
    Map<String, JsonNode> connectProps = new LinkedHashMap<>();
    switch (schema.type()) {
      case INT8, INT16, INT32, INT64 -> {
        node.put("type", "integer");
        connectProps.put(CONNECT_TYPE, JSON.textNode(schema.type().getName()));
      }
      case FLOAT32, FLOAT64 -> {
        node.put("type", "number");
        connectProps.put(CONNECT_TYPE, JSON.textNode(schema.type().getName()));
      }
      case BOOLEAN -> node.put("type", "boolean");
      case STRING -> {
        Map<String, String> parameters = parameters(schema);
        if (parameters.containsKey(JSON_TYPE_ENUM)) {
          ArrayNode symbols = node.putArray("enum");
          parameters.forEach((key, value) -> {
            if (key.startsWith(JSON_TYPE_ENUM + ".")) {
              symbols.add(value);
            }
          });
        } else {
          node.put("type", "string");
        }
      }
      case BYTES -> {
        node.put("type", Decimal.LOGICAL_NAME.equals(schema.name()) ? "number" : "string");
        connectProps.put(CONNECT_TYPE, JSON.textNode("bytes"));
      }
      case ARRAY -> {
        node.put("type", "array");
        node.set("items", fromConnectSchema(schema.valueSchema(), null, false));
      }
      case MAP -> {
        if (schema.keySchema().type() == Schema.Type.STRING && !schema.keySchema().isOptional()) {
          node.put("type", "object");
          node.set("additionalProperties", fromConnectSchema(schema.valueSchema(), null, false));
        } else {
          // JSON objects have string keys: other maps are arrays of key/value objects.
          ObjectNode entry = JSON.objectNode().put("type", "object");
          ObjectNode properties = entry.putObject("properties");
          properties.set(KEY_FIELD, fromConnectSchema(schema.keySchema(), 0, false));
          properties.set(VALUE_FIELD, fromConnectSchema(schema.valueSchema(), 1, false));
          node.put("type", "array");
          node.set("items", entry);
        }
        connectProps.put(CONNECT_TYPE, JSON.textNode("map"));
      }
      case STRUCT -> {
        node.put("type", "object");
        ObjectNode properties = node.putObject("properties");
        for (Field field : schema.fields()) {
          properties.set(field.name(), fromConnectSchema(field.schema(), field.index(), false));
        }
        if (!additionalProperties) {
          node.put("additionalProperties", false);
        }
      }
      default -> throw new DataException("Unsupported type " + schema.type());
    }
    if (schema.version() != null) {
      connectProps.put(CONNECT_VERSION, JSON.numberNode(schema.version()));
    }
    ObjectNode parameters = JSON.objectNode();
    parameters(schema).forEach((key, value) -> {
      if (!key.startsWith(NAMESPACE)) {
        parameters.put(key, value);
      }
    });
    if (!parameters.isEmpty()) {
      connectProps.put(CONNECT_PARAMETERS, parameters);
    }
    if (schema.isOptional() && !ignoreOptional) {
      node.setAll(connectProps);
      ObjectNode combined = JSON.objectNode();
      combined.putArray("oneOf").add(JSON.objectNode().put("type", "null")).add(node);
      if (index != null) {
        combined.put(CONNECT_INDEX, index);
      }
      return combined;
    }
    if (index != null) {
      connectProps.put(CONNECT_INDEX, JSON.numberNode(index));
    }
    node.setAll(connectProps);
    return node;
  }

  // --- Connect data -> JSON -------------------------------------------------------------------

  @SuppressWarnings("unchecked")
  JsonNode fromConnectData(Schema schema, Object value) {
    if (value == null) {
      if (schema.defaultValue() != null) {
        return fromConnectData(schema, schema.defaultValue());
      }
      if (schema.isOptional()) {
        return JSON.nullNode();
      }
      throw new DataException(
          "Conversion error: null value for field that is required and has no default value");
    }
    try {
      if (schema.name() != null) {
        switch (schema.name()) {
          case Decimal.LOGICAL_NAME -> {
            BigDecimal decimal = (BigDecimal) value;
            return decimalFormat == DecimalFormat.NUMERIC ? JSON.numberNode(decimal)
                : JSON.binaryNode(Decimal.fromLogical(schema, decimal));
          }
          case Date.LOGICAL_NAME -> {
            return JSON.numberNode(Date.fromLogical(schema, (java.util.Date) value));
          }
          case Time.LOGICAL_NAME -> {
            return JSON.numberNode(Time.fromLogical(schema, (java.util.Date) value));
          }
          case Timestamp.LOGICAL_NAME -> {
            return JSON.numberNode(Timestamp.fromLogical(schema, (java.util.Date) value));
          }
          default -> {
            // not a logical type
          }
        }
      }
      return switch (schema.type()) {
        case INT8 -> JSON.numberNode(((Byte) value).shortValue());
        case INT16 -> JSON.numberNode((Short) value);
        case INT32 -> JSON.numberNode((Integer) value);
        case INT64 -> JSON.numberNode((Long) value);
        case FLOAT32 -> JSON.numberNode((Float) value);
        case FLOAT64 -> JSON.numberNode((Double) value);
        case BOOLEAN -> JSON.booleanNode((Boolean) value);
        case STRING -> JSON.textNode(value.toString());
        case BYTES -> JSON.binaryNode(bytes(value));
        case ARRAY -> {
          ArrayNode array = JSON.arrayNode();
          for (Object element : (Collection<Object>) value) {
            array.add(fromConnectData(schema.valueSchema(), element));
          }
          yield array;
        }
        case MAP -> mapFromConnect(schema, (Map<Object, Object>) value);
        case STRUCT -> {
          Struct struct = (Struct) value;
          if (JSON_TYPE_ONE_OF.equals(schema.name())) {
            for (Field field : schema.fields()) {
              Object member = struct.get(field);
              if (member != null) {
                yield fromConnectData(field.schema(), member);
              }
            }
            yield JSON.nullNode();
          }
          ObjectNode object = JSON.objectNode();
          for (Field field : schema.fields()) {
            object.set(field.name(), fromConnectData(field.schema(), struct.get(field)));
          }
          yield object;
        }
      };
    } catch (ClassCastException e) {
      throw new DataException("Invalid type for " + schema.type() + ": " + value.getClass());
    }
  }

  private JsonNode mapFromConnect(Schema schema, Map<Object, Object> map) {
    if (schema.keySchema().type() == Schema.Type.STRING && !schema.keySchema().isOptional()) {
      ObjectNode object = JSON.objectNode();
      map.forEach((k, v) -> object.set((String) k, fromConnectData(schema.valueSchema(), v)));
      return object;
    }
    ArrayNode entries = JSON.arrayNode();
    map.forEach((k, v) -> {
      ObjectNode entry = entries.addObject();
      entry.set(KEY_FIELD, fromConnectData(schema.keySchema(), k));
      entry.set(VALUE_FIELD, fromConnectData(schema.valueSchema(), v));
    });
    return entries;
  }

  // --- JSON Schema -> Connect schema ----------------------------------------------------------

  /** version: the registry's version of the schema, for a top level without connect.version. */
  Schema toConnectSchema(JsonNode root, Integer version) {
    return toConnect(root, root, version, false);
  }

  private Schema toConnect(JsonNode root, JsonNode node, Integer version, boolean forceOptional) {
    node = resolve(root, node);
    SchemaBuilder builder;
    JsonNode combined = node.has("oneOf") ? node.get("oneOf") : node.get("anyOf");
    JsonNode type = node.get("type");
    if (combined != null) {
      List<JsonNode> members = new ArrayList<>();
      combined.forEach(member -> members.add(resolve(root, member)));
      if (members.size() == 2 && members.stream().anyMatch(JsonSchemaData::isNull)) {
        JsonNode other = isNull(members.get(0)) ? members.get(1) : members.get(0);
        return toConnect(root, other, version, true);
      }
      builder = SchemaBuilder.struct().name(JSON_TYPE_ONE_OF);
      int index = 0;
      for (JsonNode member : members) {
        if (isNull(member)) {
          builder.optional();
        } else {
          builder.field(JSON_TYPE_ONE_OF + ".field." + index++, toConnect(root, member, null, true));
        }
      }
    } else if (node.has("enum")) {
      builder = SchemaBuilder.string();
      builder.parameter(JSON_TYPE_ENUM, ""); // JSON enums have no name
      for (JsonNode symbol : node.get("enum")) {
        builder.parameter(JSON_TYPE_ENUM + "." + symbol.asText(), symbol.asText());
      }
    } else if (type != null && type.isArray()) {
      return typeList(root, node, version, forceOptional);
    } else {
      builder = typed(root, node, typeName(node));
    }
    if (node.hasNonNull("title") && !JSON_TYPE_ONE_OF.equals(builder.name())) {
      builder.name(node.get("title").asText());
    }
    Integer connectVersion = node.has(CONNECT_VERSION)
        ? (Integer) node.get(CONNECT_VERSION).asInt() : version;
    if (connectVersion != null) {
      builder.version(connectVersion);
    }
    if (node.hasNonNull("description")) {
      builder.doc(node.get("description").asText());
    }
    JsonNode parameters = node.get(CONNECT_PARAMETERS);
    if (parameters != null && parameters.isObject()) {
      parameters.fields().forEachRemaining(e -> builder.parameter(e.getKey(), e.getValue().asText()));
    }
    if (node.has("default")) {
      builder.defaultValue(toConnectData(builder, node.get("default")));
    }
    if (forceOptional) {
      builder.optional();
    }
    return builder.build();
  }

  /** "type": ["null", "string"], a shorthand Confluent's library reads as a union. */
  private Schema typeList(JsonNode root, JsonNode node, Integer version, boolean forceOptional) {
    List<String> types = new ArrayList<>();
    node.get("type").forEach(t -> types.add(t.asText()));
    boolean optional = types.remove("null");
    if (types.size() != 1) {
      throw new DataException("Unsupported JSON schema: a type list other than [\"null\", T]: "
          + node.get("type"));
    }
    ObjectNode single = node.deepCopy();
    single.put("type", types.get(0));
    return toConnect(root, single, version, forceOptional || optional);
  }

  private SchemaBuilder typed(JsonNode root, JsonNode node, String type) {
    String connectType = node.path(CONNECT_TYPE).asText(null);
    switch (type) {
      case "boolean":
        return SchemaBuilder.bool();
      case "integer":
      case "number":
        if (connectType == null) {
          return type.equals("integer") ? SchemaBuilder.int64() : SchemaBuilder.float64();
        }
        return switch (connectType) {
          case "int8" -> SchemaBuilder.int8();
          case "int16" -> SchemaBuilder.int16();
          case "int32" -> SchemaBuilder.int32();
          case "int64" -> SchemaBuilder.int64();
          case "float32" -> SchemaBuilder.float32();
          case "float64" -> SchemaBuilder.float64();
          case "bytes" -> SchemaBuilder.bytes(); // a Decimal: its title names it
          default -> throw new DataException("Unsupported connect.type " + connectType);
        };
      case "string":
        return "bytes".equals(connectType) ? SchemaBuilder.bytes() : SchemaBuilder.string();
      case "array": {
        JsonNode items = node.get("items");
        if (items == null || !items.isObject()) {
          throw new DataException("Array schema did not specify the items type");
        }
        JsonNode entry = resolve(root, items);
        if ("map".equals(connectType) && entry.has("properties")) {
          return SchemaBuilder.map(
              toConnect(root, entry.get("properties").get(KEY_FIELD), null, false),
              toConnect(root, entry.get("properties").get(VALUE_FIELD), null, false));
        }
        return SchemaBuilder.array(toConnect(root, items, null, false));
      }
      case "object": {
        if ("map".equals(connectType)) {
          return SchemaBuilder.map(Schema.STRING_SCHEMA,
              toConnect(root, node.get("additionalProperties"), null, false));
        }
        SchemaBuilder struct = SchemaBuilder.struct();
        Set<String> required = new HashSet<>();
        node.path("required").forEach(name -> required.add(name.asText()));
        TreeMap<Integer, Map.Entry<String, JsonNode>> ordered = new TreeMap<>();
        Iterator<Map.Entry<String, JsonNode>> properties = node.path("properties").fields();
        while (properties.hasNext()) {
          Map.Entry<String, JsonNode> property = properties.next();
          JsonNode index = property.getValue().get(CONNECT_INDEX);
          ordered.put(index != null ? index.asInt() : ordered.size(), property);
        }
        for (Map.Entry<String, JsonNode> property : ordered.values()) {
          boolean optional = optionalForNonRequired && !required.contains(property.getKey());
          struct.field(property.getKey(), toConnect(root, property.getValue(), null, optional));
        }
        return struct;
      }
      default:
        throw new DataException("Unsupported JSON schema type " + type);
    }
  }

  /** A schema's type, inferred as Confluent's library infers it where "type" is left out. */
  private static String typeName(JsonNode node) {
    if (node.hasNonNull("type")) {
      return node.get("type").asText();
    }
    if (node.has("properties") || node.has("additionalProperties")) {
      return "object";
    }
    if (node.has("items")) {
      return "array";
    }
    throw new DataException("Unsupported JSON schema (no type, and none to infer): " + node);
  }

  /** A local reference ("#/definitions/X", "#/$defs/X") replaced by what it points at. */
  private static JsonNode resolve(JsonNode root, JsonNode node) {
    for (int depth = 0; node != null && node.has("$ref"); depth++) {
      String ref = node.get("$ref").asText();
      if (!ref.startsWith("#") || depth > 32) {
        throw new DataException("Unsupported JSON schema reference " + ref
            + ": only local references (#/...) are supported");
      }
      node = root.at(ref.substring(1));
      if (node.isMissingNode()) {
        throw new DataException("JSON schema reference " + ref + " points at nothing");
      }
    }
    if (node == null) {
      throw new DataException("Missing JSON schema");
    }
    return node;
  }

  private static boolean isNull(JsonNode node) {
    return "null".equals(node.path("type").asText());
  }

  // --- JSON -> Connect data -------------------------------------------------------------------

  Object toConnectData(Schema schema, JsonNode value) {
    if (value == null || value.isNull()) {
      if (schema.defaultValue() != null) {
        return schema.defaultValue();
      }
      if (value == null || schema.isOptional()) {
        return null;
      }
      throw new DataException("Invalid null value for required " + schema.type() + " field");
    }
    if (schema.name() != null) {
      switch (schema.name()) {
        case Decimal.LOGICAL_NAME -> {
          return value.isNumber() ? numericDecimal(schema, value)
              : Decimal.toLogical(schema, binary(value));
        }
        case Date.LOGICAL_NAME -> {
          return Date.toLogical(schema, integral(value).intValue());
        }
        case Time.LOGICAL_NAME -> {
          return Time.toLogical(schema, integral(value).intValue());
        }
        case Timestamp.LOGICAL_NAME -> {
          return Timestamp.toLogical(schema, integral(value).longValue());
        }
        default -> {
          // not a logical type
        }
      }
    }
    return switch (schema.type()) {
      case BOOLEAN -> value.booleanValue();
      case INT8 -> (byte) integral(value).shortValue();
      case INT16 -> integral(value).shortValue();
      case INT32 -> integral(value).intValue();
      case INT64 -> integral(value).longValue();
      case FLOAT32 -> value.floatValue();
      case FLOAT64 -> value.doubleValue();
      case STRING -> {
        if (!value.isTextual()) {
          throw new DataException("Expected a string, found " + value.getNodeType());
        }
        yield value.textValue();
      }
      case BYTES -> ByteBuffer.wrap(binary(value));
      case ARRAY -> {
        List<Object> list = new ArrayList<>();
        for (JsonNode element : value) {
          list.add(toConnectData(schema.valueSchema(), element));
        }
        yield list;
      }
      case MAP -> mapToConnect(schema, value);
      case STRUCT -> JSON_TYPE_ONE_OF.equals(schema.name()) ? oneOfToConnect(schema, value)
          : structToConnect(schema, value);
    };
  }

  private Map<Object, Object> mapToConnect(Schema schema, JsonNode value) {
    Map<Object, Object> map = new LinkedHashMap<>();
    if (schema.keySchema().type() == Schema.Type.STRING && !schema.keySchema().isOptional()) {
      if (!value.isObject()) {
        throw new DataException("Maps with string fields should be encoded as JSON objects, but "
            + "found " + value.getNodeType());
      }
      value.fields().forEachRemaining(e ->
          map.put(e.getKey(), toConnectData(schema.valueSchema(), e.getValue())));
      return map;
    }
    if (!value.isArray()) {
      throw new DataException("Maps with non-string fields should be encoded as JSON array of "
          + "objects, but found " + value.getNodeType());
    }
    for (JsonNode entry : value) {
      map.put(toConnectData(schema.keySchema(), entry.get(KEY_FIELD)),
          toConnectData(schema.valueSchema(), entry.get(VALUE_FIELD)));
    }
    return map;
  }

  private Struct structToConnect(Schema schema, JsonNode value) {
    if (!value.isObject()) {
      throw new DataException("Structs should be encoded as JSON objects, but found "
          + value.getNodeType());
    }
    Struct struct = new Struct(schema);
    for (Field field : schema.fields()) {
      struct.put(field, toConnectData(field.schema(), value.get(field.name())));
    }
    return struct;
  }

  private Struct oneOfToConnect(Schema schema, JsonNode value) {
    for (Field field : schema.fields()) {
      if (fits(field.schema(), value)) {
        return new Struct(schema).put(field, toConnectData(field.schema(), value));
      }
    }
    throw new DataException("Did not find matching oneof field for data: " + value);
  }

  private static boolean fits(Schema schema, JsonNode value) {
    return switch (schema.type()) {
      case INT8, INT16, INT32, INT64 -> value.isIntegralNumber();
      case FLOAT32, FLOAT64 -> value.isNumber();
      case BOOLEAN -> value.isBoolean();
      case STRING -> value.isTextual();
      case BYTES -> value.isTextual() || value.isNumber();
      case ARRAY -> value.isArray();
      case MAP -> value.isObject() || value.isArray();
      case STRUCT -> {
        if (!value.isObject()) {
          yield false;
        }
        Set<String> names = new HashSet<>();
        schema.fields().forEach(field -> names.add(field.name()));
        Iterator<String> present = value.fieldNames();
        while (present.hasNext()) {
          if (!names.contains(present.next())) {
            yield false;
          }
        }
        yield true;
      }
    };
  }

  // --- helpers --------------------------------------------------------------------------------

  /** A Decimal written as a JSON number, at the schema's scale (Connect checks it). */
  private static BigDecimal numericDecimal(Schema schema, JsonNode value) {
    int scale = Integer.parseInt(schema.parameters().get(Decimal.SCALE_FIELD));
    try {
      return value.decimalValue().setScale(scale);
    } catch (ArithmeticException e) {
      throw new DataException("Decimal " + value + " does not fit scale " + scale, e);
    }
  }

  private static JsonNode integral(JsonNode value) {
    if (!value.isIntegralNumber()) {
      throw new DataException("Expected an integer, found " + value);
    }
    return value;
  }

  private static byte[] binary(JsonNode value) {
    try {
      return value.binaryValue();
    } catch (IOException e) {
      throw new DataException("Invalid base64 bytes: " + value, e);
    }
  }

  private static byte[] bytes(Object value) {
    if (value instanceof byte[] array) {
      return array;
    }
    ByteBuffer copy = ((ByteBuffer) value).duplicate();
    byte[] array = new byte[copy.remaining()];
    copy.get(array);
    return array;
  }

  private static Map<String, String> parameters(Schema schema) {
    return schema.parameters() == null ? Map.of() : schema.parameters();
  }
}
