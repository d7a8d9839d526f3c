package org.chicago.cta.connect.jdbc;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TimeZone;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.types.Password;

/**
 * The configuration keys of Confluent's JDBC source connector that this connector supports, with
 * Confluent's names, defaults and meanings, so that a configuration written for that connector
 * works here unmodified. Keys we do not know are ignored, as Connect does for every connector.
 */
public class JdbcSourceConfig extends AbstractConfig {

  public static final String CONNECTION_URL = "connection.url";
  public static final String CONNECTION_USER = "connection.user";
  public static final String CONNECTION_PASSWORD = "connection.password";
  public static final String CONNECTION_ATTEMPTS = "connection.attempts";
  public static final String CONNECTION_BACKOFF_MS = "connection.backoff.ms";
  public static final String TABLE_WHITELIST = "table.whitelist";
  public static final String TABLE_BLACKLIST = "table.blacklist";
  public static final String TABLE_INCLUDE_LIST = "table.include.list";
  public static final String TABLE_EXCLUDE_LIST = "table.exclude.list";
  public static final String TABLE_TYPES = "table.types";
  public static final String SCHEMA_PATTERN = "schema.pattern";
  public static final String MODE = "mode";
  public static final String INCREMENTING_COLUMN = "incrementing.column.name";
  public static final String TIMESTAMP_COLUMNS = "timestamp.column.name";
  public static final String TIMESTAMP_DELAY_MS = "timestamp.delay.interval.ms";
  public static final String VALIDATE_NON_NULL = "validate.non.null";
  public static final String QUERY = "query";
  public static final String TOPIC_PREFIX = "topic.prefix";
  public static final String POLL_INTERVAL_MS = "poll.interval.ms";
  public static final String BATCH_MAX_ROWS = "batch.max.rows";
  public static final String NUMERIC_MAPPING = "numeric.mapping";
  public static final String DB_TIMEZONE = "db.timezone";

  /** Which rows each poll reads: Confluent's four modes. */
  public enum Mode {
    BULK("bulk"),
    INCREMENTING("incrementing"),
    TIMESTAMP("timestamp"),
    TIMESTAMP_INCREMENTING("timestamp+incrementing");

    final String key;

    Mode(String key) {
      this.key = key;
    }

    boolean usesIncrementing() {
      return this == INCREMENTING || this == TIMESTAMP_INCREMENTING;
    }

    boolean usesTimestamp() {
      return this == TIMESTAMP || this == TIMESTAMP_INCREMENTING;
    }

    static Mode of(String key) {
      for (Mode mode : values()) {
        if (mode.key.equals(key)) {
          return mode;
        }
      }
      throw new IllegalArgumentException("unknown mode " + key);
    }
  }

  /** How NUMERIC/DECIMAL columns become Connect types (Confluent's numeric.mapping). */
  public enum NumericMapping {
    NONE,
    PRECISION_ONLY,
    BEST_FIT;

    static NumericMapping of(String key) {
      return key == null ? NONE : valueOf(key.toUpperCase(Locale.ROOT));
    }
  }

  public static final ConfigDef CONFIG_DEF = definition();

  private static ConfigDef definition() {
    String modes = "bulk, incrementing, timestamp, timestamp+incrementing";
    return new ConfigDef()
        .define(CONNECTION_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(),
            Importance.HIGH, "JDBC URL of the database, e.g. jdbc:postgresql://localhost:5432/cta.")
        .define(CONNECTION_USER, Type.STRING, null, Importance.HIGH, "Database user.")
        .define(CONNECTION_PASSWORD, Type.PASSWORD, null, Importance.HIGH, "Database password.")
        .define(CONNECTION_ATTEMPTS, Type.INT, 3, ConfigDef.Range.atLeast(1), Importance.LOW,
            "How many times a task tries to open its connection before it fails.")
        .define(CONNECTION_BACKOFF_MS, Type.LONG, 10_000L, ConfigDef.Range.atLeast(0), Importance.LOW,
            "Wait between connection attempts, and before a query is retried after an error.")
        .define(TABLE_WHITELIST, Type.LIST, "", Importance.MEDIUM,
            "Tables to copy (name, schema.name or catalog.schema.name); empty copies all tables.")
        .define(TABLE_BLACKLIST, Type.LIST, "", Importance.MEDIUM, "Tables not to copy.")
        .define(TABLE_INCLUDE_LIST, Type.LIST, "", Importance.MEDIUM, "Newer name of table.whitelist.")
        .define(TABLE_EXCLUDE_LIST, Type.LIST, "", Importance.MEDIUM, "Newer name of table.blacklist.")
        .define(TABLE_TYPES, Type.LIST, "TABLE", Importance.LOW,
            "Table types to copy, as DatabaseMetaData names them: TABLE, VIEW, ...")
        .define(SCHEMA_PATTERN, Type.STRING, null, Importance.LOW,
            "Only tables in schemas matching this pattern (SQL LIKE); null means all schemas.")
        .define(MODE, Type.STRING, "", ConfigDef.ValidString.in("", "bulk", "incrementing", "timestamp",
            "timestamp+incrementing"), Importance.HIGH, "How each poll finds rows: one of " + modes + ".")
        .define(INCREMENTING_COLUMN, Type.STRING, "", Importance.MEDIUM,
            "Strictly increasing column (incrementing modes).")
        .define(TIMESTAMP_COLUMNS, Type.LIST, "", Importance.MEDIUM,
            "Timestamp column(s) of modified rows (timestamp modes); several are COALESCEd in order.")
        .define(TIMESTAMP_DELAY_MS, Type.LONG, 0L, ConfigDef.Range.atLeast(0), Importance.LOW,
            "Rows are read only once their timestamp is this much older than the database's clock.")
        .define(VALIDATE_NON_NULL, Type.BOOLEAN, true, Importance.LOW,
            "Refuse incrementing/timestamp columns that may be NULL.")
        .define(QUERY, Type.STRING, "", Importance.MEDIUM,
            "Custom query instead of tables; its rows go to the topic named topic.prefix.")
        .define(TOPIC_PREFIX, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH,
            "Topic = this prefix + table name (or the prefix alone in query mode).")
        .define(POLL_INTERVAL_MS, Type.INT, 5000, ConfigDef.Range.atLeast(1), Importance.HIGH,
            "How often each table is queried for new rows.")
        .define(BATCH_MAX_ROWS, Type.INT, 100, ConfigDef.Range.atLeast(1), Importance.LOW,
            "Most rows returned by one poll (and fetched from the database at a time).")
        .define(NUMERIC_MAPPING, Type.STRING, "none",
            ConfigDef.CaseInsensitiveValidString.in("none", "precision_only", "best_fit"), Importance.LOW,
            "NUMERIC columns: none (Decimal), precision_only (integers by precision), best_fit.")
        .define(DB_TIMEZONE, Type.STRING, "UTC", Importance.MEDIUM,
            "Time zone of DATE/TIME/TIMESTAMP columns without one.");
  }

  public JdbcSourceConfig(Map<String, String> props) {
    super(CONFIG_DEF, props);
  }

  public String url() {
    return getString(CONNECTION_URL);
  }

  public String user() {
    return getString(CONNECTION_USER);
  }

  public String password() {
    Password password = getPassword(CONNECTION_PASSWORD);
    return password == null ? null : password.value();
  }

  public boolean isQueryMode() {
    return !getString(QUERY).isBlank();
  }

  /** Mode is required; ConfigChecks reports it missing before a connector can be created. */
  public Mode mode() {
    return Mode.of(getString(MODE));
  }

  public List<String> includedTables() {
    return union(getList(TABLE_WHITELIST), getList(TABLE_INCLUDE_LIST));
  }

  public List<String> excludedTables() {
    return union(getList(TABLE_BLACKLIST), getList(TABLE_EXCLUDE_LIST));
  }

  public List<String> timestampColumns() {
    return getList(TIMESTAMP_COLUMNS);
  }

  public NumericMapping numericMapping() {
    return NumericMapping.of(getString(NUMERIC_MAPPING));
  }

  public TimeZone timeZone() {
    return TimeZone.getTimeZone(getString(DB_TIMEZONE));
  }

  private static List<String> union(List<String> first, List<String> second) {
    List<String> all = new ArrayList<>();
    for (String name : first) {
      if (!name.isBlank()) {
        all.add(name.trim());
      }
    }
    for (String name : second) {
      if (!name.isBlank() && !all.contains(name.trim())) {
        all.add(name.trim());
      }
    }
    return all;
  }
}
