package io.confluent.connect.avro;

/**
 * Our Avro converter under the class name of Confluent's, so that configurations written for
 * Confluent Platform ("value.converter": "io.confluent.connect.avro.AvroConverter") run
 * unmodified. It adds nothing: see {@link org.chicago.cta.connect.converters.AvroConverter}.
 */
public class AvroConverter extends org.chicago.cta.connect.converters.AvroConverter {}
