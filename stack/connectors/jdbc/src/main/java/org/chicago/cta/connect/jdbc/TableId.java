package org.chicago.cta.connect.jdbc;

/**
 * A table as the database names it. Its {@link #fullName()} is the "table" of the source
 * partition, as in Confluent's offset protocol 1, so offsets stay meaningful across restarts.
 */
public record TableId(String catalog, String schema, String name) {

  /** catalog.schema.name without quotes, skipping parts the database does not have. */
  public String fullName() {
    StringBuilder result = new StringBuilder();
    for (String part : new String[] {catalog, schema}) {
      if (part != null && !part.isEmpty()) {
        result.append(part).append('.');
      }
    }
    return result.append(name).toString();
  }

  /** schema.name, quoted for use in SQL. */
  public String quoted(String quote) {
    String table = quote + name.replace(quote, quote + quote) + quote;
    if (schema == null || schema.isEmpty()) {
      return table;
    }
    return quote + schema.replace(quote, quote + quote) + quote + "." + table;
  }

  /** Does a table.whitelist/blacklist entry name this table (as name, schema.name or catalog.schema.name)? */
  public boolean matches(String entry) {
    String schemaName = (schema == null || schema.isEmpty()) ? name : schema + "." + name;
    return entry.equals(name) || entry.equals(schemaName) || entry.equals(fullName());
  }

  /** The form a task receives in its configuration: fullName parts joined by a separator no name contains. */
  String encode() {
    return String.join("\u0001", nullToEmpty(catalog), nullToEmpty(schema), name);
  }

  static TableId decode(String encoded) {
    String[] parts = encoded.split("\u0001", -1);
    return new TableId(emptyToNull(parts[0]), emptyToNull(parts[1]), parts[2]);
  }

  private static String nullToEmpty(String value) {
    return value == null ? "" : value;
  }

  private static String emptyToNull(String value) {
    return value.isEmpty() ? null : value;
  }
}
