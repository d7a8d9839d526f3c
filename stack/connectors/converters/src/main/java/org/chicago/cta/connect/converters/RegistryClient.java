package org.chicago.cta.connect.converters;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.connect.errors.DataException;

/**
 * The few calls of Confluent's Schema Registry API a converter needs, over java.net.http, with
 * the answers cached: a schema's id never changes, so each schema is registered or looked up once
 * per converter. URLs are tried in order; the next is tried only when one cannot be reached.
 */
final class RegistryClient {

  static final String AVRO = "AVRO";
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A schema as the registry stores it: its id, text and type (AVRO, JSON, PROTOBUF). */
  record StoredSchema(int id, String schemaType, String schema) {}

  /** One registered version of a subject. */
  record Version(StoredSchema schema, int version) {}

  /** The registry answered with an error (Confluent's {"error_code", "message"}). */
  static final class RegistryException extends DataException {
    final int status;

    RegistryException(String url, int status, int errorCode, String message) {
      super("Schema Registry at " + url + " answered " + status + " (error code " + errorCode
          + "): " + message);
      this.status = status;
    }
  }

  private record Endpoint(String base, String authorization) {}

  private record SchemaKey(String subject, String schemaType, String schema) {}

  private final List<Endpoint> endpoints = new ArrayList<>();
  private final HttpClient http;
  private final Map<SchemaKey, Integer> registered = new ConcurrentHashMap<>();
  private final Map<SchemaKey, Version> found = new ConcurrentHashMap<>();
  private final Map<Integer, StoredSchema> byId = new ConcurrentHashMap<>();

  /** userInfo (user:password) is sent with every request; null takes each URL's own user info. */
  RegistryClient(List<String> urls, String userInfo) {
    for (String url : urls) {
      URI uri = URI.create(url.trim());
      String credentials = userInfo != null ? userInfo : decodedUserInfo(uri);
      String base = uri.getScheme() + "://" + uri.getHost()
          + (uri.getPort() >= 0 ? ":" + uri.getPort() : "")
          + (uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", ""));
      String authorization = credentials == null ? null : "Basic " + Base64.getEncoder()
          .encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
      endpoints.add(new Endpoint(base, authorization));
    }
    http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
  }

  /** Registers schema under subject (or finds it registered there already): its id. */
  int register(String subject, String schemaType, String schema) {
    SchemaKey key = new SchemaKey(subject, schemaType, schema);
    Integer id = registered.get(key);
    if (id == null) {
      JsonNode answer = send("POST", "/subjects/" + encode(subject) + "/versions",
          body(schemaType, schema));
      id = answer.get("id").asInt();
      registered.put(key, id);
      byId.putIfAbsent(id, new StoredSchema(id, schemaType, schema));
    }
    return id;
  }

  /** The version of subject that holds schema; a RegistryException (40401, 40403) if none does. */
  Version lookup(String subject, String schemaType, String schema) {
    SchemaKey key = new SchemaKey(subject, schemaType, schema);
    Version version = found.get(key);
    if (version == null) {
      JsonNode answer = send("POST", "/subjects/" + encode(subject), body(schemaType, schema));
      version = version(answer);
      found.put(key, version);
    }
    return version;
  }

  /** The subject's latest version, asked for every time: it changes when a version is added. */
  Version latest(String subject) {
    return version(send("GET", "/subjects/" + encode(subject) + "/versions/latest", null));
  }

  /** The schema with this id. */
  StoredSchema schemaById(int id) {
    StoredSchema schema = byId.get(id);
    if (schema == null) {
      JsonNode answer = send("GET", "/schemas/ids/" + id, null);
      schema = new StoredSchema(id, schemaType(answer), answer.get("schema").asText());
      byId.put(id, schema);
    }
    return schema;
  }

  private static Version version(JsonNode answer) {
    StoredSchema schema = new StoredSchema(
        answer.get("id").asInt(), schemaType(answer), answer.get("schema").asText());
    return new Version(schema, answer.get("version").asInt());
  }

  private static String schemaType(JsonNode answer) {
    // The registry leaves schemaType out for Avro, its default.
    return answer.hasNonNull("schemaType") ? answer.get("schemaType").asText() : AVRO;
  }

  private static String body(String schemaType, String schema) {
    ObjectNode body = JSON.createObjectNode();
    if (!AVRO.equals(schemaType)) {
      body.put("schemaType", schemaType);
    }
    body.put("schema", schema);
    return body.toString();
  }

  private static String encode(String subject) {
    return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private JsonNode send(String method, String path, String body) {
    List<String> failures = new ArrayList<>();
    for (Endpoint endpoint : endpoints) {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(endpoint.base() + path))
          .timeout(REQUEST_TIMEOUT)
          .header("Accept", CONTENT_TYPE)
          .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(body));
      if (body != null) {
        request.header("Content-Type", CONTENT_TYPE);
      }
      if (endpoint.authorization() != null) {
        request.header("Authorization", endpoint.authorization());
      }
      HttpResponse<String> response;
      try {
        response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        failures.add(endpoint.base() + " (" + e.getClass().getSimpleName()
            + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new DataException("Interrupted while calling the Schema Registry", e);
      }
      return answer(endpoint.base(), response);
    }
    throw new DataException("The Schema Registry cannot be reached at " + String.join(", ", failures)
        + ": check schema.registry.url and that the registry is running.");
  }

  private static JsonNode answer(String url, HttpResponse<String> response) {
    JsonNode json;
    try {
      json = JSON.readTree(response.body());
    } catch (IOException e) {
      json = null;
    }
    if (response.statusCode() / 100 == 2 && json != null && json.isObject()) {
      return json;
    }
    if (json != null && json.has("error_code")) {
      throw new RegistryException(url, response.statusCode(), json.get("error_code").asInt(),
          json.path("message").asText());
    }
    String text = response.body().strip();
    throw new RegistryException(url, response.statusCode(), response.statusCode(),
        text.isEmpty() ? "no body" : text.substring(0, Math.min(text.length(), 300)));
  }

  /** A URL's user info, percent-decoded ("user:p%40ss" is the password "p@ss"); null if none. */
  private static String decodedUserInfo(URI uri) {
    String raw = uri.getRawUserInfo();
    return raw == null ? null : URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
  }
}
