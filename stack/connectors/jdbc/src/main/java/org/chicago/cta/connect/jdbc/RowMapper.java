package org.chicago.cta.connect.jdbc;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.List;
import java.util.TimeZone;
import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the rows of one result set into Connect Structs, mapping each column's SQL type to the
 * Connect type Confluent's JDBC source connector (with its PostgreSQL dialect) gives it, so that any
 * converter writes the same records that connector writes. Columns of types it skips (arrays,
 * intervals, ...) are skipped here too, with a warning.
 */
public final class RowMapper {

  private static final Logger log = LoggerFactory.getLogger(RowMapper.class);

  /** Reads one column of the current row as the Java value its Connect schema expects. */
  @FunctionalInterface
  interface ColumnReader {
    Object read(ResultSet rows) throws SQLException;
  }

  private final Schema schema;
  private final List<ColumnReader> readers;

  private RowMapper(Schema schema, List<ColumnReader> readers) {
    this.schema = schema;
    this.readers = readers;
  }

  /**
   * The mapping for a result set's columns.
   *
   * @param schemaName the table name (Confluent names a table's value schema after it), or null
   *     for a custom query
   */
  public static RowMapper of(ResultSetMetaData metadata, String schemaName,
      JdbcSourceConfig.NumericMapping numericMapping, TimeZone timeZone) throws SQLException {
    SchemaBuilder builder = SchemaBuilder.struct().name(schemaName);
    List<ColumnReader> readers = new ArrayList<>();
    Calendar calendar = Calendar.getInstance(timeZone);
    for (int column = 1; column <= metadata.getColumnCount(); column++) {
      String name = metadata.getColumnLabel(column);
      boolean optional = metadata.isNullable(column) != ResultSetMetaData.columnNoNulls;
      Column mapped = map(metadata, column, numericMapping, calendar);
      if (mapped == null) {
        log.warn("Column {} has SQL type {} ({}), which the JDBC source connector does not copy: skipped",
            name, metadata.getColumnType(column), metadata.getColumnTypeName(column));
        continue;
      }
      builder.field(name, optional ? mapped.schema.optional().build() : mapped.schema.build());
      readers.add(mapped.reader);
    }
    return new RowMapper(builder.build(), readers);
  }

  public Schema schema() {
    return schema;
  }

  /** The current row as a Struct of {@link #schema()}. */
  public Struct read(ResultSet rows) throws SQLException {
    Struct struct = new Struct(schema);
    List<org.apache.kafka.connect.data.Field> fields = schema.fields();
    for (int i = 0; i < readers.size(); i++) {
      Object value = readers.get(i).read(rows);
      struct.put(fields.get(i), rows.wasNull() ? null : value);
    }
    return struct;
  }

  private record Column(SchemaBuilder schema, ColumnReader reader) {}

  private static Column map(ResultSetMetaData metadata, int column,
      JdbcSourceConfig.NumericMapping numericMapping, Calendar calendar) throws SQLException {
    int type = metadata.getColumnType(column);
    int precision = metadata.getPrecision(column);
    int scale = metadata.getScale(column);
    boolean signed = metadata.isSigned(column);
    String typeName = metadata.getColumnTypeName(column);
    switch (type) {
      case Types.BOOLEAN:
        return new Column(SchemaBuilder.bool(), rows -> rows.getBoolean(column));
      case Types.BIT:
        // PostgreSQL reports boolean as BIT(1), and bit(n) strings as BIT(n).
        if (precision <= 1) {
          return new Column(SchemaBuilder.bool(), rows -> rows.getBoolean(column));
        }
        if (precision <= 8) {
          return new Column(SchemaBuilder.int8(), rows -> rows.getByte(column));
        }
        return new Column(SchemaBuilder.bytes(), rows -> rows.getBytes(column));
      case Types.TINYINT:
        return signed ? new Column(SchemaBuilder.int8(), rows -> rows.getByte(column))
            : new Column(SchemaBuilder.int16(), rows -> rows.getShort(column));
      case Types.SMALLINT:
        return signed ? new Column(SchemaBuilder.int16(), rows -> rows.getShort(column))
            : new Column(SchemaBuilder.int32(), rows -> rows.getInt(column));
      case Types.INTEGER:
        return signed ? new Column(SchemaBuilder.int32(), rows -> rows.getInt(column))
            : new Column(SchemaBuilder.int64(), rows -> rows.getLong(column));
      case Types.BIGINT:
        return new Column(SchemaBuilder.int64(), rows -> rows.getLong(column));
      case Types.REAL:
        return new Column(SchemaBuilder.float32(), rows -> rows.getFloat(column));
      case Types.FLOAT:
      case Types.DOUBLE:
        return new Column(SchemaBuilder.float64(), rows -> rows.getDouble(column));
      case Types.NUMERIC:
        Column numeric = NumericColumns.map(numericMapping, precision, scale, column);
        if (numeric != null) {
          return numeric;
        }
        return decimal(column, scale);
      case Types.DECIMAL:
        return decimal(column, scale);
      case Types.CHAR:
      case Types.VARCHAR:
      case Types.LONGVARCHAR:
      case Types.CLOB:
      case Types.SQLXML:
        return new Column(SchemaBuilder.string(), rows -> rows.getString(column));
      case Types.NCHAR:
      case Types.NVARCHAR:
      case Types.LONGNVARCHAR:
      case Types.NCLOB:
        return new Column(SchemaBuilder.string(), rows -> rows.getNString(column));
      case Types.BINARY:
      case Types.VARBINARY:
      case Types.LONGVARBINARY:
      case Types.BLOB:
        return new Column(SchemaBuilder.bytes(), rows -> rows.getBytes(column));
      case Types.DATE:
        return new Column(Date.builder(), rows -> rows.getDate(column, calendar));
      case Types.TIME:
        return new Column(Time.builder(), rows -> rows.getTime(column, calendar));
      case Types.TIMESTAMP:
        return new Column(Timestamp.builder(), rows -> rows.getTimestamp(column, calendar));
      case Types.OTHER:
        // PostgreSQL's json, jsonb and uuid: text, as Confluent's PostgreSQL dialect copies them.
        if (typeName.equalsIgnoreCase("json") || typeName.equalsIgnoreCase("jsonb")
            || typeName.equalsIgnoreCase("uuid")) {
          return new Column(SchemaBuilder.string(), rows -> rows.getString(column));
        }
        return null;
      default:
        return null;
    }
  }

  private static Column decimal(int column, int scale) {
    return new Column(Decimal.builder(scale), rows -> {
      BigDecimal value = rows.getBigDecimal(column);
      return value == null ? null : value.setScale(scale, RoundingMode.HALF_UP);
    });
  }

  /**
   * numeric.mapping: NUMERIC columns that fit a primitive become one instead of a Decimal
   * (Confluent's precision_only and best_fit rules; null means "keep the Decimal").
   */
  private static final class NumericColumns {

    static Column map(JdbcSourceConfig.NumericMapping mapping, int precision, int scale, int column) {
      boolean integral = switch (mapping) {
        case NONE -> false;
        case PRECISION_ONLY -> scale == 0 && precision < 19;
        // Confluent's lower bound for a meaningful scale is -84 (Oracle's).
        case BEST_FIT -> precision < 19 && scale < 1 && scale >= -84;
      };
      if (integral && precision > 0) {
        if (precision > 9) {
          return new Column(SchemaBuilder.int64(), rows -> rows.getLong(column));
        } else if (precision > 4) {
          return new Column(SchemaBuilder.int32(), rows -> rows.getInt(column));
        } else if (precision > 2) {
          return new Column(SchemaBuilder.int16(), rows -> rows.getShort(column));
        }
        return new Column(SchemaBuilder.int8(), rows -> rows.getByte(column));
      }
      if (mapping == JdbcSourceConfig.NumericMapping.BEST_FIT && precision < 19 && scale > 0) {
        return new Column(SchemaBuilder.float64(), rows -> rows.getDouble(column));
      }
      return null;
    }
  }
}
