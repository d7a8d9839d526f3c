package io.confluent.connect.jdbc;

/**
 * Our JDBC source connector under the class name of Confluent's, so that configurations written
 * for Confluent's connector ("connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector")
 * run unmodified. It adds nothing: see {@link org.chicago.cta.connect.jdbc.JdbcSourceConnector}.
 */
public class JdbcSourceConnector extends org.chicago.cta.connect.jdbc.JdbcSourceConnector {}
