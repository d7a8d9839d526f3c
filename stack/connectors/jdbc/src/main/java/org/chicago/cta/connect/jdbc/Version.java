package org.chicago.cta.connect.jdbc;

/** The version Connect shows for this connector (GET /connector-plugins). */
final class Version {

  static final String VERSION = "1.0.0";

  private Version() {}
}
