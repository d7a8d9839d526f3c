import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.storage.Converter;

/**
 * Drives a Connect converter class the way a worker does, for the tests (tests/integration/connect/
 * converter_harness.py starts it with `java` on this source file): one JSON request a line on
 * stdin, one JSON answer a line on stdout.
 *
 * <p>{"op": "toConnect", "converter": CLASS, "config": {...}, "isKey": false, "topic": T,
 * "data": BASE64 or null} answers Connect's schema and value as Kafka's JsonConverter writes them
 * with schemas ({"schema": ..., "payload": ...}), which shows every name, version and parameter a
 * sink would see. {"op": "fromConnect", ..., "envelope": {"schema", "payload"}} reads such an
 * envelope and answers {"data": BASE64 or null}. A failure answers {"error": the messages of the
 * exception and its causes}.
 */
public class ConverterHarness {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, Converter> CONVERTERS = new HashMap<>();
  private static final JsonConverter ENVELOPES = new JsonConverter();

  public static void main(String[] args) throws Exception {
    ENVELOPES.configure(Map.of("schemas.enable", "true", "decimal.format", "NUMERIC"), false);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      ObjectNode answer = JSON.createObjectNode();
      try {
        answer = handle(JSON.readTree(line));
      } catch (Exception e) {
        e.printStackTrace(); // to the test's captured stderr
        StringBuilder messages = new StringBuilder(e.getClass().getName() + ": " + e.getMessage());
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
          messages.append(" | ").append(cause.getClass().getName()).append(": ")
              .append(cause.getMessage());
        }
        answer.put("error", messages.toString());
      }
      System.out.println(answer);
      System.out.flush();
    }
  }

  private static ObjectNode handle(JsonNode request) throws Exception {
    Converter converter = converter(request);
    String topic = request.get("topic").asText();
    ObjectNode answer = JSON.createObjectNode();
    if (request.get("op").asText().equals("toConnect")) {
      JsonNode data = request.get("data");
      byte[] bytes = data.isNull() ? null : Base64.getDecoder().decode(data.asText());
      SchemaAndValue connect = converter.toConnectData(topic, bytes);
      byte[] envelope = ENVELOPES.fromConnectData(topic, connect.schema(), connect.value());
      answer.set("envelope", envelope == null ? JSON.nullNode() : JSON.readTree(envelope));
    } else {
      byte[] envelope = JSON.writeValueAsBytes(request.get("envelope"));
      SchemaAndValue connect = ENVELOPES.toConnectData(topic, envelope);
      byte[] data = converter.fromConnectData(topic, connect.schema(), connect.value());
      if (data == null) {
        answer.putNull("data");
      } else {
        answer.put("data", Base64.getEncoder().encodeToString(data));
      }
    }
    return answer;
  }

  /** One converter per class, configuration and side, configured once as a worker would. */
  private static Converter converter(JsonNode request) throws Exception {
    String key = request.get("converter").asText() + request.get("config") + request.get("isKey");
    Converter converter = CONVERTERS.get(key);
    if (converter == null) {
      converter = (Converter) Class.forName(request.get("converter").asText())
          .getDeclaredConstructor().newInstance();
      Map<String, Object> config = new HashMap<>();
      request.get("config").fields().forEachRemaining(e -> config.put(e.getKey(), e.getValue().asText()));
      converter.configure(config, request.get("isKey").asBoolean());
      CONVERTERS.put(key, converter);
    }
    return converter;
  }
}
