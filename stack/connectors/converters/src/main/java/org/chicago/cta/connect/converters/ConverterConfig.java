package org.chicago.cta.connect.converters;

import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The keys of Confluent's Schema Registry converters that ours support, with Confluent's names and
 * defaults, so that a converter configuration written for Confluent Platform works unmodified
 * (Connect passes them without their "key.converter." / "value.converter." prefix). Keys we do not
 * know are ignored.
 */
public class ConverterConfig extends AbstractConfig {

  public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
  public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";
  public static final String USE_LATEST_VERSION = "use.latest.version";
  public static final String KEY_SUBJECT_NAME_STRATEGY = "key.subject.name.strategy";
  public static final String VALUE_SUBJECT_NAME_STRATEGY = "value.subject.name.strategy";
  public static final String BASIC_AUTH_CREDENTIALS_SOURCE = "basic.auth.credentials.source";
  public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
  public static final String SCHEMAS_CACHE_SIZE = "schemas.cache.config";

  /** Where the basic auth credentials come from: the URL's user info, or basic.auth.user.info. */
  public enum CredentialsSource {
    URL,
    USER_INFO
  }

  /** The keys every converter of ours has; each format adds its own to a copy. */
  public static ConfigDef baseConfigDef() {
    return new ConfigDef()
        .define(SCHEMA_REGISTRY_URL, Type.LIST, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH,
            "Comma-separated URLs of the Schema Registry; the next one is tried when one cannot "
                + "be reached.")
        .define(AUTO_REGISTER_SCHEMAS, Type.BOOLEAN, true, Importance.MEDIUM,
            "Register the schema of each record's data under its subject; when false, the "
                + "schema must already be registered (or use.latest.version is used).")
        .define(USE_LATEST_VERSION, Type.BOOLEAN, false, Importance.LOW,
            "With auto.register.schemas=false: write with the subject's latest schema.")
        .define(KEY_SUBJECT_NAME_STRATEGY, Type.STRING, SubjectNameStrategy.TOPIC.className,
            SubjectNameStrategy.VALIDATOR, Importance.MEDIUM,
            "How the subject of a key's schema is named.")
        .define(VALUE_SUBJECT_NAME_STRATEGY, Type.STRING, SubjectNameStrategy.TOPIC.className,
            SubjectNameStrategy.VALIDATOR, Importance.MEDIUM,
            "How the subject of a value's schema is named.")
        .define(BASIC_AUTH_CREDENTIALS_SOURCE, Type.STRING, CredentialsSource.URL.name(),
            ConfigDef.ValidString.in(CredentialsSource.URL.name(),
                CredentialsSource.USER_INFO.name()),
            Importance.MEDIUM,
            "URL (the user info of schema.registry.url) or USER_INFO (basic.auth.user.info).")
        .define(BASIC_AUTH_USER_INFO, Type.PASSWORD, "", Importance.MEDIUM,
            "user:password for the Schema Registry, with basic.auth.credentials.source=USER_INFO.")
        .define(SCHEMAS_CACHE_SIZE, Type.INT, 1000, ConfigDef.Range.atLeast(1), Importance.LOW,
            "How many converted schemas each converter keeps.");
  }

  private final boolean isKey;

  public ConverterConfig(ConfigDef definition, Map<String, ?> props, boolean isKey) {
    super(definition, props);
    this.isKey = isKey;
  }

  List<String> urls() {
    List<String> urls = getList(SCHEMA_REGISTRY_URL);
    if (urls.isEmpty()) {
      throw new ConfigException(SCHEMA_REGISTRY_URL, urls, "names no Schema Registry");
    }
    return urls;
  }

  /** user:password from basic.auth.user.info, or null where credentials come from the URLs. */
  String userInfo() {
    if (CredentialsSource.valueOf(getString(BASIC_AUTH_CREDENTIALS_SOURCE))
        != CredentialsSource.USER_INFO) {
      return null;
    }
    String userInfo = getPassword(BASIC_AUTH_USER_INFO).value();
    return userInfo.isEmpty() ? null : userInfo;
  }

  boolean autoRegister() {
    return getBoolean(AUTO_REGISTER_SCHEMAS);
  }

  boolean useLatestVersion() {
    return getBoolean(USE_LATEST_VERSION);
  }

  SubjectNameStrategy subjectNameStrategy() {
    String key = isKey ? KEY_SUBJECT_NAME_STRATEGY : VALUE_SUBJECT_NAME_STRATEGY;
    return SubjectNameStrategy.forClassName(key, getString(key));
  }

  int cacheSize() {
    return getInt(SCHEMAS_CACHE_SIZE);
  }
}
