package org.chicago.cta.connect.converters;

import java.util.Arrays;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * Confluent's three subject name strategies, named by their class names as configurations name
 * them: the subject under which a record's schema is registered and looked up.
 */
public enum SubjectNameStrategy {
  /** "topic-key" / "topic-value": one schema history per topic (Confluent's default). */
  TOPIC("io.confluent.kafka.serializers.subject.TopicNameStrategy"),
  /** The record's fully qualified name: one history per record type, across topics. */
  RECORD("io.confluent.kafka.serializers.subject.RecordNameStrategy"),
  /** "topic-" + the record's fully qualified name: several record types in one topic. */
  TOPIC_RECORD("io.confluent.kafka.serializers.subject.TopicRecordNameStrategy");

  final String className;

  SubjectNameStrategy(String className) {
    this.className = className;
  }

  static final ConfigDef.Validator VALIDATOR = (name, value) -> {
    if (value != null) {
      forClassName(name, (String) value);
    }
  };

  static SubjectNameStrategy forClassName(String key, String className) {
    return Arrays.stream(values())
        .filter(strategy -> strategy.className.equals(className.trim()))
        .findFirst()
        .orElseThrow(() -> new ConfigException(key, className,
            "Unknown subject name strategy; supported: "
                + Arrays.stream(values()).map(s -> s.className).toList()));
  }

  /** The subject for a schema named recordName written to topic. */
  String subject(String topic, boolean isKey, String recordName) {
    return switch (this) {
      case TOPIC -> topic + (isKey ? "-key" : "-value");
      case RECORD -> recordName;
      case TOPIC_RECORD -> topic + "-" + recordName;
    };
  }
}
