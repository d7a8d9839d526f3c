package io.confluent.connect.json;

/**
 * Our JSON Schema converter under the class name of Confluent's, so that configurations written
 * for Confluent Platform ("value.converter": "io.confluent.connect.json.JsonSchemaConverter") run
 * unmodified. It adds nothing: see {@link org.chicago.cta.connect.converters.JsonSchemaConverter}.
 */
public class JsonSchemaConverter extends org.chicago.cta.connect.converters.JsonSchemaConverter {}
